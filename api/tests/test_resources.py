"""Each resource in the brief's own field names, and what a client may and may not write."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from api.tests.helpers import AUDIT, CONFIRMATIONS, DOSES, PATIENTS, REMINDERS, detail, is_uuid, log_in
from patients.models import PatientProfile
from reminders.models import Dose, MedicationReminder
from reminders.tests.factories import DoseFactory, MedicationFactory, daily

# Monday 2 March 2026, 07:00 UTC: 07:00 in London (GMT until the 29th).
T0 = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=datetime.UTC)
T0_JSON = "2026-03-02T07:00:00Z"
TWICE_A_DAY = {
    "start_date": "2026-03-01",
    "steps": [{"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}}],
}

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0)]


@pytest.fixture(autouse=True)
def _a_week_ahead(settings):
    settings.DOSE_HORIZON_DAYS = 7


def assert_object_id(body: dict, obj) -> None:
    """objectId is the row's opaque UUID, not its sequence number."""
    assert is_uuid(body["objectId"])
    assert body["objectId"] == str(obj.object_id if hasattr(obj, "object_id") else obj.uid)
    assert body["objectId"] != str(obj.pk)


# --- Field names ---------------------------------------------------------------------------------


def test_a_patient_in_the_briefs_field_names(clock, ann, ann_api):
    ann.date_of_birth = datetime.date(1950, 5, 17)
    ann.save()

    response = ann_api.get(detail(PATIENTS, ann.object_id))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "objectId",
        "user",
        "displayName",
        "dateOfBirth",
        "phoneNumber",
        "isActive",
        "timeZone",
        "createdAt",
        "updatedAt",
    ]
    assert_object_id(body, ann)
    assert body["user"] == str(ann.user.object_id)
    assert body["user"] != str(ann.user.pk)
    assert body | {"objectId": None, "user": None} == {
        "objectId": None,
        "user": None,
        "displayName": "Ann Example",
        "dateOfBirth": "1950-05-17",
        "phoneNumber": "+447911123456",
        "isActive": True,
        "timeZone": "Europe/London",
        "createdAt": T0_JSON,
        "updatedAt": T0_JSON,
    }


def test_a_reminder_in_the_briefs_field_names_plus_its_schedule_details(clock, ann, ann_api):
    reminder = MedicationFactory(
        patient=ann,
        medication_name="Metformin",
        dosage="500 mg",
        instructions="with food",
        schedule=daily("08:00", "20:00", start=datetime.date(2026, 3, 1)),
    )

    response = ann_api.get(detail(REMINDERS, reminder.object_id))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "objectId",
        "patient",
        "medicationName",
        "dosage",
        "instructions",
        "schedule",
        "times",
        "scheduleSummary",
        "graceMinutes",
        "isActive",
        "timeZoneMode",
        "isConfirmed",
        "fhirDosage",
        "createdAt",
        "updatedAt",
    ]
    assert_object_id(body, reminder)
    assert body["patient"] == str(ann.object_id)
    assert body["medicationName"] == "Metformin"
    assert body["dosage"] == "500 mg"
    assert body["instructions"] == "with food"
    assert body["schedule"] == {
        "start_date": "2026-03-01",
        "steps": [{"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}, "days": None, "dosage": ""}],
        "as_needed": False,
        "end_date": None,
        "duration_days": None,
        "count": None,
        "max_per_period": None,
    }
    assert body["scheduleSummary"] == "08:00, 20:00 every day. From 1 March 2026."
    assert body["graceMinutes"] == 60
    assert body["isActive"] is True
    assert body["timeZoneMode"] == "local"
    assert body["isConfirmed"] is False
    assert body["fhirDosage"] == [
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
                    "boundsPeriod": {"start": "2026-03-01"},
                }
            },
        }
    ]
    assert body["createdAt"] == body["updatedAt"] == T0_JSON


