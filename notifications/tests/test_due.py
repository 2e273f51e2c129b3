"""Due-dose reminders against the real database: once when due, again when repeating or snoozed,
quiet hours, one message for doses due together, nothing for a paused patient or medication.

The clock is fixed with time_machine. What is asserted is what the patient sees: the messages in
the app and the emails (with their signed Taken and Skip links), when they arrive, and their titles.
"""

from __future__ import annotations

import datetime
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from notifications.delivery import deliver_due
from notifications.due import remind_due
from notifications.links import read_token
from notifications.models import Channel, Kind, Notification, NotificationSettings
from notifications.sweep import sweep_missed
from notifications.tests.world import DAY, MINUTE, at, dose_at, medication, told
from patients.tests.factories import PatientFactory
from reminders import services
from reminders.models import Dose
from reminders.schedule import MaxPerPeriod, Schedule
from reminders.services import DoseError, dose_snooze
from reminders.tests.factories import DoseFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
LINK = re.compile(r"http://\S+/dose-link/([^/\s]+)/")


def reminded_at(user) -> list[datetime.datetime]:
    """When the person was reminded in the app, oldest first."""
    return list(
        Notification.objects.filter(recipient=user, channel=Channel.IN_APP, kind=Kind.REMINDER)
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
    )


def run_every_minute(clock, start: datetime.datetime, end: datetime.datetime) -> None:
    """What the scheduler does: reminders, sweep and delivery once a minute, from start to end inclusive."""
    now = start
    while now <= end:
        clock.move_to(now)
        remind_due()
        sweep_missed()
        deliver_due()
        now += MINUTE


# --- The first reminder --------------------------------------------------------------------------


def test_it_reminds_a_due_dose_once_in_the_app_and_by_email(morning, ann, clock):
    clock.move_to(at(7, 59))
    assert remind_due() == 0
    assert not Notification.objects.exists()

    clock.move_to(at(8))
    assert remind_due() == 1

    assert told(ann.user) == [(Kind.REMINDER, "Time for Metformin 500 mg")]
    assert told(ann.user, Channel.EMAIL) == [(Kind.REMINDER, "Time for Metformin 500 mg")]
    in_app = Notification.objects.get(recipient=ann.user, channel=Channel.IN_APP)
    assert (in_app.status, in_app.sent_at, in_app.body) == (
        Notification.Status.SENT,
        at(8),
        "Due at 08:00. Tap Taken once you have had it.",
    )
    dose = dose_at(morning, at(8))
    assert (dose.reminded_at, dose.reminders_sent, dose.remind_again_at) == (at(8), 1, None)
    assert list(in_app.doses.all()) == [dose]

    for later in (at(8, 1), at(8, 30), at(8, 59)):
        clock.move_to(later)
        assert remind_due() == 0
    assert len(told(ann.user)) == 1
    assert Notification.objects.count() == 2


def test_the_reminder_email_carries_signed_taken_and_skip_links(morning, ann, clock):
    clock.move_to(at(8))
    remind_due()

    assert deliver_due() == {"sent": 1}

    [email] = mail.outbox
    assert (email.to, email.subject) == ([ann.user.email], "Time for Metformin 500 mg")
    dose = dose_at(morning, at(8))
    links = [read_token(token) for token in LINK.findall(email.body)]
    assert [(link.dose, link.user, link.action) for link in links] == [
        (dose, ann.user, "taken"),
        (dose, ann.user, "skip"),
    ]
    assert "Metformin 500 mg, due 08:00" in email.body
    html, _ = email.alternatives[0]
    assert LINK.findall(html) == LINK.findall(email.body)
    assert Notification.objects.get(channel=Channel.EMAIL).status == Notification.Status.SENT


