"""One error shape for the whole API, documented in the schema.

400: {"detail": "...", "errors": {"field": ["message", ...], "nonFieldErrors": [...]}}
401, 403, 404, 405, 429: {"detail": "..."}
Anything unexpected is logged and answered 500 with only {"detail"}: no trace leaks.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ParseError):
        response.data = {
            "detail": str(exc.detail),
            "errors": {"nonFieldErrors": [str(exc.detail)]},
        }
        return response
    if isinstance(exc, ValidationError) and response.status_code == status.HTTP_400_BAD_REQUEST:
        errors = response.data if isinstance(response.data, dict) else {"nonFieldErrors": response.data}
        if "non_field_errors" in errors:
            errors["nonFieldErrors"] = errors.pop("non_field_errors")
        response.data = {"detail": "Some of what was sent is not valid.", "errors": errors}
    return response