def test_a_dose_in_the_same_style(clock, ann, ann_api):
    reminder = MedicationFactory(patient=ann, dosage="2 puffs")
    dose = DoseFactory(reminder=reminder, scheduled_at=T0 + datetime.timedelta(hours=1))

    response = ann_api.get(detail(DOSES, dose.object_id))

    assert response.status_code == 200
    body = response.json()
    assert_object_id(body, dose)
    assert body | {"objectId": None} == {
        "objectId": None,
        "reminder": str(reminder.object_id),
        "patient": str(ann.object_id),
        "scheduledAt": "2026-03-02T08:00:00Z",
        "windowEndsAt": "2026-03-02T09:00:00Z",
        "dosage": "2 puffs",
        "status": "pending",
        "takenAt": None,
        "skipReason": "",
        "skipNote": "",
        "remindAgainAt": None,
        "asNeeded": False,
        "resolvedAt": None,
    }


def test_a_confirmation_in_the_briefs_field_names(clock, ann, ann_api):
    reminder = MedicationFactory(patient=ann)
    dose = DoseFactory(reminder=reminder, scheduled_at=T0 - datetime.timedelta(minutes=30))
    made = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})
    assert made.status_code == 201

    response = ann_api.get(detail(CONFIRMATIONS, made.json()["objectId"]))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "objectId",
        "reminder",
        "dose",
        "confirmedAt",
        "confirmedBy",
        "role",
        "method",
        "late",
        "undoneAt",
        "createdAt",
        "updatedAt",
    ]
    log = dose.confirmations.get()
    assert_object_id(body, log)
    assert body | {"objectId": None} == {
        "objectId": None,
        "reminder": str(reminder.object_id),
        "dose": str(dose.object_id),
        "confirmedAt": T0_JSON,
        "confirmedBy": str(ann.user.object_id),
        "role": "patient",
        "method": "api",
        "late": False,
        "undoneAt": None,
        "createdAt": T0_JSON,
        "updatedAt": T0_JSON,
    }


def test_an_audit_entry_in_the_briefs_field_names(clock, ann, ann_api):
    response = ann_api.get(AUDIT)

    assert response.status_code == 200
    sign_in = next(entry for entry in response.json()["results"] if entry["action"] == "login")
    assert list(sign_in) == ["objectId", "actor", "action", "entityType", "entityId", "payload", "createdAt"]
    assert is_uuid(sign_in["objectId"])
    assert sign_in["actor"] == {"type": "user", "label": "ann@example.org"}
    assert sign_in["entityType"] == "accounts.User"
    assert sign_in["payload"] == {}
    assert sign_in["createdAt"] == T0_JSON


# --- Patients: writes ------------------------------------------------------------------------------


def test_a_new_user_sets_up_their_own_profile_once(clock, api_for):
    user = UserFactory(email="dora@example.org")
    api = api_for(user)
    profile = {
        "displayName": "Dora Example",
        "dateOfBirth": "1961-02-03",
        "phoneNumber": "+44 (0)7911 123456",
        "timeZone": "Europe/Paris",
    }

    created = api.post(PATIENTS, profile)

    assert created.status_code == 201, created.content.decode()
    body = created.json()
    saved = PatientProfile.objects.get(user=user)
    assert_object_id(body, saved)
    assert body | {"objectId": None} == {
        "objectId": None,
        "user": str(user.object_id),
        "displayName": "Dora Example",
        "dateOfBirth": "1961-02-03",
        "phoneNumber": "+447911123456",
        "isActive": True,
        "timeZone": "Europe/Paris",
        "createdAt": T0_JSON,
        "updatedAt": T0_JSON,
        "timeZoneSource": "request",
    }

    again = api.post(PATIENTS, profile | {"displayName": "Dora Again"})
    assert again.status_code == 409
    assert again.json() == {"detail": "You already have a patient profile; change it with PATCH instead."}
    assert PatientProfile.objects.filter(user=user).count() == 1
    assert PatientProfile.objects.get(user=user).display_name == "Dora Example"