def test_the_reminder_email_gives_the_time_on_the_patients_own_clock(clock):
    nina = PatientFactory(display_name="Nina", time_zone="America/New_York")
    medication(nina, "08:00")
    clock.move_to(at(13))  # 08:00 in New York
    remind_due()

    deliver_due()

    [email] = mail.outbox
    assert "Due at 08:00." in email.body
    assert "Metformin 500 mg, due 08:00" in email.body


def test_an_as_needed_medication_is_never_reminded(ann, clock):
    ibuprofen = services.medication_create(
        patient=ann,
        schedule=Schedule(
            start_date=datetime.date(2026, 1, 1), as_needed=True, max_per_period=MaxPerPeriod(4, 24)
        ),
        medication_name="Ibuprofen",
        dosage="400 mg",
    )
    clock.move_to(at(8))
    services.as_needed_take(reminder=ibuprofen, by=ann.user, method="web")
    run_every_minute(clock, at(8), at(10))
    assert not Notification.objects.exists()

    # Even an as-needed dose left pending (the app makes none) is not a reminder's business.
    DoseFactory(reminder=ibuprofen, as_needed=True, scheduled_at=at(10, 30))
    for minute in range(60):
        clock.move_to(at(10, 30) + minute * MINUTE)
        assert remind_due() == 0
    assert not Notification.objects.exists()


# --- Again: every N minutes, or a snooze ---------------------------------------------------------


@pytest.fixture
def every_15_minutes(ann):
    return NotificationSettings.objects.create(user=ann.user, repeat_every_minutes=15)


def test_it_reminds_again_every_n_minutes_until_the_window_ends(morning, ann, every_15_minutes, clock):
    run_every_minute(clock, at(7, 55), at(9, 30))

    assert reminded_at(ann.user) == [at(8), at(8, 15), at(8, 30), at(8, 45)]
    assert told(ann.user) == [(Kind.REMINDER, "Time for Metformin 500 mg")] * 4 + [
        (Kind.MISSED, "Missed: Metformin 500 mg")
    ]
    assert told(ann.user, Channel.EMAIL) == told(ann.user)
    dose = dose_at(morning, at(8))
    assert (dose.status, dose.reminders_sent, dose.remind_again_at) == (Dose.Status.MISSED, 4, None)
    # Each repeat went out by email too; the missed-dose message followed at 09:00.
    assert len(mail.outbox) == 5
    assert mail.outbox[-1].subject == "Missed: Metformin 500 mg"


def test_it_stops_reminding_once_the_dose_is_taken(morning, ann, every_15_minutes, clock):
    run_every_minute(clock, at(7, 55), at(8, 20))
    clock.move_to(at(8, 20) + timedelta(seconds=30))
    services.dose_confirm(dose=dose_at(morning, at(8)), by=ann.user, method="web")

    run_every_minute(clock, at(8, 21), at(10))

    assert reminded_at(ann.user) == [at(8), at(8, 15)]
    assert [email.subject for email in mail.outbox] == ["Time for Metformin 500 mg"] * 2


@pytest.mark.parametrize("minutes", [10, 30, 60])
def test_a_snoozed_dose_is_reminded_again_at_that_time(ann, clock, minutes):
    metformin = medication(ann, "08:00", grace=120)
    run_every_minute(clock, at(8), at(8, 5))
    clock.move_to(at(8, 5) + timedelta(seconds=20))

    snoozed = dose_snooze(dose=dose_at(metformin, at(8)), minutes=minutes)

    again = at(8, 5) + timedelta(seconds=20) + timedelta(minutes=minutes)
    assert snoozed.remind_again_at == again
    assert dose_at(metformin, at(8)).remind_again_at == again
    run_every_minute(clock, at(8, 6), at(9, 50))
    first_minute_after = again.replace(second=0) + MINUTE
    assert reminded_at(ann.user) == [at(8), first_minute_after]
    dose = dose_at(metformin, at(8))
    assert (dose.reminders_sent, dose.remind_again_at) == (2, None)


