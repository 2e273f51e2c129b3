"""What drf-spectacular cannot guess: how a client authenticates."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension


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


class ScheduleFieldSchema(OpenApiSerializerFieldExtension):
    """A schedule is sent as the brief's list of times or as the object; it is answered as the object."""

    target_class = "api.serializers.ScheduleField"

    def map_serializer_field(self, auto_schema, direction) -> dict:
        from api.serializers import SCHEDULE_SCHEMA, SCHEDULE_TIMES_SCHEMA

        if direction == "request":
            return {"oneOf": [SCHEDULE_TIMES_SCHEMA, SCHEDULE_SCHEMA]}
        return SCHEDULE_SCHEMA


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
    # A confirmation names its dose exactly, or its medication (the dose due now): one at least.
    for name, component in components.items():
        if name.startswith("ConfirmRequest"):
            component["anyOf"] = [{"required": ["dose"]}, {"required": ["reminder"]}]
        # A skip for "other" reason says why in words (api.serializers.SkipRequestSerializer).
        if name.startswith("SkipRequest"):
            component["anyOf"] = [
                {"properties": {"reason": {"not": {"enum": ["other"]}}}},
                {"required": ["note"], "properties": {"note": {"pattern": r"\S"}}},
            ]
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


# What each resource looks like, for the playground and ReDoc: one realistic object each.
_PATIENT_ID = "2b7cdff8-7037-430c-9574-6f85ed4ab994"
_REMINDER_ID = "4c573012-6f78-4092-a842-f101af837e2c"
_DOSE_ID = "7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11"
RESOURCE_EXAMPLES: dict[str, dict[str, object]] = {
    "Patient": {
        "objectId": _PATIENT_ID,
        "user": "5f1392aa-f153-4856-952b-0d0a4079f1a4",
        "displayName": "Dora Demo",
        "dateOfBirth": "1948-05-17",
        "phoneNumber": "+447911123456",
        "isActive": True,
        "timeZone": "Europe/London",
        "createdAt": "2026-11-25T09:18:48.825932Z",
        "updatedAt": "2026-11-25T09:18:48.825942Z",
    },
    "Reminder": {
        "objectId": _REMINDER_ID,
        "patient": _PATIENT_ID,
        "medicationName": "Metformin",
        "dosage": "500 mg",
        "instructions": "with food",
        "schedule": {
            "start_date": "2026-11-11",
            "steps": [{"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}}],
        },
        "times": ["08:00", "20:00"],
        "scheduleSummary": "08:00, 20:00 every day. From 11 November 2026.",
        "graceMinutes": 60,
        "isActive": True,
        "timeZoneMode": "local",
        "isConfirmed": True,
        "fhirDosage": [
            {
                "sequence": 1,
                "text": "500 mg",
                "patientInstruction": "with food",
                "timing": {
                    "repeat": {
                        "frequency": 2,
                        "period": 1,
                        "periodUnit": "d",
                        "timeOfDay": ["08:00:00", "20:00:00"],
                        "boundsPeriod": {"start": "2026-11-11"},
                    }
                },
            }
        ],
        "createdAt": "2026-11-11T07:02:11.000000Z",
        "updatedAt": "2026-11-11T07:02:11.000000Z",
    },
    "Dose": {
        "objectId": _DOSE_ID,
        "reminder": _REMINDER_ID,
        "patient": _PATIENT_ID,
        "scheduledAt": "2026-11-25T08:00:00Z",
        "windowEndsAt": "2026-11-25T09:00:00Z",
        "dosage": "500 mg",
        "status": "taken",
        "takenAt": "2026-11-25T08:12:00Z",
        "skipReason": "",
        "skipNote": "",
        "remindAgainAt": None,
        "asNeeded": False,
        "resolvedAt": "2026-11-25T08:12:03Z",
    },
    "Confirmation": {
        "objectId": "15f1939b-7097-4a6d-af17-42a0ae0a85b3",
        "reminder": _REMINDER_ID,
        "dose": _DOSE_ID,
        "confirmedAt": "2026-11-25T08:12:00Z",
        "confirmedBy": "5f1392aa-f153-4856-952b-0d0a4079f1a4",
        "role": "patient",
        "method": "api",
        "late": False,
        "undoneAt": None,
        "createdAt": "2026-11-25T08:12:03Z",
        "updatedAt": "2026-11-25T08:12:03Z",
    },
    "Alert": {
        "objectId": "0c1d7a52-3f4e-4d6b-9a0e-5b2c8d1e7f90",
        "reminder": _REMINDER_ID,
        "dose": "a3e1c2d4-5b6f-4789-8a0b-1c2d3e4f5a6b",
        "patient": _PATIENT_ID,
        "alertedAt": "2026-11-25T21:00:30Z",
        "acknowledgedBy": "9b8a7c6d-5e4f-4321-8765-0fedcba98765",
        "acknowledgedAt": "2026-11-25T21:04:12Z",
        "createdAt": "2026-11-25T21:00:30Z",
        "updatedAt": "2026-11-25T21:04:12Z",
    },
    "Audit": {
        "objectId": "f62bb0d3-905f-4664-bbda-53e027e136f0",
        "actor": {"type": "user", "label": "carla@example.org"},
        "action": "view",
        "entityType": "patients.PatientProfile",
        "entityId": "1",
        "payload": {"page": "/api/v1/doses/"},
        "createdAt": "2026-11-25T08:30:00Z",
    },
}
RESOURCE_EXAMPLES["PatientCreated"] = {**RESOURCE_EXAMPLES["Patient"], "timeZoneSource": "request"}
ERROR_EXAMPLES = {
    "400": {
        "detail": "Some of what was sent is not valid.",
        "errors": {"dosage": ["This field is required."]},
    },
    "401": {"detail": "Authentication credentials were not provided."},
    "403": {"detail": "Your link to this patient does not allow confirming doses."},
    "404": {"detail": "No Dose matches the given query."},
    "409": {"detail": "You already have a patient profile; change it with PATCH instead."},
    "429": {"detail": "Request was throttled. Expected available in 42 seconds."},
}


def add_examples(result, generator, request, public):
    """An example on every answer: the resource it returns, or the error."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    if "example" in media or "examples" in media:
                        continue
                    ref = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                    if ref in RESOURCE_EXAMPLES:
                        media["example"] = RESOURCE_EXAMPLES[ref]
                    elif (
                        ref.startswith("Paginated")
                        and ref[len("Paginated") : -len("List")] in RESOURCE_EXAMPLES
                    ):
                        item = RESOURCE_EXAMPLES[ref[len("Paginated") : -len("List")]]
                        media["example"] = {"count": 1, "next": None, "previous": None, "results": [item]}
                    elif status in ERROR_EXAMPLES:
                        media["example"] = ERROR_EXAMPLES[status]
    return result
