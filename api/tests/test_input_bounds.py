"""What used to answer 500 (issue 21, item 5) answers 4xx, in JSON where a program asked.

Deeply nested JSON made json.loads raise RecursionError in the REST API, in allauth's headless
API and in the push subscription views; a body over DATA_UPLOAD_MAX_MEMORY_SIZE was read without
limit by the API; a history month with a huge year raised OverflowError. The clients here do not
re-raise the app's exceptions, so a crash shows as the 500 a client would get.
"""

from __future__ import annotations

import pytest
from django.test import Client

from adherence.jsonbody import MAX_DEPTH
from api.tests.helpers import CONFIRMATIONS, PATIENTS, REMINDERS, Api, log_in, send
from audit.models import AuditEntry
from notifications.management.commands.vapid_keys import new_key_pair
from notifications.models import PushSubscription
from reminders.models import MedicationReminder

pytestmark = pytest.mark.django_db

BOMB = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 5_000 + "1" + "}" * 5_000
TOO_DEEP = f"The JSON body is nested too deeply (more than {MAX_DEPTH} levels of arrays and objects)."


def counts() -> tuple[int, int, int]:
    return MedicationReminder.objects.count(), AuditEntry.objects.count(), PushSubscription.objects.count()


@pytest.fixture
def anns_app(ann) -> Api:
    client = Client(raise_request_exception=False)
    return Api(client, log_in(client, ann.user.email))


# Just past the bound, inside a field: valid JSON that Python could parse, refused all the same.
JUST_TOO_DEEP = '{"medicationName": ' + "[" * MAX_DEPTH + '"x"' + "]" * MAX_DEPTH + "}"


@pytest.mark.parametrize("body", [BOMB, DEEP_OBJECT, JUST_TOO_DEEP])
@pytest.mark.parametrize("url", [REMINDERS, CONFIRMATIONS, PATIENTS])
def test_the_api_refuses_deeply_nested_json_with_a_json_400(anns_app, url, body):
    before = counts()

    response = anns_app.post(url, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": TOO_DEEP, "errors": {"nonFieldErrors": [TOO_DEEP]}}
    assert counts() == before


def test_the_api_still_takes_json_as_deep_as_a_schedule(anns_app, ann):
    schedule = {"start_date": "2026-03-01", "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}]}

    body = {"medicationName": "Metformin", "dosage": "500 mg", "schedule": schedule}

    response = anns_app.post(REMINDERS, body)

    assert response.status_code == 201, response.content
    assert MedicationReminder.objects.get().medication_name == "Metformin"


def test_the_api_answers_an_oversized_body_413_in_json(anns_app, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = counts()

    response = anns_app.post(REMINDERS, {"medicationName": "M" * 20_000, "dosage": "1", "schedule": {}})

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert counts() == before


@pytest.mark.parametrize("client_kind", ["app", "browser"])
@pytest.mark.parametrize("endpoint", ["auth/login", "auth/signup", "auth/password/request"])
def test_allauth_headless_refuses_deeply_nested_json_with_its_json_400(ann, client_kind, endpoint):
    client = Client(raise_request_exception=False)
    before = counts()

    response = send(client, "POST", f"/_allauth/{client_kind}/v1/{endpoint}", BOMB)

    assert response.status_code == 400
    assert response.json() == {"status": 400, "errors": [{"message": TOO_DEEP, "code": "invalid"}]}
    assert counts() == before
    # And an ordinary login still works.
    assert log_in(client, ann.user.email)


def test_allauth_headless_answers_an_oversized_body_413_in_json(ann, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    client = Client(raise_request_exception=False)

    response = send(client, "POST", "/_allauth/app/v1/auth/login", {"email": "x" * 2_000, "password": "p"})

    assert response.status_code == 413
    assert response.json()["errors"] == [{"message": "The request body is too large.", "code": "invalid"}]


@pytest.fixture
def push_on(settings) -> None:
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = new_key_pair()


@pytest.mark.parametrize("name", ["/push/subscriptions/", "/push/subscriptions/delete/"])
def test_the_push_subscription_views_refuse_deeply_nested_json_with_a_json_400(ann, push_on, name):
    client = Client(raise_request_exception=False)
    client.force_login(ann.user)
    before = counts()

    response = client.post(name, BOMB, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == TOO_DEEP
    assert counts() == before


def test_a_form_post_to_the_push_views_is_not_read_as_json_by_the_bounds(ann, push_on):
    client = Client(raise_request_exception=False)
    client.force_login(ann.user)

    response = client.post("/push/subscriptions/", {"endpoint": "[" * 100})

    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


# --- History months -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "month",
    [
        "99999999999999999999-1",
        "2026-99999999999999999999",
        "3000-01",
        "1899-12",
        "2026-13",
        "garbage",
        "\u0662\u0660\u0662\u0666-\u0660\u0663",  # 2026-03 in Arabic-Indic digits
    ],
)
def test_a_history_month_that_does_not_exist_shows_this_month_and_says_why(ann, clock, month):
    client = Client(raise_request_exception=False)
    client.force_login(ann.user)

    response = client.get(f"/patients/{ann.pk}/history/", {"month": month})

    assert response.status_code == 200
    page = response.content.decode()
    assert "March 2026" in page
    assert "There is no month" in page
    assert "write a month as 2026-03" in page


def test_a_history_month_that_exists_is_shown_without_a_warning(ann, clock):
    client = Client(raise_request_exception=False)
    client.force_login(ann.user)

    response = client.get(f"/patients/{ann.pk}/history/", {"month": "2025-11"})

    assert response.status_code == 200
    assert "November 2025" in response.content.decode()
    assert "There is no month" not in response.content.decode()


@pytest.mark.parametrize("medication", ["\u00b2", "9" * 40, "-1", "\uff11"])
def test_an_odd_medication_filter_shows_every_medication(ann, clock, medication):
    client = Client(raise_request_exception=False)
    client.force_login(ann.user)

    month = client.get(f"/patients/{ann.pk}/history/", {"medication": medication})
    day = client.get(f"/patients/{ann.pk}/history/2026-03-02/", {"medication": medication})

    assert (month.status_code, day.status_code) == (200, 200)