def test_a_new_profile_names_its_required_fields(api_for):
    api = api_for(UserFactory())

    response = api.post(PATIENTS, {})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "displayName": ["This field is required."],
        "phoneNumber": ["This field is required."],
    }  # timeZone is optional: api/tests/test_brief_shapes.py
    assert not PatientProfile.objects.exists()


def test_a_new_profile_in_an_unknown_time_zone_is_refused(api_for):
    api = api_for(UserFactory())

    response = api.post(
        PATIENTS, {"displayName": "X", "phoneNumber": "+447911123456", "timeZone": "Mars/Base"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"timeZone": ['"Mars/Base" is not a valid choice.']}


def test_the_patient_changes_their_profile_and_the_phone_is_stored_in_e164(ann, ann_api):
    response = ann_api.patch(
        detail(PATIENTS, ann.object_id),
        {"phoneNumber": "0033 6 12 34 56 78", "displayName": "Ann B. Example"},
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["phoneNumber"] == "+33612345678"
    assert response.json()["displayName"] == "Ann B. Example"
    ann.refresh_from_db()
    assert (ann.phone_number, ann.display_name) == ("+33612345678", "Ann B. Example")


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("07911 123456", "Start the number with + and the country code, for example +44 7911 123456."),
        (
            "+44 12",
            "That number does not exist in its country's numbering plan. "
            "Check the digits and the country code.",
        ),
        (
            "+",
            "That does not look like a phone number. "
            "Write it with the country code, for example +44 7911 123456.",
        ),
    ],
    ids=["no country code", "too short", "not a number"],
)
def test_a_bad_phone_number_is_refused_in_words(ann, ann_api, phone, message):
    response = ann_api.patch(detail(PATIENTS, ann.object_id), {"phoneNumber": phone})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some of what was sent is not valid.",
        "errors": {"phoneNumber": [message]},
    }
    ann.refresh_from_db()
    assert ann.phone_number == "+447911123456"


def test_ownership_and_timestamps_of_a_profile_cannot_be_sent(clock, ann, bob, ann_api):
    before = PatientProfile.objects.get(pk=ann.pk)

    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        ann_api.token = log_in(ann_api.client, ann.user.email)  # an hour later: signed in again
        response = ann_api.patch(
            detail(PATIENTS, ann.object_id),
            {
                "objectId": str(uuid.uuid4()),
                "user": str(bob.user.object_id),
                "createdAt": "2000-01-01T00:00:00Z",
                "updatedAt": "2000-01-01T00:00:00Z",
                "displayName": "Ann Renamed",
            },
        )

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["objectId"] == str(before.object_id)
    assert body["user"] == str(ann.user.object_id)
    assert body["createdAt"] == T0_JSON
    assert body["updatedAt"] == "2026-03-02T08:00:00Z"
    after = PatientProfile.objects.get(pk=ann.pk)
    assert (after.object_id, after.user_id, after.created_at) == (before.object_id, ann.user_id, T0)
    assert after.display_name == "Ann Renamed"
    assert PatientProfile.objects.get(pk=bob.pk).user_id == bob.user_id


