"""The error shape (api/errors.py) and the promise that no request causes a 500.

400: {"detail": "...", "errors": {"field": ["message", ...]}}; 401, 403, 404, 405, 415: {"detail": "..."}.
The client here does not re-raise the app's exceptions, so a crash shows as the 500 a client would get.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client

from api.tests.helpers import AUDIT, CONFIRMATIONS, DOSES, LISTS, PATIENTS, REMINDERS, Api, log_in
from reminders.models import Dose, MedicationReminder
from reminders.tests.factories import DoseFactory, MedicationFactory

pytestmark = pytest.mark.django_db

INVALID = "Some of what was sent is not valid."
NOT_A_UUID = "------------------------------------"  # matches the URL pattern, is not a UUID


@pytest.fixture
def api(ann) -> Api:
    client = Client(raise_request_exception=False)
    return Api(client, log_in(client, ann.user.email))


@pytest.fixture
def anns_dose(ann):
    return DoseFactory(reminder=MedicationFactory(patient=ann))


def reminder_with(schedule) -> dict:
    return {"medicationName": "Metformin", "dosage": "500 mg", "schedule": schedule}


def one_step(**step) -> dict:
    return {"start_date": "2026-03-01", "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}} | step]}


def test_a_400_has_detail_and_errors_per_field(api, ann):
    response = api.post(
        REMINDERS, {"medicationName": "", "dosage": "x" * 101, "schedule": one_step(times=[])}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": INVALID,
        "errors": {
            "medicationName": ["This field may not be blank."],
            "dosage": ["Ensure this field has no more than 100 characters."],
            "schedule": ["Give at least one time of day."],
        },
    }


def test_a_body_that_is_not_an_object_answers_400_as_non_field_errors(api, ann):
    response = api.post(CONFIRMATIONS, ["a", "list"])

    assert response.status_code == 400
    assert response.json() == {
        "detail": INVALID,
        "errors": {"nonFieldErrors": ["Invalid data. Expected a dictionary, but got list."]},
    }


@pytest.mark.parametrize("url", [PATIENTS, REMINDERS, CONFIRMATIONS])
def test_malformed_json_answers_400_not_500(api, ann, url):
    response = api.post(url, '{"dose": ')

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_malformed_json_answers_in_the_documented_400_shape(api, ann):
    response = api.post(REMINDERS, "{not json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_a_form_post_answers_415(ann):
    client = Client()
    api = Api(client, log_in(client, ann.user.email))

    response = client.post(REMINDERS, {"medicationName": "x"}, headers={"X-Session-Token": api.token})

    assert response.status_code == 415
    assert response.json() == {
        "detail": 'Unsupported media type "multipart/form-data; boundary=BoUnDaRyStRiNg" in request.'
    }
    assert not MedicationReminder.objects.exists()


@pytest.mark.parametrize("url", LISTS)
def test_an_unknown_object_id_answers_404_with_detail_only(api, ann, url):
    response = api.get(f"{url}7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11/")

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


@pytest.mark.parametrize("url", LISTS)
def test_an_object_id_that_only_looks_like_one_answers_404(api, ann, url):
    response = api.get(f"{url}{NOT_A_UUID}/")

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


@pytest.mark.parametrize("url", [f"{DOSES}", f"{AUDIT}", f"{CONFIRMATIONS}"])
def test_read_only_collections_refuse_writes_with_405(api, ann, anns_dose, url):
    method = "POST" if url != CONFIRMATIONS else "PUT"
    response = api.request(method, url, {})

    assert response.status_code == 405
    assert list(response.json()) == ["detail"]


def test_a_forbidden_action_answers_403_with_detail_only(ann, vera):
    client = Client()
    api = Api(client, log_in(client, vera.email))

    response = api.patch(f"{PATIENTS}{ann.object_id}/", {"displayName": "Changed by Vera"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only the patient can change their profile."}


@pytest.mark.parametrize(
    "query",
    [
        "from=%00",
        "from=2026-03-02T08:00:00%2B99:00",
        "from=2026-03-02T08:00:00 01:00",  # a "+" not URL-encoded arrives as a space
        "from=0001-01-01T00:00:00Z",
        "to=9999-12-31T23:59:59Z",
        "status=%00",
        "reminder=%00",
        "reminder=" + "f" * 5000,
        "ordering=%00",
        "pageSize=99999999999999999999999",
        "page=99999999999999999999999",
    ],
)
def test_odd_query_strings_never_cause_a_500(api, ann, anns_dose, query):
    response = api.get(f"{DOSES}?{query}")

    assert response.status_code in (200, 400, 404), response.status_code
    assert "detail" in response.json() or "results" in response.json()


SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
OUT_OF_RANGE = (
    "BUG: api/views.py _datetime accepts any offset parse_datetime reads (up to +-23:59) and any year; "
    "the filter value then fails in the database layer: {}"
)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("from=9999-12-31T23:59:59-23:59"),
        pytest.param("to=0001-01-01T00:00:00%2B01:00"),
        pytest.param("from=2026-03-02T08:00:00%2B20:00"),
        pytest.param("to=2026-03-02T08:00:00-16:00"),
    ],
)
def test_filter_moments_at_the_edge_of_the_calendar_answer_200_or_400_not_500(api, ann, anns_dose, query):
    response = api.get(f"{DOSES}?{query}")

    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert list(response.json()["errors"]) == [query.split("=")[0]]


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+01:00",
        "2026-03-02T08:00:00+20:00",
        "2026-03-02T08:00:00",
        "",
        None,
        12,
    ],
)
def test_odd_confirmation_times_answer_400_not_500(api, ann, anns_dose, moment):
    response = api.post(CONFIRMATIONS, {"dose": str(anns_dose.object_id), "confirmedAt": moment})

    assert response.status_code == 400, response.status_code
    assert set(response.json()["errors"]) <= {"confirmedAt", "dose"}
    assert Dose.objects.get(pk=anns_dose.pk).status == "pending"


@pytest.mark.parametrize(
    "body",
    [
        {"displayName": "\x00"},
        {"displayName": "x" * 151},
        {"dateOfBirth": "1950-02-30"},
        {"dateOfBirth": 19500101},
        {"phoneNumber": 447911123456},
        {"phoneNumber": "+" + "4" * 40},
        {"timeZone": None},
        {"isActive": "perhaps"},
    ],
)
def test_odd_profile_changes_answer_400_not_500(api, ann, body):
    response = api.patch(f"{PATIENTS}{ann.object_id}/", body)

    assert response.status_code == 400, response.status_code
    assert set(response.json()["errors"]) == set(body)


@pytest.mark.parametrize(
    "schedule",
    [
        one_step(repeat={"kind": "every_n_hours", "every": 0}),
        one_step(repeat={"kind": "every_n_days", "every": -1}),
        one_step(repeat={"kind": "weekdays", "weekdays": []}),
        one_step(repeat={"kind": "weekdays", "weekdays": ["mon", "mon"]}),
        one_step(repeat={"kind": "cycle", "on_days": 21, "off_days": 0}),
        one_step(repeat={"kind": 7}),
        one_step(repeat=None),
        one_step(days=0),
        one_step(dosage=5),
        one_step(times=["08:00", "09:00"], repeat={"kind": "every_n_hours", "every": 8}),
        one_step(times=["24:00"]),
        one_step(times=["08:00+01:00"]),
        {"start_date": "2026-03-01", "steps": [], "as_needed": "yes"},
        {
            "start_date": "2026-03-01",
            "as_needed": True,
            "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}],
        },
        {"start_date": "2026-03-01", "as_needed": True, "max_per_period": {"count": 0, "hours": 24}},
        {"start_date": "2026-03-01", "as_needed": True, "max_per_period": [4, 24]},
        {"start_date": "2026-03-01", "end_date": "2026-02-01", "steps": one_step()["steps"]},
        {
            "start_date": "2026-03-01",
            "end_date": "2026-04-01",
            "duration_days": 3,
            "steps": one_step()["steps"],
        },
        {"start_date": "2026-02-30", "steps": one_step()["steps"]},
        {"start_date": "2026-03-01", "count": 0, "steps": one_step()["steps"]},
    ],
)
def test_schedules_that_make_no_sense_answer_400_not_500(api, ann, schedule):
    response = api.post(REMINDERS, reminder_with(schedule))

    assert response.status_code == 400, response.status_code
    assert list(response.json()["errors"]) == ["schedule"]
    assert all(isinstance(message, str) and message for message in response.json()["errors"]["schedule"])
    assert not MedicationReminder.objects.exists()


@pytest.mark.parametrize(
    "schedule",
    [
        one_step(repeat={"kind": "every_n_hours", "every": 10**30}),
        one_step(days=10**12),
        {"start_date": "2026-03-01", "duration_days": 10**12, "steps": one_step()["steps"]},
        {"start_date": "9999-12-31", "duration_days": 5, "steps": one_step()["steps"]},
        {"start_date": "0001-01-01", "count": 5, "steps": one_step()["steps"]},
    ],
    ids=[
        "every 10^30 hours",
        "a step of 10^12 days",
        "10^12 days long",
        "5 days from 31 December 9999",
        "5 doses from 1 January 0001",
    ],
)
def test_schedules_past_the_calendar_answer_400_not_500(api, ann, schedule):
    response = api.post(REMINDERS, reminder_with(schedule))

    assert response.status_code == 400, response.status_code
    assert list(response.json()["errors"]) == ["schedule"]


def test_a_step_dosage_longer_than_a_dose_can_hold_answers_400(api, ann):
    response = api.post(REMINDERS, reminder_with(one_step(dosage="x" * 101)))

    assert response.status_code == 400, response.status_code
    assert list(response.json()["errors"]) == ["schedule"]
    assert not Dose.objects.filter(dosage__startswith="xxx").exists()


def test_a_nul_character_in_a_step_dosage_answers_400(api, ann):
    response = api.post(REMINDERS, reminder_with(one_step(dosage="5\x00 mg")))

    assert response.status_code == 400, response.status_code
    assert list(response.json()["errors"]) == ["schedule"]


def test_confirming_a_dose_far_in_the_future_answers_400(api, ann):
    later = DoseFactory(
        reminder=MedicationFactory(patient=ann),
        scheduled_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3),
    )

    response = api.post(CONFIRMATIONS, {"dose": str(later.object_id)})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "dose": ["That is more than 12 hours before this dose was due. Check the time."]
    }


@pytest.mark.parametrize("url", [f"{REMINDERS}12/", "/api/v1/medications/"])
def test_every_404_under_the_api_is_json(api, ann, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["detail"]
