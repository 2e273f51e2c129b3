"""The OpenAPI 3 schema at /api/schema/ and the two documentation pages, served from our own origin."""

from __future__ import annotations

import copy
import datetime
import json
import re
from html.parser import HTMLParser

import jsonschema
import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from reminders import services
from reminders.schedule import KINDS, MAX_TIMES_PER_DAY, TIME_PATTERN, Schedule, ScheduleError
from reminders.tests.factories import AsNeededFactory, DoseFactory, MedicationFactory

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "/api/v1/patients/": {"get", "post"},
    "/api/v1/patients/{objectId}/": {"get", "patch"},
    "/api/v1/reminders/": {"get", "post"},
    "/api/v1/reminders/{objectId}/": {"get", "patch"},
    "/api/v1/doses/": {"get"},
    "/api/v1/doses/{objectId}/": {"get"},
    "/api/v1/doses/{objectId}/skip/": {"post"},
    "/api/v1/doses/{objectId}/undo/": {"post"},
    "/api/v1/doses/{objectId}/snooze/": {"post"},
    "/api/v1/confirmations/": {"get", "post"},
    "/api/v1/confirmations/{objectId}/": {"get"},
    "/api/v1/alerts/": {"get"},
    "/api/v1/alerts/{objectId}/": {"get"},
    "/api/v1/alerts/{objectId}/acknowledge/": {"post"},
    "/api/v1/audit/": {"get"},
    "/api/v1/audit/{objectId}/": {"get"},
}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def schema() -> dict:
    """The schema as an anonymous client fetches it (YAML by default)."""
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_schema_is_openapi_3_yaml_by_default(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Adhere API"


@pytest.mark.parametrize("accept", ["application/json", "application/vnd.oai.openapi+json"])
def test_the_schema_is_json_when_asked(client, accept):
    response = client.get("/api/schema/", headers={"Accept": accept})

    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert yaml.safe_load(client.get("/api/schema/").content)["paths"].keys() == document["paths"].keys()


def test_the_schema_lists_every_api_v1_operation(schema):
    found: dict[str, set[str]] = {}
    for path, method, _ in operations(schema):
        found.setdefault(path, set()).add(method)

    assert found == OPERATIONS


def test_every_operation_has_a_description(schema):
    missing = [
        f"{method.upper()} {path}" for path, method, op in operations(schema) if not op.get("description")
    ]

    assert missing == []


def test_every_operation_asks_for_the_session_token_or_the_browser_session(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["sessionToken"] | {"description": None} == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Session-Token",
        "description": None,
    }
    assert "/_allauth/app/v1/auth/login" in schemes["sessionToken"]["description"]
    for path, method, operation in operations(schema):
        assert {"sessionToken": []} in operation["security"], f"{method} {path}"


def test_lists_document_their_pages_and_the_dose_filters(schema):
    for path, item in schema["paths"].items():
        if "get" in item and not path.endswith("{objectId}/"):  # a list (an action answers POST only)
            names = {parameter["name"] for parameter in item["get"].get("parameters", [])}
            assert {"page", "pageSize"} <= names, path
    dose_parameters = {p["name"]: p for p in schema["paths"]["/api/v1/doses/"]["get"]["parameters"]}
    assert {"from", "to", "status", "reminder", "ordering"} <= set(dose_parameters)
    assert sorted(dose_parameters["status"]["schema"]["enum"]) == ["missed", "pending", "skipped", "taken"]
    assert dose_parameters["ordering"]["schema"]["enum"] == ["-scheduledAt", "scheduledAt"]


def test_request_bodies_hold_only_what_a_client_may_write(schema):
    components = schema["components"]["schemas"]

    assert set(components["PatientRequest"]["properties"]) == {
        "displayName",
        "dateOfBirth",
        "phoneNumber",
        "isActive",
        "timeZone",
    }
    assert set(components["ReminderRequest"]["properties"]) == {
        "medicationName",
        "dosage",
        "instructions",
        "schedule",
        "graceMinutes",
        "timeZoneMode",
    }
    confirm = schema["paths"]["/api/v1/confirmations/"]["post"]["requestBody"]["content"]["application/json"]
    reference = confirm["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(components[reference]["properties"]) == {"dose", "reminder", "confirmedAt"}
    assert "required" not in components[reference]
    assert components[reference]["anyOf"] == [{"required": ["dose"]}, {"required": ["reminder"]}]


def test_the_write_examples_are_in_the_schema(schema):
    for path in ("/api/v1/patients/", "/api/v1/reminders/", "/api/v1/confirmations/"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert content.get("examples"), path


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert yaml.safe_load(target.read_text())["paths"].keys() == OPERATIONS.keys()


def test_the_error_responses_are_documented(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), f"{method} {path}"
        if method in ("post", "patch"):
            body = responses["400"]["content"]["application/json"]["schema"]
            assert body, f"{method} {path}"
        if "{objectId}" in path:
            assert "404" in responses, f"{method} {path}"


def test_the_schedules_shape_is_documented(schema):
    schedule = documented_schedule(schema)

    assert schedule.get("type") == "object"
    assert {"start_date", "steps"} <= set(schedule.get("properties", {}))
    assert "start_date" in schedule.get("required", [])


def request_schedule(schema: dict) -> dict:
    schedule = schema["components"]["schemas"]["ReminderRequest"]["properties"]["schedule"]
    if "$ref" in schedule:
        schedule = schema["components"]["schemas"][schedule["$ref"].rsplit("/", 1)[-1]]
    return schedule


def documented_schedule(schema: dict) -> dict:
    """The object form of a schedule, as a request may send it."""
    (found,) = [shape for shape in request_schedule(schema)["oneOf"] if shape.get("type") == "object"]
    return found


def test_a_schedule_may_be_sent_as_the_briefs_list_of_times(schema):
    (times,) = [shape for shape in request_schedule(schema)["oneOf"] if shape.get("type") == "array"]
    assert times["maxItems"] == MAX_TIMES_PER_DAY
    assert times["items"]["pattern"] == TIME_PATTERN
    # Answers hold the stored object only, with the times beside it.
    answer = schema["components"]["schemas"]["Reminder"]["properties"]
    assert answer["schedule"]["type"] == "object"
    assert answer["times"] == {**answer["times"], "type": "array", "readOnly": True}


def daily_at_eight(**fields) -> dict:
    return {
        "start_date": "2026-03-01",
        "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}],
        **fields,
    }


def one_step(**step) -> dict:
    return {"start_date": "2026-03-01", "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}, **step}]}


def as_needed(count: int, hours: int) -> dict:
    return {"start_date": "2026-03-01", "as_needed": True, "max_per_period": {"count": count, "hours": hours}}


STEP = ("properties", "steps", "items", "properties")
REPEAT = (*STEP, "repeat", "properties")
# Each bound the schema documents, and a schedule that is `n` at that bound.
BOUNDS = {
    "duration_days": (("properties", "duration_days", "maximum"), lambda n: daily_at_eight(duration_days=n)),
    "count": (("properties", "count", "maximum"), lambda n: daily_at_eight(count=n)),
    "as-needed doses": (
        ("properties", "max_per_period", "properties", "count", "maximum"),
        lambda n: as_needed(n, 24),
    ),
    "as-needed hours": (
        ("properties", "max_per_period", "properties", "hours", "maximum"),
        lambda n: as_needed(1, n),
    ),
    "steps": (
        ("properties", "steps", "maxItems"),
        lambda n: {
            "start_date": "2026-03-01",
            "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}, "days": 1} for _ in range(n)],
        },
    ),
    "times a day": (
        (*STEP, "times", "maxItems"),
        lambda n: one_step(
            times=[f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in range(0, 20 * n, 20)]
        ),
    ),
    "a step's days": ((*STEP, "days", "maximum"), lambda n: one_step(days=n)),
    "a step's dose": ((*STEP, "dosage", "maxLength"), lambda n: one_step(dosage="x" * n)),
    "every N days": (
        (*REPEAT, "every", "maximum"),
        lambda n: one_step(repeat={"kind": "every_n_days", "every": n}),
    ),
    "every N hours": (
        (*REPEAT, "every", "maximum"),
        lambda n: one_step(repeat={"kind": "every_n_hours", "every": n}),
    ),
    "N of a daily step": (
        (*REPEAT, "every", "maximum"),
        lambda n: one_step(repeat={"kind": "daily", "every": n}),
    ),
    "days on of a daily step": (
        (*REPEAT, "on_days", "maximum"),
        lambda n: one_step(repeat={"kind": "daily", "on_days": n}),
    ),
    "days on": (
        (*REPEAT, "on_days", "maximum"),
        lambda n: one_step(repeat={"kind": "cycle", "on_days": n, "off_days": 1}),
    ),
    "days off": (
        (*REPEAT, "off_days", "maximum"),
        lambda n: one_step(repeat={"kind": "cycle", "on_days": 1, "off_days": n}),
    ),
}


MINIMA = {
    f"{name} (least)": ((*path[:-1], "minimum"), schedule_at)
    for name, (path, schedule_at) in BOUNDS.items()
    if path[-1] == "maximum"
}


@pytest.mark.parametrize(
    ("path", "schedule_at"), [*BOUNDS.values(), *MINIMA.values()], ids=[*BOUNDS, *MINIMA]
)
def test_it_documents_the_schedules_bounds_that_schedule_problems_enforces(schema, path, schedule_at):
    bound = documented_schedule(schema)
    for key in path:
        bound = bound[key]
    beyond = bound - 1 if path[-1] == "minimum" else bound + 1

    allowed = schedule_at(bound)
    # A cycle needs a day on and a day off: more than the schema's least of 0, which the other kinds use.
    kinds = {step["repeat"]["kind"] for step in allowed.get("steps", [])}
    if not (path[-1] == "minimum" and "cycle" in kinds):
        assert Schedule.from_json(allowed).problems() == [], "the schema allows it, the API must too"
    assert Schedule.from_json(schedule_at(beyond)).problems(), "the schema refuses it, so must the API"


def test_it_documents_the_time_format_and_the_kinds_the_schedule_reads(schema):
    step = documented_schedule(schema)["properties"]["steps"]["items"]["properties"]
    pattern = re.compile(step["times"]["items"]["pattern"])

    for written in ["08:00", "23:59", "08:00:30"]:
        assert pattern.search(written)
        assert Schedule.from_json(one_step(times=[written])).problems() == []
    for wrong in ["24:00", "8:00", "08:60", "08:00+01:00"]:
        assert not pattern.search(wrong)
        with pytest.raises(ScheduleError):
            Schedule.from_json(one_step(times=[wrong]))
    assert step["repeat"]["properties"]["kind"]["enum"] == list(KINDS)


def test_the_reminders_patient_filter_is_documented(schema):
    names = {parameter["name"] for parameter in schema["paths"]["/api/v1/reminders/"]["get"]["parameters"]}

    assert "patient" in names


def test_every_operation_has_an_example(schema):
    def has_example(operation: dict) -> bool:
        bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
        return any(
            "examples" in media or "example" in media
            for body in bodies
            for media in body.get("content", {}).values()
        )

    missing = [f"{method.upper()} {path}" for path, method, op in operations(schema) if not has_example(op)]

    assert missing == []


# --- The documentation pages ---------------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.inline_scripts: list[str] = []
        self.links: list[str] = []
        self.other: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes.get("src"))
            self._in_script = True
        elif tag == "link":
            self.links.append(attributes["href"])
        for name in ("src", "spec-url"):
            if tag != "script" and attributes.get(name):
                self.other.append(attributes[name])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def _same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_pages_load_only_our_own_scripts(client, page):
    response = client.get(page)

    assert response.status_code == 200
    assets = _Assets()
    assets.feed(response.content.decode())
    assert assets.scripts, "no script at all"
    assert None not in assets.scripts, "a script without src"
    assert assets.inline_scripts == []
    for url in assets.scripts + assets.links + assets.other:
        assert _same_origin(url), url
    for url in assets.scripts + assets.links:
        fetched = client.get(url)
        assert fetched.status_code == 200, url
        if url in assets.scripts:
            assert "javascript" in fetched["Content-Type"], url
    assert any(url.startswith("/static/drf_spectacular_sidecar/") for url in assets.scripts)


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_pages_allow_scripts_only_from_our_origin(client, page):
    policy = client.get(page)["Content-Security-Policy"]

    directives = dict(
        (part.split()[0], part.split()[1:]) for part in (item.strip() for item in policy.split(";")) if part
    )
    assert directives["script-src"] == ["'self'"]
    assert not re.search(r"https?://", policy)


def test_swagger_ui_starts_from_our_schema(client):
    response = client.get("/api/docs/")
    assets = _Assets()
    assets.feed(response.content.decode())
    start = next(url for url in assets.scripts if url.startswith("/api/docs/"))

    script = client.get(start)

    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    assert "/api/schema/" in script.content.decode()


def test_redoc_reads_our_schema(client):
    assert 'spec-url="/api/schema/"' in client.get("/api/redoc/").content.decode()


# --- Answers match the schema ---------------------------------------------------------------------

# Timestamps the API answers as null that the schema does not declare nullable: see
# test_timestamps_that_can_be_null_are_declared_nullable. The conformance test below allows
# them so that it guards everything else.
NULL_BUT_NOT_NULLABLE = {"Dose": ["takenAt", "resolvedAt"], "Confirmation": ["undoneAt"]}


def _json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _response_schema(schema: dict, path: str, method: str, status: str) -> dict:
    components = copy.deepcopy(schema["components"])
    for component, fields in NULL_BUT_NOT_NULLABLE.items():
        for name in fields:
            components["schemas"][component]["properties"][name]["nullable"] = True
    content = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": _json_schema(components),
        **_json_schema(content["schema"]),
    }


def test_answers_match_the_schema(schema, ann, carl, api_for):
    ann_api = api_for(ann.user)
    reminder = MedicationFactory(patient=ann)
    taken_later = DoseFactory(reminder=reminder)
    DoseFactory(reminder=reminder, scheduled_at=taken_later.scheduled_at + datetime.timedelta(hours=12))
    as_needed = services.as_needed_take(reminder=AsNeededFactory(patient=ann), by=ann.user, method="web")
    services.dose_undo(dose=as_needed.dose, by=ann.user)  # a confirmation without its dose
    made = api_for(carl).post("/api/v1/confirmations/", {"dose": str(taken_later.object_id)})
    answers = {
        ("/api/v1/confirmations/", "post", "201"): made,
        ("/api/v1/confirmations/", "post", "200"): ann_api.post(
            "/api/v1/confirmations/", {"dose": str(taken_later.object_id)}
        ),
    }
    ids = {
        "patients": ann.object_id,
        "reminders": reminder.object_id,
        "doses": taken_later.object_id,
        "confirmations": as_needed.object_id,
        "audit": ann_api.get("/api/v1/audit/").json()["results"][0]["objectId"],
    }
    for name, object_id in ids.items():
        answers[(f"/api/v1/{name}/", "get", "200")] = ann_api.get(f"/api/v1/{name}/")
        answers[(f"/api/v1/{name}/{{objectId}}/", "get", "200")] = ann_api.get(f"/api/v1/{name}/{object_id}/")

    mismatches = []
    for (path, method, status), response in answers.items():
        assert str(response.status_code) == status, (path, method, response.content.decode())
        validator = jsonschema.Draft202012Validator(_response_schema(schema, path, method, status))
        mismatches += [
            (method, path, status, list(error.absolute_path), error.message)
            for error in validator.iter_errors(response.json())
        ]

    assert mismatches == []


def test_timestamps_that_can_be_null_are_declared_nullable(schema):
    components = schema["components"]["schemas"]

    undeclared = [
        f"{component}.{name}"
        for component, fields in NULL_BUT_NOT_NULLABLE.items()
        for name in fields
        if not components[component]["properties"][name].get("nullable")
    ]

    assert undeclared == []


def test_a_skip_for_another_reason_needs_a_note_in_the_schema_too(schema):
    skip = {"$ref": "#/components/schemas/SkipRequest", "components": schema["components"]}
    valid = jsonschema.Draft4Validator(skip).is_valid

    assert valid({"reason": "unwell"})
    assert valid({"reason": "other", "note": "Fasting for a blood test"})
    assert not valid({"reason": "other"})
    assert not valid({"reason": "other", "note": "   "})
    assert not valid({"reason": "bored"})