def test_a_snooze_chosen_before_the_first_reminder_went_stands(morning, ann, clock):
    # 08:00:20: the patient has the Today page open and snoozes before the scheduler's next minute.
    clock.move_to(at(8) + timedelta(seconds=20))
    dose_snooze(dose=dose_at(morning, at(8)), minutes=10)

    run_every_minute(clock, at(8, 1), at(8, 30))

    assert reminded_at(ann.user) == [at(8, 11)]
    dose = dose_at(morning, at(8))
    assert (dose.reminded_at, dose.reminders_sent, dose.remind_again_at) == (at(8, 1), 1, None)


def test_a_snooze_past_the_window_is_refused_with_the_time_it_counts_as_missed(clock):
    nina = PatientFactory(display_name="Nina", time_zone="America/New_York")
    metformin = medication(nina, "08:00", grace=60)  # 13:00 UTC; missed from 09:00 New York time
    dose = dose_at(metformin, at(13))
    clock.move_to(at(13, 30))

    assert dose_snooze(dose=dose, minutes=10).remind_again_at == at(13, 40)
    with pytest.raises(DoseError) as refused:
        dose_snooze(dose=dose, minutes=30)  # 09:00: the very moment it counts as missed

    assert str(refused.value) == (
        "A reminder then would be too late: this dose counts as missed at 09:00. Take it now, or skip it."
    )
    assert dose_at(metformin, at(13)).remind_again_at == at(13, 40)


def test_a_snooze_of_another_length_or_of_a_recorded_dose_is_refused(morning, ann, clock):
    dose = dose_at(morning, at(8))
    clock.move_to(at(8, 5))
    with pytest.raises(DoseError, match=r"^Choose 10, 30 or 60 minutes\.$"):
        dose_snooze(dose=dose, minutes=45)

    services.dose_confirm(dose=dose, by=ann.user, method="web")
    with pytest.raises(DoseError, match="already recorded"):
        dose_snooze(dose=dose, minutes=10)
    stale = Dose.objects.get(pk=dose.pk)
    stale.status = Dose.Status.PENDING  # a page opened before the dose was taken
    with pytest.raises(DoseError, match="already recorded"):
        dose_snooze(dose=stale, minutes=10)
    assert Dose.objects.get(pk=dose.pk).remind_again_at is None


# --- Quiet hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dose_time", "released"),
    [
        # Quiet from 22:00 to 07:00 New York time (EST, UTC-5, on these days).
        ("22:30", datetime.datetime(2026, 3, 5, 7, tzinfo=NEW_YORK)),  # until tomorrow morning
        ("23:59", datetime.datetime(2026, 3, 5, 7, tzinfo=NEW_YORK)),
        ("00:00", datetime.datetime(2026, 3, 5, 7, tzinfo=NEW_YORK)),  # after midnight: this morning
        ("06:59", datetime.datetime(2026, 3, 5, 7, tzinfo=NEW_YORK)),
    ],
)
def test_quiet_hours_hold_the_email_until_they_end_while_the_app_shows_it_at_once(clock, dose_time, released):
    nina = PatientFactory(display_name="Nina", time_zone="America/New_York")
    NotificationSettings.objects.create(
        user=nina.user,
        quiet_start=datetime.time(22),
        quiet_end=datetime.time(7),
        time_zone="America/New_York",
    )
    clock.move_to(datetime.datetime(2026, 3, 4, 12, tzinfo=NEW_YORK))
    metformin = medication(nina, dose_time, grace=12 * 60)
    day = datetime.date(2026, 3, 4) if dose_time >= "22:00" else datetime.date(2026, 3, 5)
    due = datetime.datetime.combine(day, datetime.time.fromisoformat(dose_time), tzinfo=NEW_YORK)
    clock.move_to(due)

    remind_due()
    deliver_due()

    in_app = Notification.objects.get(recipient=nina.user, channel=Channel.IN_APP)
    email = Notification.objects.get(recipient=nina.user, channel=Channel.EMAIL)
    assert (in_app.status, in_app.sent_at) == (Notification.Status.SENT, due)
    assert (email.status, email.next_attempt_at) == (Notification.Status.PENDING, released)
    assert mail.outbox == []

    clock.move_to(released - timedelta(seconds=1))
    assert deliver_due() == {}
    assert mail.outbox == []
    clock.move_to(released)
    assert deliver_due() == {"sent": 1}
    assert [message.subject for message in mail.outbox] == ["Time for Metformin 500 mg"]
    assert dose_at(metformin, due).status == Dose.Status.PENDING


