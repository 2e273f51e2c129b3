"""Bounded schedules, and the cost of pausing one (issue 21, item 3).

The API and the medication form refuse the same oversized schedules with the same words
(reminders/schedule.py holds the limits); nothing is saved. Pausing or rebuilding a medication
removes its future doses in one DELETE with one audit entry, however many there are, and what
pointed at those doses (an undone confirmation, a notification) is kept and let go of them.
Ann lives in London; it is Wednesday 4 March 2026, 06:00 UTC (the shared clock).
"""

from __future__ import annotations

import datetime
from datetime import UTC

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from adherence.tests.html import post
from api.tests.helpers import REMINDERS
from audit.models import AuditEntry
from notifications.models import Channel, Kind, Notification
from reminders import schedule as rules
from reminders import services
from reminders.models import ConfirmationLog, Dose, MedicationReminder
from reminders.schedule import Repeat, Schedule, Step

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NOW = datetime.datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def one_step(times: list[str], **schedule) -> dict:
    return {"start_date": "2026-03-04", "steps": [{"times": times, "repeat": {"kind": "daily"}}], **schedule}


def as_needed(count: int, hours: int) -> dict:
    return {"start_date": "2026-03-04", "as_needed": True, "max_per_period": {"count": count, "hours": hours}}


def every_minute() -> list[str]:
    return [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60)]


OVERSIZED = [
    (one_step(every_minute()), f"Give at most {rules.MAX_TIMES_PER_DAY} times of day."),
    (
        {
            "start_date": "2026-03-04",
            "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}, "days": 1}] * 5000,
        },
        f"A schedule has at most {rules.MAX_STEPS} steps.",
    ),
    (as_needed(1, 10**30), "The most-doses limit goes up to 50 doses in up to 168 hours."),
    (as_needed(10**30, 24), "The most-doses limit goes up to 50 doses in up to 168 hours."),
]


@pytest.mark.parametrize(("schedule", "said"), OVERSIZED)
def test_the_api_refuses_an_oversized_schedule_in_words_and_saves_nothing(ann_api, schedule, said):
    before = AuditEntry.objects.count()

    response = ann_api.post(REMINDERS, {"medicationName": "Big", "dosage": "1", "schedule": schedule})

    assert response.status_code == 400
    assert said in response.json()["errors"]["schedule"]
    assert not MedicationReminder.objects.exists()
    assert not Dose.objects.exists()
    assert AuditEntry.objects.count() == before


def test_the_form_refuses_the_same_maximum_in_the_same_words_and_keeps_what_was_typed(client, ann):
    client.force_login(ann.user)
    typed = {
        "medication_name": "Ibuprofen",
        "dosage": "200 mg",
        "kind": "as_needed",
        "start_date": "2026-03-04",
        "end": "none",
        "grace_minutes": "60",
        "time_zone_mode": "local",
        "max_count": "2",
        "max_hours": str(10**30),
    }

    page = post(client, reverse("reminders:medication_new", args=[ann.pk]), typed)

    assert "The most-doses limit goes up to 50 doses in up to 168 hours." in page.main
    assert page.value("max_hours") == str(10**30)
    assert page.value("medication_name") == "Ibuprofen"
    assert not MedicationReminder.objects.exists()


def test_a_limit_stored_before_the_bounds_does_not_break_take_a_dose_now(client, ann):
    """A schedule saved before its bounds were checked: "take a dose now" answers, never 500."""
    reminder = services.medication_create(
        patient=ann, schedule=Schedule.from_json(as_needed(2, 24)), medication_name="Ibuprofen", dosage="1"
    )
    MedicationReminder.objects.filter(pk=reminder.pk).update(schedule=as_needed(2, 10**30))
    client.force_login(ann.user)
    url = reverse("reminders:medication_take", args=[ann.pk, reminder.pk])

    page = post(client, url, {})

    assert page.messages == ["A dose of Ibuprofen is recorded."]
    assert Dose.objects.filter(reminder=reminder, status=Dose.Status.TAKEN).count() == 1


# --- Pausing: one statement, one entry -------------------------------------------------------------