def test_a_new_profile_is_always_the_callers_own(clock, bob, api_for):
    dora = UserFactory(email="dora@example.org")

    response = api_for(dora).post(
        PATIENTS,
        {
            "user": str(bob.user.object_id),
            "objectId": str(bob.object_id),
            "createdAt": "2000-01-01T00:00:00Z",
            "displayName": "Dora",
            "phoneNumber": "+447911123456",
            "timeZone": "UTC",
        },
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["user"] == str(dora.object_id)
    assert response.json()["objectId"] != str(bob.object_id)
    assert response.json()["createdAt"] == T0_JSON
    assert PatientProfile.objects.get(user=dora).object_id != bob.object_id


def test_turning_the_profile_off_and_on_again(ann, ann_api):
    off = ann_api.patch(detail(PATIENTS, ann.object_id), {"isActive": False})

    assert off.status_code == 200
    assert off.json()["isActive"] is False
    ann.refresh_from_db()
    assert ann.is_active is False

    on = ann_api.patch(detail(PATIENTS, ann.object_id), {"isActive": True})
    assert on.json()["isActive"] is True


def test_profiles_are_changed_not_replaced(ann, ann_api):
    response = ann_api.request("PUT", detail(PATIENTS, ann.object_id), {"displayName": "X"})

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


# --- Reminders: writes -----------------------------------------------------------------------------


def test_a_new_reminder_makes_its_doses_at_once(clock, ann, ann_api):
    response = ann_api.post(
        REMINDERS,
        {
            "medicationName": "Metformin",
            "dosage": "500 mg",
            "schedule": TWICE_A_DAY,
            "instructions": "with food",
        },
    )

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    reminder = MedicationReminder.objects.get()
    assert_object_id(body, reminder)
    assert body["patient"] == str(ann.object_id)
    assert body["isActive"] is True
    assert body["isConfirmed"] is False
    assert body["scheduleSummary"] == "08:00, 20:00 every day. From 1 March 2026."
    assert body["createdAt"] == T0_JSON

    doses = ann_api.results(f"{DOSES}?reminder={body['objectId']}")
    # A week ahead from now: 08:00 and 20:00 London time (UTC in March) from today to Sunday.
    expected = [f"2026-03-{day:02d}T{hour}:00:00Z" for day in range(2, 9) for hour in ("08", "20")]
    assert [dose["scheduledAt"] for dose in doses] == expected
    assert {(dose["reminder"], dose["patient"], dose["status"], dose["dosage"]) for dose in doses} == {
        (body["objectId"], str(ann.object_id), "pending", "500 mg")
    }
    assert Dose.objects.filter(reminder=reminder).count() == 14


def test_a_reminder_needs_a_profile_first(api_for):
    response = api_for(UserFactory()).post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": TWICE_A_DAY}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "nonFieldErrors": ["Set up your patient profile first (POST /api/v1/patients/)."]
    }
    assert not MedicationReminder.objects.exists()


def _step(**step) -> dict:
    return {"start_date": "2026-03-01", "steps": [{"repeat": {"kind": "daily"}} | step]}


@pytest.mark.parametrize(
    ("schedule", "errors"),
    [
        (_step(times=["08:00", "08:00"]), ["08:00 is listed twice."]),
        (_step(times=[]), ["Give at least one time of day."]),
        ({"start_date": "2026-03-01", "steps": []}, ["Give at least one time of day."]),
        (_step(times=["8 o'clock"]), ['The step: the time must be a time like 08:00, not "8 o\'clock".']),
        (_step(times=[8]), ["The step: the time must be a time like 08:00, not 8."]),
        (_step(times="08:00"), ["The step: the times of day must be a list."]),
        (_step(times=["08:00"], days="7"), ["The step: the number of days must be a whole number, not '7'."]),
        (
            _step(times=["08:00"], days=True),
            ["The step: the number of days must be a whole number, not True."],
        ),
        (
            {"start_date": 20260301, "steps": []},
            ["The start date must be a date like 2026-01-31, not 20260301."],
        ),
        ({"steps": []}, ["The start date is missing."]),
        ({"start_date": "2026-03-01", "steps": "daily"}, ["The steps must be a list."]),
        ({"start_date": "2026-03-01", "steps": [None]}, ["The step is not in the expected form."]),
        (
            {"start_date": "2026-03-01", "end_day": "2026-04-01"},
            ["The schedule has something unexpected: end_day."],
        ),
        (
            "every day at 8",
            [
                'A schedule is a list of times of day (["08:00", "20:00"]) or an object; see the '
                "schema's examples."
            ],
        ),
        ([{"times": ["08:00"]}], ["The time must be a time like 08:00, not {'times': ['08:00']}."]),
        (None, ["This field may not be null."]),
        (
            _step(times=["08:00"], repeat={"kind": "hourly"}),
            [
                "Choose how often: every day, on some weekdays, every N days, every N hours,"
                " or a cycle of days on and off."
            ],
        ),
    ],
    ids=[
        "duplicate time",
        "no times",
        "no steps",
        "words for a time",
        "a number for a time",
        "times not a list",
        "days as text",
        "days as a boolean",
        "start date as a number",
        "no start date",
        "steps not a list",
        "a step that is not an object",
        "a misspelt key",
        "a string",
        "a list",
        "null",
        "an unknown repeat",
    ],
)
def test_schedule_mistakes_are_refused_in_words(ann, ann_api, schedule, errors):
    response = ann_api.post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": schedule}
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some of what was sent is not valid.",
        "errors": {"schedule": errors},
    }
    assert not MedicationReminder.objects.exists()
    assert not Dose.objects.exists()


