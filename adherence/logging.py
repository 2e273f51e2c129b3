"""Keep single-use keys out of log lines.

Links mailed to people (verify an address, reset a password, and later accept
an invitation or confirm a dose) carry a secret in their path. Request logs
print paths, so this filter replaces the secret part before a line is written.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

# A path prefix whose next segment is a secret. Later features add theirs here.
SECRET_PATH_PREFIXES = [
    "/accounts/confirm-email/",
    "/accounts/password/reset/key/",
    "/invitations/",
]

# The same prefixes percent-encoded, as in "/accounts/login/?next=%2Finvitations%2F...".
_ENCODED_PREFIXES = [quote(prefix, safe="") for prefix in SECRET_PATH_PREFIXES]

_SECRET_IN_PATH = re.compile(
    "("
    + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES)
    + r")[^/\s?\"'&]+"
    + "|("
    + "|".join(re.escape(prefix) for prefix in _ENCODED_PREFIXES)
    + r")(?:[A-Za-z0-9_.~-]|%3[Aa])+",
)


def redact(text: str) -> str:
    return _SECRET_IN_PATH.sub(lambda match: (match.group(1) or match.group(2)) + "[redacted]", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