def medication_with(ann, times: int) -> MedicationReminder:
    """A medication taken `times` times a day, its doses made a week ahead."""
    clock_times = tuple(
        datetime.time(minute // 60, minute % 60) for minute in range(0, 24 * 60, 1440 // times)
    )
    schedule = Schedule(
        start_date=datetime.date(2026, 3, 1), steps=(Step(times=clock_times, repeat=Repeat(kind="daily")),)
    )
    return services.medication_create(patient=ann, schedule=schedule, medication_name=f"x{times}", dosage="1")


def pause(reminder: MedicationReminder) -> tuple[int, list[str]]:
    """Pause it; (how many doses it lost, the SQL run)."""
    before = reminder.doses.count()
    with CaptureQueriesContext(connection) as queries:
        services.medication_set_active(reminder=reminder, active=False)
    sql = [query["sql"] for query in queries.captured_queries]
    return before - reminder.doses.count(), [q for q in sql if "SAVEPOINT" not in q]


def test_pausing_costs_the_same_few_statements_and_one_entry_however_many_doses(ann):
    small, large = medication_with(ann, 1), medication_with(ann, rules.MAX_TIMES_PER_DAY)
    entries = AuditEntry.objects.count()

    removed_small, small_sql = pause(small)
    after_small = AuditEntry.objects.count()
    removed_large, large_sql = pause(large)

    assert (removed_small, removed_large) == (7, 7 * 48 - 1)  # a week of every half hour after 06:00
    # The medication's UPDATE and its entry; lock it; the undone confirmations and the
    # notifications' links to its doses; one DELETE; one entry.
    assert len(small_sql) == len(large_sql) == 7, large_sql
    deletes = [sql for sql in large_sql if sql.startswith("DELETE")]
    assert [sql.split(" WHERE")[0] for sql in deletes] == [
        'DELETE FROM "notifications_notification_doses"',
        'DELETE FROM "reminders_dose"',
    ]
    # Per pause: the medication's change, and one entry for all its doses.
    assert after_small - entries == 2
    assert AuditEntry.objects.count() - after_small == 2
    removal = AuditEntry.objects.filter(action="delete", entity_type="reminders.Dose").get(
        payload__reminder_id=large.pk
    )
    assert removal.payload["summary"] == "335 future doses removed"
    assert removal.payload["removed"] == 335
    assert removal.actor_type == "system"
    assert not large.doses.filter(scheduled_at__gt=NOW).exists()


def test_the_pause_page_writes_one_entry_for_the_doses_it_removes(client, ann):
    reminder = medication_with(ann, 4)
    client.force_login(ann.user)

    page = post(client, reverse("reminders:medication_pause", args=[ann.pk, reminder.pk]), {})

    assert page.messages == [f"{reminder.medication_name} is paused: no doses until you resume it."]
    removal = AuditEntry.objects.get(action="delete", entity_type="reminders.Dose")
    assert removal.payload["summary"] == "27 future doses removed"  # 4 a day for a week, less 00:00
    assert (removal.actor_type, removal.actor_label) == ("user", ann.user.email)
    assert removal.patient_id == ann.pk


def test_rebuilding_removes_in_one_entry_and_makes_again_in_one_entry(ann):
    reminder = medication_with(ann, 2)
    last = AuditEntry.objects.order_by("pk").last().pk

    services.medication_update(
        reminder=reminder, schedule=Schedule.from_json(one_step(["09:00", "21:00"], start_date="2026-03-01"))
    )

    new = AuditEntry.objects.filter(pk__gt=last).order_by("pk")
    dose_entries = [
        (entry.action, entry.payload.get("summary")) for entry in new.filter(entity_type="reminders.Dose")
    ]
    assert dose_entries == [("delete", "14 future doses removed"), ("create", None)]
    assert [dose.scheduled_at.strftime("%H:%M") for dose in reminder.doses.all()[:2]] == ["09:00", "21:00"]


def test_an_undone_confirmation_of_a_future_dose_is_kept_and_named_when_its_dose_goes(ann):
    """Taken 6 hours early, then undone: the dose is pending again. Pausing removes it; the
    record of the confirmation stays, without its dose, and the entry says which it was."""
    reminder = medication_with(ann, 4)
    dose = reminder.doses.get(scheduled_at=datetime.datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    log = services.dose_confirm(dose=dose, by=ann.user, method="web", taken_at=NOW)
    services.dose_undo(dose=dose, by=ann.user)
    dose.refresh_from_db()
    assert dose.status == Dose.Status.PENDING

    services.medication_set_active(reminder=reminder, active=False)

    assert not Dose.objects.filter(pk=dose.pk).exists()
    log.refresh_from_db()
    assert (log.dose_id, log.undone_at is not None) == (None, True)
    assert ConfirmationLog.objects.count() == 1
    removal = AuditEntry.objects.get(action="delete", entity_type="reminders.Dose")
    assert removal.payload["confirmations_unlinked"] == [str(log.object_id)]


def test_a_notification_about_a_future_dose_lets_go_of_it(ann):
    """A message that named a dose (on PostgreSQL a foreign key) does not block the pause."""
    reminder = medication_with(ann, 1)
    future = reminder.doses.order_by("scheduled_at").last()
    notification = Notification.objects.create(
        recipient=ann.user,
        channel=Channel.IN_APP,
        kind=Kind.REMINDER,
        patient=ann,
        title="Time for your dose",
        body="",
        dedup_key="test:future-dose",
        created_at=NOW,
    )
    notification.doses.add(future)

    services.medication_set_active(reminder=reminder, active=False)

    assert not Dose.objects.filter(pk=future.pk).exists()
    assert list(Notification.objects.get(pk=notification.pk).doses.all()) == []
