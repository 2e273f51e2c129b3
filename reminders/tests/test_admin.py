"""Medications and what happened to them, in the admin: staff cannot break the product there.

A schedule is checked there as at every other door and saved by the same services; doses,
confirmations and missed-dose alerts are read-only; a staff member opening a patient's
record is an audited view. It is Monday 2 November 2026, 09:30 in London (GMT).
"""

from __future__ import annotations

import datetime
import json
from datetime import UTC, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from adherence.tests.html import Node, Page, parse
from audit.models import Action, AuditEntry
from patients.tests.factories import PatientFactory
from reminders import services
from reminders.models import Dose, MedicationReminder, MissedDoseAlert
from reminders.schedule import Repeat, Schedule, Step
from reminders.tasks import make_doses

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LONDON = "Europe/London"

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


def twice_daily(*times: str) -> Schedule:
    return Schedule(
        start_date=datetime.date(2026, 11, 1),
        steps=(Step(times=tuple(datetime.time.fromisoformat(at) for at in times), repeat=Repeat("daily")),),
    )


@pytest.fixture
def metformin(ann, clock) -> MedicationReminder:
    """Added yesterday morning: its doses run from yesterday 20:00 to next Sunday 08:00."""
    clock.move_to(NOW - timedelta(days=1))
    reminder = services.medication_create(
        patient=ann, schedule=twice_daily("08:00", "20:00"), medication_name="Metformin", dosage="500 mg"
    )
    clock.move_to(NOW)
    return reminder