@pytest.mark.parametrize("dose_time", ["07:00", "12:00", "21:59"])
def test_outside_quiet_hours_the_email_goes_at_once(clock, dose_time):
    nina = PatientFactory(display_name="Nina", time_zone="America/New_York")
    NotificationSettings.objects.create(
        user=nina.user,
        quiet_start=datetime.time(22),
        quiet_end=datetime.time(7),
        time_zone="America/New_York",
    )
    clock.move_to(datetime.datetime(2026, 3, 4, 6, tzinfo=NEW_YORK))
    medication(nina, dose_time)
    clock.move_to(datetime.datetime.combine(DAY, datetime.time.fromisoformat(dose_time), tzinfo=NEW_YORK))

    remind_due()

    assert deliver_due() == {"sent": 1}
    assert [message.to for message in mail.outbox] == [[nina.user.email]]


def test_a_reminder_held_by_quiet_hours_is_cancelled_when_the_dose_is_taken_meanwhile(clock):
    nina = PatientFactory(display_name="Nina", time_zone="America/New_York")
    NotificationSettings.objects.create(
        user=nina.user,
        quiet_start=datetime.time(22),
        quiet_end=datetime.time(7),
        time_zone="America/New_York",
    )
    metformin = medication(nina, "06:30", grace=120)
    due = datetime.datetime(2026, 3, 4, 6, 30, tzinfo=NEW_YORK)
    clock.move_to(due)
    remind_due()
    clock.move_to(due + timedelta(minutes=10))
    services.dose_confirm(dose=dose_at(metformin, due), by=nina.user, method="web")
    clock.move_to(datetime.datetime(2026, 3, 4, 7, tzinfo=NEW_YORK))

    assert deliver_due() == {"cancelled": 1}

    assert mail.outbox == []
    email = Notification.objects.get(channel=Channel.EMAIL)
    assert (email.status, email.sent_at, email.last_error) == (
        Notification.Status.CANCELLED,
        None,
        "the dose was already answered",
    )


# --- Cancelled, grouped, paused ------------------------------------------------------------------


def test_a_reminder_whose_dose_was_confirmed_before_delivery_is_cancelled_not_sent(morning, ann, clock):
    clock.move_to(at(8))
    remind_due()
    clock.move_to(at(8) + timedelta(seconds=30))
    services.dose_confirm(dose=dose_at(morning, at(8)), by=ann.user, method="web")

    assert deliver_due() == {"cancelled": 1}

    assert mail.outbox == []
    assert Notification.objects.get(channel=Channel.EMAIL).status == Notification.Status.CANCELLED
    # The in-app message stays, as it was.
    assert told(ann.user) == [(Kind.REMINDER, "Time for Metformin 500 mg")]


def test_a_reminder_whose_dose_was_skipped_before_delivery_is_cancelled(morning, ann, clock):
    clock.move_to(at(8))
    remind_due()
    services.dose_skip(dose=dose_at(morning, at(8)), by=ann.user, reason="away")

    assert deliver_due() == {"cancelled": 1}
    assert mail.outbox == []


