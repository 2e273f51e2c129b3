"""Keep secrets carried by URLs out of log lines.

Links mailed to people (verify an address, reset a password, accept an
invitation, confirm or skip a dose without signing in) carry a secret in their
path. Request logs print paths, so this filter replaces the secret part before
a line is written.

Which parts are secret is read from the URL patterns themselves: a route
parameter named in SECRET_ROUTE_PARAMETERS (`<str:token>`, allauth's `key` and
`uidb36`) is a secret wherever it appears, so a new signed-link route is
covered the day it is added. A path found in a log line is resolved like a
request would be, and the values of its secret parameters are blanked. The same
is done for a path carried in a query string (`/accounts/login/?next=...`,
plain or percent-encoded), and query parameters that are secrets by name
(an SSO callback's `code`) are blanked too.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

REDACTED = "[redacted]"

# Route parameters whose value is a secret. Name a signed-link route's parameter one of these.
SECRET_ROUTE_PARAMETERS = frozenset({"token", "key", "uidb36", "uidb64"})

# Query parameters whose value is a secret (OAuth's authorization code, tokens handed back).
SECRET_QUERY_PARAMETERS = frozenset(
    {"token", "key", "code", "session_token", "access_token", "refresh_token"},
)

# A path, with an optional scheme and host in front ("https://adhere.example.org/dose-link/..."),
# up to white space or a quote. It starts at a "/" that does not follow a word character, so
# "HTTP/1.1" is not taken for a path.
_URL = re.compile(r"(?:(?P<origin>https?://[^/\s\"'<>]+)|(?<![\w%/:]))(?P<path>/[^\s\"'<>]*)")
# A percent-encoded path, as in "?next=%2Fdose-link%2F...": from "%2F" on, the characters a
# percent-encoded value keeps.
_ENCODED_PATH = re.compile(r"%2[Ff](?:[A-Za-z0-9_.~!*()+-]|%[0-9A-Fa-f]{2})*")


def redact(text: str) -> str:
    """The text with every secret carried by a URL in it replaced by "[redacted]"."""
    if "/" not in text and "%2" not in text.upper():
        return text
    text = _ENCODED_PATH.sub(lambda match: _redact_encoded(match.group(0)), text)
    return _URL.sub(lambda match: (match.group("origin") or "") + _redact_url(match.group("path")), text)


def _redact_encoded(encoded: str) -> str:
    decoded = unquote(encoded)
    cleaned = _redact_url(decoded)
    return encoded if cleaned == decoded else quote(cleaned, safe="")


def _redact_url(url: str) -> str:
    path, mark, query = url.partition("?")
    query, hash_mark, fragment = query.partition("#")
    cleaned = _redact_path(path)
    if mark:
        cleaned += mark + "&".join(_redact_query_item(item) for item in query.split("&"))
    if hash_mark:
        cleaned += hash_mark + fragment
    return cleaned


def _redact_query_item(item: str) -> str:
    name, equals, value = item.partition("=")
    if not equals or not value:
        return item
    if unquote(name).lower() in SECRET_QUERY_PARAMETERS:
        return f"{name}={REDACTED}"
    decoded = unquote(value.replace("+", " "))
    if decoded.startswith("/"):
        cleaned = _redact_url(decoded)
        if cleaned != decoded:
            return f"{name}={cleaned if decoded == value else quote(cleaned, safe='')}"
    return item


def _redact_path(path: str) -> str:
    """The path with the values of its route's secret parameters blanked.

    A path that resolves to no route is kept as it is, except that a missing
    final slash is tried too (CommonMiddleware redirects such a path, and
    the redirect is logged). If resolving fails for any other reason, the
    path is cut after its first segment: better a useless log line than a
    leaked key.
    """
    decoded = unquote(path)
    secrets: list[str] = []
    for candidate in (decoded, decoded + "/") if not decoded.endswith("/") else (decoded,):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        except Exception:  # a broken URLconf must not let a key through
            return f"/{decoded.strip('/').split('/')[0]}/{REDACTED}"
        secrets = [str(value) for name, value in match.kwargs.items() if name in SECRET_ROUTE_PARAMETERS]
        secrets = [secret for secret in secrets if secret]
        break
    if not secrets:
        return path
    # Blank each secret where it was taken from: the last place it occurs (route parameters
    # come after the fixed part of the path), longest first, and never inside another's span.
    spans: list[tuple[int, int]] = []
    for secret in sorted(secrets, key=len, reverse=True):
        end = len(decoded)
        while True:
            start = decoded.rfind(secret, 0, end)
            if start < 0:
                break
            if all(start + len(secret) <= s or start >= e for s, e in spans):
                spans.append((start, start + len(secret)))
                break
            end = start + len(secret) - 1
    cleaned = decoded
    for start, stop in sorted(spans, reverse=True):
        cleaned = cleaned[:start] + REDACTED + cleaned[stop:]
    return cleaned


def secret_routes() -> list[str]:
    """Every route of the URLconf with a secret parameter, as "prefix/pattern" text (for tests and docs)."""
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                names = set(pattern.pattern.regex.groupindex)
                if names & SECRET_ROUTE_PARAMETERS:
                    found.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return found


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