def admin_url(model, name: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


def form_values(reminder: MedicationReminder, **changes) -> dict:
    """The change form as the admin page sends it, with these fields changed."""
    values = {
        "medication_name": reminder.medication_name,
        "dosage": reminder.dosage,
        "instructions": reminder.instructions,
        "schedule": json.dumps(reminder.schedule),
        "grace_minutes": reminder.grace_minutes,
        "is_active": "on",
        "time_zone_mode": reminder.time_zone_mode,
        "home_time_zone": reminder.home_time_zone,
    }
    return values | changes


def local_times(reminder: MedicationReminder) -> list[str]:
    return [
        f"{at.astimezone(reminder.zone):%a %H:%M}"
        for at in reminder.doses.order_by("scheduled_at").values_list("scheduled_at", flat=True)
    ]


def field_errors(response) -> list[str]:
    """The messages the admin shows next to the fields."""
    assert response.status_code == 200
    return [item.text for item in parse(response.content).find_all("ul", cls="errorlist")]


# --- Medications: the schedule's checks, and the services -------------------------------------------


def test_it_refuses_a_schedule_without_steps_in_words_and_saves_nothing(admin_client, metformin):
    doses_before = local_times(metformin)
    stored = metformin.schedule

    response = admin_client.post(
        admin_url(MedicationReminder, "change", metformin.pk),
        form_values(metformin, schedule=json.dumps({"start_date": "2026-11-01", "steps": []})),
    )

    assert field_errors(response) == ["Give at least one time of day."]
    metformin.refresh_from_db()
    assert metformin.schedule == stored
    assert local_times(metformin) == doses_before
    assert not AuditEntry.objects.filter(action=Action.UPDATE, entity_type="reminders.MedicationReminder")
    assert make_doses() == 2, "nothing stored for the job to trip over: it tops up as before"


@pytest.mark.parametrize(
    ("schedule", "messages"),
    [
        (
            {"start_date": "2026-11-01", "end_day": "2026-12-01"},
            ["The schedule has something unexpected: end_day."],
        ),
        (
            {
                "start_date": "2026-11-01",
                "steps": [{"times": ["08:00", "08:00"], "repeat": {"kind": "daily"}}],
            },
            ["08:00 is listed twice."],
        ),
        (
            {
                "start_date": "2026-11-01",
                "steps": [{"times": ["08:00"], "repeat": {"kind": "every_n_days", "every": 91}}],
            },
            ["Every N days goes up to every 90 days."],
        ),
    ],
    ids=["unknown key", "a time twice", "past a limit"],
)
def test_it_refuses_what_every_other_door_refuses_with_the_same_words(
    admin_client, metformin, schedule, messages
):
    response = admin_client.post(
        admin_url(MedicationReminder, "change", metformin.pk),
        form_values(metformin, schedule=json.dumps(schedule)),
    )

    assert field_errors(response) == messages
    metformin.refresh_from_db()
    assert metformin.schedule == twice_daily("08:00", "20:00").to_json()


def test_a_change_saved_in_the_admin_remakes_the_doses_to_come_and_names_the_staff_member(
    admin_client, admin_user, metformin
):
    response = admin_client.post(
        admin_url(MedicationReminder, "change", metformin.pk),
        form_values(metformin, schedule=json.dumps(twice_daily("09:00").to_json()), dosage="850 mg"),
    )

    assert response.status_code == 302
    metformin.refresh_from_db()
    # The doses already due stay; from now on, the doses follow the new time.
    assert local_times(metformin)[:3] == ["Sun 20:00", "Mon 08:00", "Tue 09:00"]
    assert local_times(metformin)[-1] == "Mon 09:00"
    assert set(metformin.doses.filter(scheduled_at__gt=NOW).values_list("dosage", flat=True)) == {"850 mg"}
    change = AuditEntry.objects.get(action=Action.UPDATE, entity_type="reminders.MedicationReminder")
    assert (change.actor_id, change.actor_label, change.patient_id) == (
        admin_user.pk,
        admin_user.email,
        metformin.patient_id,
    )
    assert change.payload["changes"]["dosage"] == ["500 mg", "850 mg"]


def test_a_medication_added_in_the_admin_gets_its_doses_in_the_patients_zone(admin_client, ann):
    values = form_values(
        MedicationReminder(
            medication_name="Ramipril", dosage="5 mg", schedule=twice_daily("20:00").to_json()
        ),
        patient=ann.pk,
    )
    del values["home_time_zone"]

    response = admin_client.post(admin_url(MedicationReminder, "add"), values)

    assert response.status_code == 302
    ramipril = MedicationReminder.objects.get(medication_name="Ramipril")
    assert (ramipril.patient, ramipril.home_time_zone) == (ann, LONDON)
    assert local_times(ramipril) == [
        "Mon 20:00",
        "Tue 20:00",
        "Wed 20:00",
        "Thu 20:00",
        "Fri 20:00",
        "Sat 20:00",
        "Sun 20:00",
    ]


def test_the_patient_of_a_medication_cannot_be_changed_nor_a_medication_deleted(admin_client, metformin):
    bob = PatientFactory()

    admin_client.post(
        admin_url(MedicationReminder, "change", metformin.pk), form_values(metformin, patient=bob.pk)
    )

    metformin.refresh_from_db()
    assert metformin.patient_id != bob.pk
    assert (
        admin_client.post(admin_url(MedicationReminder, "delete", metformin.pk), {"post": "yes"}).status_code
        == 403
    )
    assert MedicationReminder.objects.filter(pk=metformin.pk).exists()


def test_pausing_from_the_admin_removes_the_doses_to_come_and_resuming_makes_them_again(
    admin_client, metformin
):
    changelist = admin_url(MedicationReminder, "changelist")

    admin_client.post(changelist, {"action": "pause", ACTION_CHECKBOX_NAME: [metformin.pk]})

    metformin.refresh_from_db()
    assert not metformin.is_active
    assert local_times(metformin) == ["Sun 20:00", "Mon 08:00"]

    admin_client.post(changelist, {"action": "resume", ACTION_CHECKBOX_NAME: [metformin.pk]})

    assert local_times(metformin)[:3] == ["Sun 20:00", "Mon 08:00", "Mon 20:00"]


# --- Doses, confirmations, missed-dose alerts: read-only ----------------------------------------------


@pytest.fixture
def history(ann, metformin) -> dict:
    """This morning's dose taken, yesterday evening's missed and alerted."""
    taken = metformin.doses.get(scheduled_at=datetime.datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    log = services.dose_confirm(dose=taken, by=ann.user, method="web")
    missed = metformin.doses.get(scheduled_at=datetime.datetime(2026, 11, 1, 20, 0, tzinfo=UTC))
    Dose.objects.filter(pk=missed.pk).update(status=Dose.Status.MISSED)
    alert = MissedDoseAlert.objects.create(
        reminder=metformin, dose=missed, patient=ann, alerted_at=NOW - timedelta(hours=12)
    )
    return {"dose": taken, "confirmation": log, "alert": alert}


@pytest.mark.parametrize("name", ["dose", "confirmation", "alert"])
def test_what_happened_can_be_read_but_not_added_changed_or_deleted(admin_client, history, name):
    record = history[name]
    model = type(record)

    assert admin_client.get(admin_url(model, "change", record.pk)).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "change", record.pk), {"status": "pending"}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=record.pk).exists()


