"""Phone numbers in, E.164 out, with the `phonenumbers` library's real numbering plans."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

EXAMPLE = "+44 7911 123456"


def to_e164(raw: str) -> str:
    """ "+44 (0)7700-900 123" -> "+447700900123", or a ValidationError that says what is wrong."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        raise ValidationError(
            "Start the number with + and the country code, for example %(example)s.",
            params={"example": EXAMPLE},
            code="no_country_code",
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "That does not look like a phone number. "
            "Write it with the country code, for example %(example)s.",
            params={"example": EXAMPLE},
            code="unparseable",
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "That number does not exist in its country's numbering plan. "
            "Check the digits and the country code.",
            code="invalid_number",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def for_display(e164: str) -> str:
    """ "+447700900123" -> "+44 7700 900123": readable, still international."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