def test_a_reminder_names_every_missing_field(ann, ann_api):
    response = ann_api.post(REMINDERS, {})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "medicationName": ["This field is required."],
        "dosage": ["This field is required."],
        "schedule": ["This field is required."],
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("graceMinutes", 0, "Ensure this value is greater than or equal to 1."),
        ("graceMinutes", 100_000, "Ensure this value is less than or equal to 1440."),
        ("timeZoneMode", "moon", '"moon" is not a valid choice.'),
        ("medicationName", "", "This field may not be blank."),
        ("medicationName", "x" * 201, "Ensure this field has no more than 200 characters."),
        ("dosage", "5 mg\x00", "Null characters are not allowed."),
        ("dosage", "5 mg\n", "Use one line: no line breaks, tabs or other control characters."),
    ],
)
def test_other_reminder_mistakes_are_refused_per_field(ann, ann_api, field, value, message):
    reminder = {"medicationName": "Metformin", "dosage": "500 mg", "schedule": TWICE_A_DAY}

    response = ann_api.post(REMINDERS, reminder | {field: value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert message in response.json()["errors"][field]
    assert not MedicationReminder.objects.exists()


def test_ownership_status_and_timestamps_of_a_reminder_cannot_be_sent(clock, ann, bob, ann_api):
    sent_id = str(uuid.uuid4())

    response = ann_api.post(
        REMINDERS,
        {
            "objectId": sent_id,
            "patient": str(bob.object_id),
            "user": str(bob.user.object_id),
            "isActive": False,
            "isConfirmed": True,
            "createdAt": "2000-01-01T00:00:00Z",
            "updatedAt": "2000-01-01T00:00:00Z",
            "scheduleSummary": "never",
            "fhirDosage": [],
            "medicationName": "Metformin",
            "dosage": "500 mg",
            "schedule": TWICE_A_DAY,
        },
    )

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    reminder = MedicationReminder.objects.get()
    assert body["objectId"] == str(reminder.object_id) != sent_id
    assert body["patient"] == str(ann.object_id)
    assert (body["isActive"], body["isConfirmed"]) == (True, False)
    assert body["createdAt"] == body["updatedAt"] == T0_JSON
    assert body["scheduleSummary"] == "08:00, 20:00 every day. From 1 March 2026."
    assert (reminder.patient_id, reminder.is_active, reminder.created_at) == (ann.pk, True, T0)
    assert not bob.medications.exists()
    assert Dose.objects.filter(patient=ann).count() == 14


def test_a_reminder_cannot_be_moved_paused_or_backdated_by_a_patch(clock, ann, bob, ann_api):
    reminder = MedicationFactory(patient=ann, medication_name="Metformin")
    before = MedicationReminder.objects.get(pk=reminder.pk)

    response = ann_api.patch(
        detail(REMINDERS, reminder.object_id),
        {
            "objectId": str(uuid.uuid4()),
            "patient": str(bob.object_id),
            "isActive": False,
            "isConfirmed": True,
            "createdAt": "2000-01-01T00:00:00Z",
            "dosage": "850 mg",
        },
    )

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["objectId"] == str(before.object_id)
    assert body["patient"] == str(ann.object_id)
    assert (body["isActive"], body["isConfirmed"], body["dosage"]) == (True, False, "850 mg")
    after = MedicationReminder.objects.get(pk=reminder.pk)
    assert (after.object_id, after.patient_id, after.is_active, after.created_at) == (
        before.object_id,
        ann.pk,
        True,
        before.created_at,
    )


def test_a_new_schedule_moves_the_future_doses(clock, ann, ann_api):
    made = ann_api.post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": TWICE_A_DAY}
    ).json()

    response = ann_api.patch(
        detail(REMINDERS, made["objectId"]),
        {
            "schedule": {
                "start_date": "2026-03-01",
                "steps": [{"times": ["09:30"], "repeat": {"kind": "daily"}}],
            }
        },
    )

    assert response.status_code == 200, response.content.decode()
    assert response.json()["scheduleSummary"] == "09:30 every day. From 1 March 2026."
    doses = ann_api.results(f"{DOSES}?reminder={made['objectId']}")
    assert [dose["scheduledAt"] for dose in doses] == [f"2026-03-{day:02d}T09:30:00Z" for day in range(2, 9)]


def test_a_bad_new_schedule_changes_nothing(clock, ann, ann_api):
    made = ann_api.post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": TWICE_A_DAY}
    ).json()

    response = ann_api.patch(
        detail(REMINDERS, made["objectId"]), {"schedule": _step(times=["07:00", "07:00"])}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"schedule": ["07:00 is listed twice."]}
    assert ann_api.get(detail(REMINDERS, made["objectId"])).json()["schedule"]["steps"][0]["times"] == [
        "08:00",
        "20:00",
    ]
    assert Dose.objects.count() == 14