def test_missed_dose_alerts_are_listed_and_found_by_the_patients_email(admin_client, history):
    olgas = MissedDoseAlert.objects.create(
        reminder=(
            olga_pill := services.medication_create(
                patient=PatientFactory(user__email="olga@example.org"),
                schedule=twice_daily("07:00"),
                medication_name="Pill",
                dosage="1",
            )
        ),
        dose=Dose.objects.create(
            reminder=olga_pill,
            patient=olga_pill.patient,
            scheduled_at=NOW - timedelta(days=2),
            window_ends_at=NOW - timedelta(days=2),
            status=Dose.Status.MISSED,
        ),
        patient=olga_pill.patient,
        alerted_at=NOW - timedelta(days=2),
        acknowledged_at=NOW - timedelta(days=2),
    )
    changelist = admin_url(MissedDoseAlert, "changelist")

    def listed(query: str = "") -> list[MissedDoseAlert]:
        response = admin_client.get(changelist + query)
        assert response.status_code == 200
        return list(response.context["cl"].result_list)

    assert listed() == [history["alert"], olgas]
    assert listed("?q=ann@example.org") == [history["alert"]]
    assert listed("?acknowledged_at__isempty=1") == [history["alert"]]
    assert listed("?acknowledged_at__isempty=0") == [olgas]
    page = Page(admin_client.get(changelist))
    assert "Add missed-dose alert" not in page.main


# --- Staff reads are audited --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "entity_type", "medication"),
    [
        ("dose", "reminders.Dose", "Metformin"),
        ("confirmation", "reminders.ConfirmationLog", "Metformin"),
        ("alert", "reminders.MissedDoseAlert", "Metformin"),
    ],
)
def test_a_staff_member_opening_a_record_leaves_a_view_in_the_patients_trail(
    admin_client, admin_user, ann, history, name, entity_type, medication
):
    record = history[name]

    admin_client.get(admin_url(type(record), "change", record.pk))

    view = AuditEntry.objects.get(action=Action.VIEW)
    assert (view.actor_id, view.actor_label, view.patient_id) == (admin_user.pk, "admin@example.com", ann.pk)
    assert (view.entity_type, view.entity_id, view.payload["medication"]) == (
        entity_type,
        str(record.pk),
        medication,
    )


def test_a_staff_member_listing_doses_leaves_one_view_for_each_patient_on_the_page(
    admin_client, ann, metformin
):
    olga = PatientFactory()
    services.medication_create(
        patient=olga, schedule=twice_daily("07:00"), medication_name="Pill", dosage="1"
    )
    nobody_listed = PatientFactory()

    admin_client.get(admin_url(Dose, "changelist"))

    views = AuditEntry.objects.filter(action=Action.VIEW)
    assert sorted(views.values_list("patient_id", flat=True)) == sorted([ann.pk, olga.pk])
    assert not views.filter(patient_id=nobody_listed.pk).exists()
    assert all(view.payload["list"] for view in views)


def test_the_patient_reads_which_staff_member_viewed_their_medication(client, admin_client, ann, metformin):
    admin_client.get(admin_url(MedicationReminder, "change", metformin.pk))
    admin_client.get(admin_url(MedicationReminder, "changelist") + f"?patient__id__exact={ann.pk}")
    client.force_login(ann.user)

    rows: list[Node] = Page(client.get("/activity/")).root.find("tbody").find_all("tr")
    said = [(row.find_all("td")[1].text, row.find_all("td")[2].text) for row in rows]

    assert said[:2] == [
        ("Clinic staff member admin@example.com", "Viewed a list that includes your medications"),
        ("Clinic staff member admin@example.com", "Viewed your medication Metformin"),
    ]
