"""The brief's own shapes through the API (issue 13, item 1).

- `schedule: ["08:00", "20:00"]`: every day at those times from today in the patient's zone.
- `POST ConfirmationLog {reminder}`: confirms that medication's dose due now.
- A profile without `timeZone`: the account's browser zone, else the site default, said in the answer.
- No database id in any answer.

Ann lives in London, Nina in New York. Unless a test says otherwise it is Wednesday 4 March 2026,
03:00 UTC: in London the 4th, in New York still Tuesday the 3rd (22:00).
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from accounts.tests.factories import PASSWORD, UserFactory
from api.checks import check_patient_default_time_zone
from api.tests.helpers import (
    AUDIT,
    CONFIRMATIONS,
    DOSES,
    LOGIN,
    PATIENTS,
    REMINDERS,
    SESSION,
    detail,
    log_in,
    send,
)
from audit.models import AuditEntry
from notifications.models import NotificationSettings
from patients.models import PatientProfile
from reminders import services
from reminders.models import ConfirmationLog, Dose, MedicationReminder
from reminders.tests.factories import AsNeededFactory, DoseFactory, MedicationFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 4, 3, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


# --- a. A schedule as a list of times ------------------------------------------------------------


def test_a_list_of_times_means_every_day_from_today_in_the_patients_zone(nina, api_for):
    response = api_for(nina.user).post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": ["08:00", "20:00"]}
    )

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    # Still the 3rd in New York: the schedule starts there, and holds the object form.
    assert body["schedule"] == {
        "start_date": "2026-03-03",
        "steps": [{"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}, "days": None, "dosage": ""}],
        "as_needed": False,
        "end_date": None,
        "duration_days": None,
        "count": None,
        "max_per_period": None,
    }
    assert body["times"] == ["08:00", "20:00"]
    assert body["scheduleSummary"] == "08:00, 20:00 every day. From 3 March 2026."
    reminder = MedicationReminder.objects.get()
    assert reminder.schedule == body["schedule"]
    # Its doses are New York's 08:00 and 20:00 (EST, UTC-5); tonight's 20:00 (01:00 UTC) has passed.
    doses = api_for(nina.user).get(f"{DOSES}?reminder={body['objectId']}&to=2026-03-05T02:00:00Z").json()
    assert [dose["scheduledAt"] for dose in doses["results"]] == [
        "2026-03-04T13:00:00Z",
        "2026-03-05T01:00:00Z",
    ]


def test_the_object_form_still_works_and_answers_its_times(ann_api):
    schedule = {"start_date": "2026-03-04", "steps": [{"times": ["09:30"], "repeat": {"kind": "daily"}}]}
    response = ann_api.post(REMINDERS, {"medicationName": "Aspirin", "dosage": "75 mg", "schedule": schedule})

    assert response.status_code == 201, response.content.decode()
    assert response.json()["schedule"]["steps"][0]["times"] == ["09:30"]
    assert response.json()["times"] == ["09:30"]


def test_a_tapering_schedule_answers_the_times_of_todays_step(ann_api):
    schedule = {
        "start_date": "2026-03-02",
        "steps": [
            {"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}, "days": 2},
            {"times": ["08:00"], "repeat": {"kind": "daily"}},
        ],
    }
    response = ann_api.post(
        REMINDERS, {"medicationName": "Prednisolone", "dosage": "5 mg", "schedule": schedule}
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["times"] == ["08:00"]  # the 4th: the second step


def test_patch_with_a_list_of_times_starts_today_in_the_medications_zone(ann, ann_api):
    reminder = MedicationFactory(patient=ann, medication_name="Metformin")

    response = ann_api.patch(detail(REMINDERS, reminder.object_id), {"schedule": ["07:30"]})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["schedule"]["start_date"] == "2026-03-04"
    assert response.json()["times"] == ["07:30"]
    reminder.refresh_from_db()
    assert [step["times"] for step in reminder.schedule["steps"]] == [["07:30"]]
    assert list(
        Dose.objects.filter(reminder=reminder, scheduled_at__gte=NOW).values_list("scheduled_at", flat=True)[
            :1
        ]
    ) == [datetime.datetime(2026, 3, 4, 7, 30, tzinfo=UTC)]


def every_half_hour_and_more() -> list[str]:
    return [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(0, 24 * 60, 20)]


@pytest.mark.parametrize(
    ("times", "said"),
    [
        (["25:00"], "The time must be a time like 08:00, not '25:00'."),
        (["08:00", "8am"], "The time must be a time like 08:00, not '8am'."),
        ([8], "The time must be a time like 08:00, not 8."),
        (["08:00", "20:00", "08:00"], "08:00 is listed twice."),
        ([], "Give at least one time of day."),
        (every_half_hour_and_more(), "Give at most 48 times of day."),
    ],
)
def test_bad_times_answer_400_in_words_and_save_nothing(ann_api, times, said):
    before = AuditEntry.objects.count()

    response = ann_api.post(REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": times})

    assert response.status_code == 400
    assert said in response.json()["errors"]["schedule"]
    assert not MedicationReminder.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_schedule_that_is_neither_a_list_nor_an_object_is_refused_in_words(ann_api):
    response = ann_api.post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": "08:00"}
    )

    assert response.status_code == 400
    assert response.json()["errors"]["schedule"] == [
        'A schedule is a list of times of day (["08:00", "20:00"]) or an object; see the schema\'s examples.'
    ]


# --- b. A confirmation with only `reminder` ------------------------------------------------------

# 08:20 in London (GMT): the 08:00 dose is due, its window open until 09:00; the next is 20:00.
EIGHT_TWENTY = datetime.datetime(2026, 3, 4, 8, 20, tzinfo=UTC)


@pytest.fixture
def pointed_medication(ann):
    return MedicationFactory(patient=ann, medication_name="Metformin")


@pytest.fixture
def pointed_morning_dose(pointed_medication):
    return DoseFactory(
        reminder=pointed_medication, scheduled_at=datetime.datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    )


@pytest.fixture
def pointed_night_dose(pointed_medication):
    return DoseFactory(
        reminder=pointed_medication, scheduled_at=datetime.datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    )


def confirmations_of(reminder) -> list[tuple]:
    return list(
        ConfirmationLog.objects.filter(reminder=reminder).values_list(
            "dose__scheduled_at", "confirmed_by__email"
        )
    )


@pytest.mark.clock(EIGHT_TWENTY)
def test_the_patient_confirms_the_dose_due_now_by_its_medication(
    ann, ann_api, pointed_medication, pointed_morning_dose, pointed_night_dose
):
    response = ann_api.post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert (body["reminder"], body["dose"], body["confirmedAt"], body["role"]) == (
        str(pointed_medication.object_id),
        str(pointed_morning_dose.object_id),
        "2026-03-04T08:20:00Z",
        "patient",
    )
    assert confirmations_of(pointed_medication) == [(pointed_morning_dose.scheduled_at, "ann@example.org")]
    pointed_morning_dose.refresh_from_db()
    pointed_night_dose.refresh_from_db()
    assert (pointed_morning_dose.status, pointed_night_dose.status) == (
        Dose.Status.TAKEN,
        Dose.Status.PENDING,
    )
    assert AuditEntry.objects.filter(
        entity_type="reminders.Dose", entity_id=str(pointed_morning_dose.pk)
    ).exists()


@pytest.mark.clock(EIGHT_TWENTY)
def test_saying_it_twice_is_one_confirmation_not_the_next_dose(
    ann_api, pointed_medication, pointed_morning_dose, pointed_night_dose
):
    first = ann_api.post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})
    again = ann_api.post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert confirmations_of(pointed_medication) == [(pointed_morning_dose.scheduled_at, "ann@example.org")]
    pointed_night_dose.refresh_from_db()
    assert pointed_night_dose.status == Dose.Status.PENDING


@pytest.mark.clock(datetime.datetime(2026, 3, 4, 18, 30, tzinfo=UTC))
def test_a_dose_not_yet_due_is_taken_early_when_it_is_the_nearest(
    ann_api, pointed_medication, pointed_morning_dose, pointed_night_dose
):
    # 18:30: the morning dose is 10.5 hours behind (still pending), the evening one 1.5 hours ahead.
    response = ann_api.post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert response.status_code == 201, response.content.decode()
    assert response.json()["dose"] == str(pointed_night_dose.object_id)
    pointed_morning_dose.refresh_from_db()
    assert pointed_morning_dose.status == Dose.Status.PENDING


@pytest.mark.clock(datetime.datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
def test_a_late_dose_nearer_than_the_next_is_the_one_confirmed_late(
    ann_api, pointed_medication, pointed_morning_dose, pointed_night_dose
):
    response = ann_api.post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["dose"], response.json()["late"]) == (str(pointed_morning_dose.object_id), True)


@pytest.mark.clock(datetime.datetime(2026, 3, 4, 19, 50, tzinfo=UTC))
def test_with_confirmed_at_the_dose_due_at_that_moment_is_meant(
    ann_api, pointed_medication, pointed_morning_dose, pointed_night_dose
):
    # 19:50, the evening dose 10 minutes ahead; "I took it at 08:10" means the morning one.
    response = ann_api.post(
        CONFIRMATIONS, {"reminder": str(pointed_medication.object_id), "confirmedAt": "2026-03-04T08:10:00Z"}
    )

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["dose"], response.json()["confirmedAt"], response.json()["late"]) == (
        str(pointed_morning_dose.object_id),
        "2026-03-04T08:10:00Z",
        False,
    )
    pointed_night_dose.refresh_from_db()
    assert pointed_night_dose.status == Dose.Status.PENDING


@pytest.mark.clock(EIGHT_TWENTY)
def test_a_caregiver_who_may_confirm_confirms_the_dose_due_now(
    carl, api_for, pointed_medication, pointed_morning_dose
):
    response = api_for(carl).post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["dose"], response.json()["role"]) == (
        str(pointed_morning_dose.object_id),
        "caregiver",
    )
    assert confirmations_of(pointed_medication) == [(pointed_morning_dose.scheduled_at, "carl@example.org")]


@pytest.mark.clock(EIGHT_TWENTY)
def test_a_caregiver_who_may_only_view_is_refused_and_nothing_is_recorded(
    vera, api_for, pointed_medication, pointed_morning_dose
):
    response = api_for(vera).post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert response.status_code == 403
    assert response.json()["detail"] == "Your link to this patient does not allow confirming doses."
    assert confirmations_of(pointed_medication) == []
    pointed_morning_dose.refresh_from_db()
    assert pointed_morning_dose.status == Dose.Status.PENDING


@pytest.mark.clock(EIGHT_TWENTY)
def test_an_outsider_gets_404_as_for_a_medication_that_does_not_exist(
    bob, api_for, pointed_medication, pointed_morning_dose
):
    theirs = api_for(bob.user).post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})
    unknown = api_for(bob.user).post(CONFIRMATIONS, {"reminder": "3f5e1c2a-8b7d-4e6f-9a01-2b3c4d5e6f70"})

    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.json() == unknown.json() == {"detail": "No MedicationReminder matches the given query."}
    assert confirmations_of(pointed_medication) == []


@pytest.mark.clock(datetime.datetime(2026, 3, 4, 21, 30, tzinfo=UTC))
def test_no_dose_within_12_hours_answers_409_with_the_reason(ann_api, pointed_medication):
    DoseFactory(reminder=pointed_medication, scheduled_at=datetime.datetime(2026, 3, 4, 8, 0, tzinfo=UTC))

    response = ann_api.post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "No dose of Metformin is due: none is scheduled within 12 hours. "
        "Confirm a particular dose with `dose` instead."
    )
    assert not ConfirmationLog.objects.exists()


@pytest.mark.clock(EIGHT_TWENTY)
def test_an_as_needed_medication_answers_409(ann, ann_api):
    painkiller = AsNeededFactory(patient=ann, medication_name="Paracetamol")

    response = ann_api.post(CONFIRMATIONS, {"reminder": str(painkiller.object_id)})

    assert response.status_code == 409
    assert response.json()["detail"] == "Paracetamol is taken as needed: it has no dose due to confirm."


@pytest.mark.clock(EIGHT_TWENTY)
def test_a_skipped_dose_due_now_answers_409_and_stays_skipped(
    ann, ann_api, pointed_medication, pointed_morning_dose
):
    services.dose_skip(dose=pointed_morning_dose, by=ann.user, reason=Dose.SkipReason.UNWELL)

    response = ann_api.post(CONFIRMATIONS, {"reminder": str(pointed_medication.object_id)})

    assert response.status_code == 409
    assert response.json()["detail"] == "The dose due at 08:00 on 4 March was skipped. Undo the skip first."
    pointed_morning_dose.refresh_from_db()
    assert pointed_morning_dose.status == Dose.Status.SKIPPED


@pytest.mark.clock(EIGHT_TWENTY)
def test_neither_dose_nor_reminder_is_400_in_words(ann_api):
    response = ann_api.post(CONFIRMATIONS, {})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "dose": ["Give the dose that was taken, or the medication (reminder) whose dose is due now."]
    }


@pytest.mark.clock(EIGHT_TWENTY)
def test_a_dose_of_another_medication_than_the_reminder_named_is_400(
    ann, ann_api, pointed_medication, pointed_morning_dose
):
    other = MedicationFactory(patient=ann)

    response = ann_api.post(
        CONFIRMATIONS, {"dose": str(pointed_morning_dose.object_id), "reminder": str(other.object_id)}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"reminder": ["That dose is not of this medication."]}
    assert not ConfirmationLog.objects.exists()


# --- c. A profile without `timeZone` ------------------------------------------------------------

PROFILE = {"displayName": "Una New", "phoneNumber": "+447911123456"}


@pytest.fixture
def newcomer(api_for):
    """An account without a patient profile yet, signed in through the API."""
    user = UserFactory(email="una@example.org")
    return user, api_for(user)


def test_a_profile_without_a_zone_takes_the_one_chosen_in_the_accounts_settings(newcomer):
    user, api = newcomer
    NotificationSettings.objects.create(user=user, time_zone="Europe/Paris")

    response = api.post(PATIENTS, PROFILE)

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["timeZone"], response.json()["timeZoneSource"]) == (
        "Europe/Paris",
        "notificationSettings",
    )
    assert PatientProfile.objects.get(user=user).time_zone == "Europe/Paris"


def test_a_profile_without_a_zone_takes_the_site_default(newcomer, settings):
    settings.PATIENT_DEFAULT_TIME_ZONE = "America/Chicago"
    user, api = newcomer

    response = api.post(PATIENTS, PROFILE)

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["timeZone"], response.json()["timeZoneSource"]) == (
        "America/Chicago",
        "siteDefault",
    )
    assert PatientProfile.objects.get(user=user).time_zone == "America/Chicago"


def test_a_zone_sent_is_the_zone_used(newcomer):
    user, api = newcomer
    NotificationSettings.objects.create(user=user, time_zone="Europe/Paris")

    response = api.post(PATIENTS, {**PROFILE, "timeZone": "Asia/Tokyo"})

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["timeZone"], response.json()["timeZoneSource"]) == ("Asia/Tokyo", "request")
    # Only the answer to creating says where the zone came from.
    assert "timeZoneSource" not in api.get(PATIENTS).json()["results"][0]


def test_an_unknown_zone_is_still_refused_in_words(newcomer):
    user, api = newcomer

    response = api.post(PATIENTS, {**PROFILE, "timeZone": "Mars/Olympus"})

    assert response.status_code == 400
    assert response.json()["errors"]["timeZone"] == ['"Mars/Olympus" is not a valid choice.']
    assert not PatientProfile.objects.filter(user=user).exists()


# --- d. No database id in any answer ------------------------------------------------------------


def test_the_headless_login_names_the_user_by_object_id(ann):
    response = send(Client(), "POST", LOGIN, {"email": "ann@example.org", "password": PASSWORD})

    assert response.status_code == 200
    user = response.json()["data"]["user"]
    assert user["id"] == str(ann.user.object_id)
    assert user["email"] == "ann@example.org"


def test_the_session_answer_names_the_user_by_object_id(ann):
    client = Client()
    token = log_in(client, "ann@example.org")

    response = send(client, "GET", SESSION, token=token)

    assert response.json()["data"]["user"]["id"] == str(ann.user.object_id)


def test_audit_entries_name_their_rows_by_object_id_and_never_the_database_id(ann, ann_api):
    made = ann_api.post(REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": ["08:00"]})
    reminder = MedicationReminder.objects.get()

    entries = ann_api.results(AUDIT)

    created = next(entry for entry in entries if entry["entityType"] == "reminders.MedicationReminder")
    assert created["entityId"] == made.json()["objectId"]
    assert "id" not in created["payload"]["changes"]
    assert "patient_id" not in created["payload"]["changes"]
    assert created["payload"]["changes"]["patient"] == [None, str(ann.object_id)]
    # The doses were made in one statement: one entry, naming their medication.
    doses_made = next(entry for entry in entries if entry["entityType"] == "reminders.Dose")
    assert doses_made["payload"]["reminder"] == str(reminder.object_id)
    assert "reminder_id" not in doses_made["payload"]
    assert len(doses_made["payload"]["scheduled_at"]) == reminder.doses.count()
    sign_in = next(entry for entry in entries if entry["action"] == "login")
    assert sign_in["entityId"] == str(ann.user.object_id)
    one = ann_api.get(detail(AUDIT, created["objectId"])).json()
    assert one == created


def test_an_entity_without_an_object_id_is_named_null(ann, carl, ann_api):
    entries = ann_api.results(AUDIT)
    links = [entry for entry in entries if entry["entityType"] == "patients.CareLink"]

    assert links, "Carl's care link is in Ann's activity"
    (made,) = [entry for entry in links if entry["action"] == "create"]
    assert made["payload"]["changes"]["caregiver"] == [None, str(carl.object_id)]
    assert made["payload"]["changes"]["patient"] == [None, str(ann.object_id)]
    assert all(entry["entityId"] is None for entry in links)
    assert all(
        not name.endswith("_id") and name != "id"
        for entry in links
        for name in entry["payload"].get("changes", {})
    )


# --- Item 4. The playground is reachable from the site -------------------------------------------


def test_signed_in_pages_link_to_the_api_playground_in_their_footer(ann, client):
    client.force_login(ann.user)

    page = client.get("/", follow=True).content.decode()
    footer = page[page.index('<footer class="site-footer">') :]

    assert '<a href="/api/docs/">API playground</a>' in footer
    assert client.get("/api/docs/").status_code == 200


def test_the_footer_of_a_signed_out_page_has_no_playground_link(client):
    page = client.get("/accounts/login/").content.decode()

    assert '<footer class="site-footer">' in page
    assert "API playground" not in page


def test_a_site_default_a_patient_may_not_have_fails_the_system_check(settings):
    settings.PATIENT_DEFAULT_TIME_ZONE = "Etc/GMT+5"

    assert [error.id for error in check_patient_default_time_zone()] == ["api.E001"]
    settings.PATIENT_DEFAULT_TIME_ZONE = "Europe/Paris"
    assert check_patient_default_time_zone() == []
