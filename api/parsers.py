"""The REST API's JSON parser: DRF's, with the nesting bound of adherence.jsonbody."""

from __future__ import annotations

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from adherence import jsonbody


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            "".encode(encoding)  # text codecs only: a "charset=bz2_codec" would inflate the body
        except (LookupError, UnicodeError):
            raise ParseError(f'Unsupported charset "{encoding}" in request Content-Type header.') from None
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            raw = stream.read() if stream is not None else b""
            return jsonbody.loads(raw.decode(encoding), parse_constant=parse_constant)
        except jsonbody.JSONTooDeep as too_deep:
            raise ParseError(str(too_deep)) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
