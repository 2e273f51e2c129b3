"""Single-line text: names, doses, short notes.

What people type into a one-line field ends up in mail subjects, text messages,
push titles, CSV exports and the audit trail. A line break there breaks a mail
header (Django refuses to send it), and other control characters hide or
reorder what is shown. So every single-line field refuses them, in the forms
and the API alike, with `validate_single_line` on the model field and on the
form and serializer fields that feed it; `one_line` makes any stored text safe
to put in a header, for text stored before the rule existed.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

SINGLE_LINE_MESSAGE = "Use one line: no line breaks, tabs or other control characters."

# C0 controls (tab, line feed, carriage return...), DEL and the C1 controls (U+0085, the "next
# line"), and Unicode's own line and paragraph separators.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The same, with the white space around them, as one run.
_BREAKS = re.compile(r"(?:\s|[\x00-\x1f\x7f-\x9f\u2028\u2029])+")


def is_single_line(value: str) -> bool:
    return _NOT_ONE_LINE.search(value) is None


def validate_single_line(value: object) -> None:
    """A validator for model, form and serializer fields."""
    if isinstance(value, str) and not is_single_line(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="single_line")


def one_line(text: str) -> str:
    """The text as one line: each run of white space and control characters becomes one space."""
    return _BREAKS.sub(" ", text).strip()