def test_a_new_time_zone_moves_the_future_doses_to_the_same_local_time(clock, ann, ann_api):
    made = ann_api.post(
        REMINDERS,
        {
            "medicationName": "Metformin",
            "dosage": "500 mg",
            "schedule": {
                "start_date": "2026-03-01",
                "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}],
            },
        },
    ).json()

    response = ann_api.patch(detail(PATIENTS, ann.object_id), {"timeZone": "America/New_York"})

    assert response.status_code == 200
    assert response.json()["timeZone"] == "America/New_York"
    doses = ann_api.results(f"{DOSES}?reminder={made['objectId']}")
    # 08:00 in New York: 13:00 UTC on standard time, 12:00 UTC from Sunday 8 March (daylight saving).
    assert [dose["scheduledAt"] for dose in doses] == [
        *(f"2026-03-0{day}T13:00:00Z" for day in range(2, 8)),
        "2026-03-08T12:00:00Z",
    ]


def test_reminders_cannot_be_deleted_through_the_api(ann, ann_api):
    reminder = MedicationFactory(patient=ann)

    response = ann_api.request("DELETE", detail(REMINDERS, reminder.object_id))

    assert response.status_code == 405
    assert MedicationReminder.objects.filter(pk=reminder.pk).exists()


def test_api_objects_are_found_by_object_id_not_by_pk(ann, ann_api):
    reminder = MedicationFactory(patient=ann)

    assert ann_api.get(f"{REMINDERS}{reminder.pk}/").status_code == 404
    assert ann_api.get(detail(REMINDERS, reminder.object_id)).status_code == 200


def test_every_resource_uses_camel_case_only(clock, ann, ann_api):
    MedicationFactory(patient=ann)
    DoseFactory(reminder=ann.medications.get())
    ann_api.post(CONFIRMATIONS, {"dose": str(Dose.objects.get().object_id)})

    for url in (PATIENTS, REMINDERS, DOSES, CONFIRMATIONS, AUDIT):
        for item in ann_api.results(url):
            assert not [key for key in item if "_" in key], url