def test_doses_due_at_the_same_moment_give_one_message(ann, clock):
    metformin = medication(ann, "08:00")
    aspirin = medication(ann, "08:00", name="Aspirin")
    statin = medication(ann, "08:00", name="Statin")
    bob = PatientFactory(display_name="Bob")
    medication(bob, "08:00", name="Warfarin")
    clock.move_to(at(8))

    assert remind_due() == 4

    assert told(ann.user) == [(Kind.REMINDER, "3 medications due")]
    assert told(ann.user, Channel.EMAIL) == [(Kind.REMINDER, "3 medications due")]
    assert told(bob.user) == [(Kind.REMINDER, "Time for Warfarin 500 mg")]
    message = Notification.objects.get(recipient=ann.user, channel=Channel.IN_APP)
    doses = [dose_at(reminder, at(8)) for reminder in (aspirin, metformin, statin)]
    assert set(message.doses.all()) == set(doses)
    assert sorted(message.body.splitlines()[:3]) == [
        "• Aspirin 500 mg, 08:00",
        "• Metformin 500 mg, 08:00",
        "• Statin 500 mg, 08:00",
    ]

    # One email for Ann, with links for the doses still pending only.
    services.dose_confirm(dose=doses[0], by=ann.user, method="web")
    deliver_due()
    [email] = [message for message in mail.outbox if message.to == [ann.user.email]]
    assert email.subject == "3 medications due"
    assert {(link.dose, link.action) for link in map(read_token, LINK.findall(email.body))} == {
        (dose, action) for dose in doses[1:] for action in ("taken", "skip")
    }


def test_doses_due_at_different_moments_give_one_message_each(ann, clock):
    medication(ann, "08:00")
    medication(ann, "08:10", name="Aspirin")

    run_every_minute(clock, at(7, 55), at(8, 30))

    assert told(ann.user) == [
        (Kind.REMINDER, "Time for Metformin 500 mg"),
        (Kind.REMINDER, "Time for Aspirin 500 mg"),
    ]
    assert reminded_at(ann.user) == [at(8), at(8, 10)]


def test_after_downtime_only_doses_still_open_are_reminded_in_one_message(ann, clock):
    medication(ann, "07:00", "09:00", grace=30)
    medication(ann, "08:45", grace=60, name="Aspirin")
    clock.move_to(at(9, 10))  # nothing ran since 06:00

    assert remind_due() == 2

    assert told(ann.user) == [(Kind.REMINDER, "2 medications due")]
    message = Notification.objects.get(recipient=ann.user, channel=Channel.IN_APP)
    assert sorted(message.doses.values_list("scheduled_at", flat=True)) == [at(8, 45), at(9)]


def test_a_paused_patient_gets_no_reminder(morning, ann, clock):
    NotificationSettings.objects.create(user=ann.user, repeat_every_minutes=10)
    ann.is_active = False
    ann.save()

    run_every_minute(clock, at(7, 55), at(8, 59))

    assert not Notification.objects.exists()
    assert mail.outbox == []
    dose = dose_at(morning, at(8))
    # Nothing counted or planned: the Today page shows no "next reminder" for it.
    assert (dose.status, dose.reminders_sent, dose.remind_again_at) == (Dose.Status.PENDING, 0, None)


def test_a_paused_medication_gets_no_reminder_while_the_others_do(ann, clock):
    metformin = medication(ann, "08:00")
    medication(ann, "08:00", name="Aspirin")
    clock.move_to(at(8))
    services.medication_set_active(reminder=metformin, active=False)
    assert dose_at(metformin, at(8)).status == Dose.Status.PENDING  # already due: it stays

    run_every_minute(clock, at(8), at(8, 59))

    assert told(ann.user) == [(Kind.REMINDER, "Time for Aspirin 500 mg")]
    assert [message.subject for message in mail.outbox] == ["Time for Aspirin 500 mg"]
    assert dose_at(metformin, at(8)).reminders_sent == 0


def test_a_reminder_that_was_paused_meanwhile_is_cancelled_before_delivery(morning, ann, clock):
    clock.move_to(at(8))
    remind_due()
    ann.is_active = False
    ann.save()

    assert deliver_due() == {"cancelled": 1}
    assert mail.outbox == []
