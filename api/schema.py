"""What drf-spectacular cannot guess: how a client authenticates."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": (
                "The meta.session_token of POST /_allauth/app/v1/auth/login "
                '({"email": …, "password": …}). Sign out with DELETE /_allauth/app/v1/auth/session.'
            ),
        }


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages per field; nonFieldErrors for the request as a whole.",
        },
    },
    "required": ["detail", "errors"],
}
ANSWERS = {
    "400": ("Some of what was sent is not valid: messages per field.", "ValidationError"),
    "401": ("No credentials, or a session token that has ended.", "Error"),
    "403": ("Signed in, but this is not yours to do (e.g. a view-only caregiver confirming).", "Error"),
    "404": ("No such object among those you may see; also a page number past the end.", "Error"),
    "409": ("The request conflicts with what exists (e.g. a second patient profile).", "Error"),
    "429": ("Too many requests: wait and try again.", "Error"),
}


def document_errors(result, generator, request, public):
    """Every operation can answer these, in the shapes of api/errors.py."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    components["ValidationError"] = VALIDATION_ERROR
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, (description, schema) in ANSWERS.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                        },
                    },
                )
    return result
