"""A whole day of reminders, missed doses, alerts and emails, minute by minute, as the scheduler runs it.

Four patients in four time zones (London, New York on the day its clocks spring forward, Kolkata
at +05:30, Lord Howe at +11:00), three medications each, caregivers with different delays. Some
doses are taken in time, some late, one is skipped, one is snoozed, one caregiver says "I'm
handling it", one patient has quiet hours, one reminds every 30 minutes, one pauses in the evening.

Every minute from 00:00 to 23:59 UTC on Sunday 8 March 2026 the test runs remind_due(),
sweep_missed() and deliver_due(), in that order, as the three periodic jobs do. What people do
happens half a minute after a run. The expected messages, alerts and emails are worked out below
from the scenario alone, by the rules people were promised (not by reading what the code wrote),
and the database must hold exactly those.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import UserFactory
from notifications.delivery import deliver_due
from notifications.due import remind_due
from notifications.models import Channel, Kind, Notification, NotificationSettings
from notifications.services import alert_acknowledge
from notifications.sweep import sweep_missed
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.models import Dose, MissedDoseAlert
from reminders.schedule import Schedule
from reminders.services import dose_snooze
from reminders.tests.factories import daily

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
END = START + timedelta(days=1)
STEP = timedelta(minutes=1)
# People act half a minute after a run of the jobs.
LATER = timedelta(seconds=30)
NEVER = datetime.datetime.max.replace(tzinfo=UTC)


def utc(hour: int, minute: int = 0) -> datetime.datetime:
    """When someone acts on 8 March 2026: half a minute after the jobs ran at hour:minute UTC."""
    return START + timedelta(hours=hour, minutes=minute) + LATER


# --- The scenario --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    zone: str
    repeat_every: int | None = None
    quiet: tuple[str, str] | None = None
    paused_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Medication:
    patient: str
    name: str
    times: tuple[str, ...]
    grace: int
    paused: bool = False


@dataclass(frozen=True)
class Link:
    caregiver: str
    patient: str
    delay: int
    status: str = CareLink.Status.ACTIVE
    alerts: bool = True


PATIENTS = {
    "Ann": Patient("Europe/London", repeat_every=30),
    # New York springs forward at 02:00 today: 21:00 yesterday is EST, 06:30 and 08:00 today EDT.
    "Nick": Patient("America/New_York", quiet=("22:00", "07:00")),
    "Kiran": Patient("Asia/Kolkata"),
    "Lily": Patient("Australia/Lord_Howe", paused_at=utc(20)),  # 07:00 on 9 March, her time
}
MEDICATIONS = [
    Medication("Ann", "Metformin", ("08:00", "20:00"), grace=60),
    Medication("Ann", "Aspirin", ("08:00",), grace=30),
    Medication("Ann", "Antibiotic", ("13:00",), grace=60),
    Medication("Nick", "Statin", ("21:00",), grace=120),
    Medication("Nick", "Thyroxine", ("06:30",), grace=90),
    Medication("Nick", "Lisinopril", ("08:00",), grace=60),
    Medication("Kiran", "Metformin", ("09:00", "21:00"), grace=60),
    Medication("Kiran", "Vitamin D", ("18:30",), grace=60),
    Medication("Kiran", "Iron", ("18:30",), grace=60),
    Medication("Lily", "Calcium", ("12:00",), grace=30),
    Medication("Lily", "Metformin", ("08:00", "22:00"), grace=60),
    Medication("Lily", "Warfarin", ("22:00",), grace=60, paused=True),
]
LINKS = [
    Link("Carl", "Ann", 0),
    Link("Beth", "Ann", 60),
    Link("Carl", "Kiran", 0),
    Link("Gus", "Kiran", 0, status=CareLink.Status.REVOKED),
    Link("Hana", "Kiran", 0, alerts=False),
    Link("Dora", "Nick", 0),
    Link("Ed", "Nick", 120),
    Link("Finn", "Lily", 15),
]
# Doses are named by patient, medication and local time.
TAKEN = {
    "Ann Metformin 03-08 08:00": utc(8, 20),
    "Ann Metformin 03-08 20:00": utc(21, 40),  # late
    "Nick Statin 03-07 21:00": utc(5, 0),  # late: midnight in New York
    "Nick Thyroxine 03-08 06:30": utc(10, 45),  # 06:45 in New York, in quiet hours
    "Kiran Metformin 03-08 09:00": utc(3, 35),
    "Lily Metformin 03-08 22:00": utc(11, 40),
}
SKIPPED = {"Nick Lisinopril 03-08 08:00": utc(12, 10)}
SNOOZED = {"Lily Metformin 03-08 22:00": (utc(11, 5), 30)}
ACKNOWLEDGED = {"Ann Aspirin 03-08 08:00": ("Carl", utc(8, 45))}


# --- What should happen, from the scenario alone -------------------------------------------------


@dataclass(frozen=True)
class ExpectedDose:
    label: str
    patient: str
    medication: str
    at: datetime.datetime
    window_ends: datetime.datetime

    @property
    def answered_at(self) -> datetime.datetime:
        return TAKEN.get(self.label) or SKIPPED.get(self.label) or NEVER

    @property
    def missed(self) -> bool:
        return self.answered_at >= self.window_ends and self.window_ends < END


def scenario_doses() -> list[ExpectedDose]:
    """Every dose of the day: local times in each patient's zone, by zoneinfo."""
    doses = []
    for medication in MEDICATIONS:
        if medication.paused:
            continue
        zone = ZoneInfo(PATIENTS[medication.patient].zone)
        for day in (datetime.date(2026, 3, 7), datetime.date(2026, 3, 8), datetime.date(2026, 3, 9)):
            for time in medication.times:
                local = datetime.datetime.combine(day, datetime.time.fromisoformat(time), tzinfo=zone)
                at = local.astimezone(UTC)
                if START <= at < END:
                    doses.append(
                        ExpectedDose(
                            label=f"{medication.patient} {medication.name} {local:%m-%d %H:%M}",
                            patient=medication.patient,
                            medication=medication.name,
                            at=at,
                            window_ends=at + timedelta(minutes=medication.grace),
                        )
                    )
    return doses


def next_run(instant: datetime.datetime) -> datetime.datetime:
    """The first run of the jobs at or after this instant."""
    return START + math.ceil((instant - START) / STEP) * STEP


def active(patient: str, at: datetime.datetime) -> bool:
    paused_at = PATIENTS[patient].paused_at
    return paused_at is None or at < paused_at


def reminder_times(dose: ExpectedDose) -> list[datetime.datetime]:
    """When the dose is reminded: when due, then every N minutes or at a snooze, while pending and open."""
    repeat = PATIENTS[dose.patient].repeat_every
    snoozes = [SNOOZED[dose.label]] if dose.label in SNOOZED else []
    stop = min(dose.window_ends, dose.answered_at, END)
    times: list[datetime.datetime] = []
    due: datetime.datetime | None = next_run(dose.at)
    while True:
        if snoozes and (due is None or snoozes[0][0] < due):
            snoozed_at, minutes = snoozes.pop(0)
            due = next_run(snoozed_at + timedelta(minutes=minutes))
            continue
        if due is None or due >= stop:
            return times
        times.append(due)
        due = (
            due + timedelta(minutes=repeat)
            if repeat and due + timedelta(minutes=repeat) < dose.window_ends
            else None
        )


def caregiver_told_at(dose: ExpectedDose, link: Link) -> datetime.datetime | None:
    """When the caregiver hears of the missed dose: their delay after the miss, unless it is over by then."""
    if link.status != CareLink.Status.ACTIVE or not link.alerts or not active(dose.patient, dose.window_ends):
        return None
    at = dose.window_ends + timedelta(minutes=link.delay)
    acknowledged_at = ACKNOWLEDGED.get(dose.label, (None, NEVER))[1]
    if at >= END or not active(dose.patient, at) or acknowledged_at < at or dose.answered_at < at:
        return None
    return at


@dataclass(frozen=True)
class ExpectedMessage:
    recipient: str
    kind: str
    doses: frozenset[ExpectedDose]
    at: datetime.datetime

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(dose.label for dose in self.doses)

    @property
    def patients(self) -> set[str]:
        return {dose.patient for dose in self.doses}

    @property
    def title(self) -> str:
        doses = sorted(self.doses, key=lambda dose: dose.label)
        one = f"{doses[0].medication} 500 mg"
        if self.kind == Kind.REMINDER:
            return f"Time for {one}" if len(doses) == 1 else f"{len(doses)} medications due"
        if self.kind == Kind.MISSED:
            return f"Missed: {one}" if len(doses) == 1 else f"You missed {len(doses)} doses"
        if len(doses) == 1:
            return f"{doses[0].patient} missed {one}"
        if len(self.patients) == 1:
            return f"{doses[0].patient} missed {len(doses)} doses"
        return f"{len(doses)} missed doses: {', '.join(sorted(self.patients))}"

    @property
    def email_released_at(self) -> datetime.datetime:
        """Reminders and a patient's own missed-dose messages wait out quiet hours by email; alerts do not."""
        quiet = PATIENTS[self.recipient].quiet if self.recipient in PATIENTS else None
        if quiet is None or self.kind == Kind.CAREGIVER_ALERT:
            return self.at
        zone = ZoneInfo(PATIENTS[self.recipient].zone)
        local = self.at.astimezone(zone)
        start, end = (datetime.time.fromisoformat(time) for time in quiet)
        if local.time() >= start:
            day = local.date() + timedelta(days=1)
        elif local.time() < end:
            day = local.date()
        else:
            return self.at
        return datetime.datetime.combine(day, end, tzinfo=zone).astimezone(UTC)

    def email_outcome(self) -> tuple[str, datetime.datetime | None]:
        """What became of the email by the end of the day: (status, sent_at)."""
        at = self.email_released_at
        if at >= END:
            return Notification.Status.PENDING, None
        answered = all(dose.answered_at < at for dose in self.doses)
        still_pending = [dose for dose in self.doses if dose.answered_at > at and dose.window_ends > at]
        acknowledged = all(ACKNOWLEDGED.get(dose.label, (None, NEVER))[1] < at for dose in self.doses)
        paused = len(self.patients) == 1 and not active(next(iter(self.patients)), at)
        no_longer_needed = (
            paused
            or {
                Kind.REMINDER: not still_pending,
                Kind.MISSED: answered,
                Kind.CAREGIVER_ALERT: acknowledged or answered,
            }[self.kind]
        )
        if no_longer_needed:
            return Notification.Status.CANCELLED, None
        return Notification.Status.SENT, at


def expected_messages(doses: list[ExpectedDose]) -> list[ExpectedMessage]:
    """One message per person, kind and run: everything that came due for them together."""
    grouped: dict[tuple[str, str, datetime.datetime], set[ExpectedDose]] = defaultdict(set)
    for dose in doses:
        for at in reminder_times(dose):
            if active(dose.patient, at):
                grouped[dose.patient, Kind.REMINDER, at].add(dose)
        if dose.missed and active(dose.patient, dose.window_ends):
            grouped[dose.patient, Kind.MISSED, dose.window_ends].add(dose)
        if dose.missed:
            for link in LINKS:
                if link.patient == dose.patient and (at := caregiver_told_at(dose, link)) is not None:
                    grouped[link.caregiver, Kind.CAREGIVER_ALERT, at].add(dose)
    return [ExpectedMessage(who, kind, frozenset(group), at) for (who, kind, at), group in grouped.items()]


# --- Running the day -----------------------------------------------------------------------------


def test_a_whole_day_of_four_patients_in_four_time_zones():
    with time_machine.travel(START - timedelta(hours=1), tick=False) as clock:
        people = set_up()
        run_the_day(clock, people)

    doses = scenario_doses()
    by_label = {dose.label: dose for dose in doses}
    name_of = {user.pk: name for name, user in people.items()}
    messages = expected_messages(doses)

    # The doses are the ones the scenario says, on each patient's own clock.
    assert sorted(label(dose) for dose in Dose.objects.all() if dose.scheduled_at < END) == sorted(by_label)
    # How each dose ended.
    assert {label(dose): dose.status for dose in Dose.objects.filter(scheduled_at__lt=END)} == {
        dose.label: (
            Dose.Status.TAKEN
            if dose.label in TAKEN
            else Dose.Status.SKIPPED
            if dose.label in SKIPPED
            else Dose.Status.MISSED
            if dose.missed
            else Dose.Status.PENDING
        )
        for dose in doses
    }
    # One alert for each dose that was missed, when its window ended; acknowledged as said.
    assert {
        (label(alert.dose), alert.alerted_at, name_of.get(alert.acknowledged_by_id), alert.acknowledged_at)
        for alert in MissedDoseAlert.objects.select_related("dose__reminder", "dose__patient")
    } == {
        (dose.label, dose.window_ends, *ACKNOWLEDGED.get(dose.label, (None, None)))
        for dose in doses
        if dose.missed
    }
    # Exactly the messages expected: in the app and by email, to whom, about which doses, when.
    actual_rows = Counter(
        (
            name_of[row.recipient_id],
            str(row.kind),
            str(row.channel),
            tuple(sorted(map(label, row.doses.all()))),
            row.title,
            row.created_at,
        )
        for row in Notification.objects.prefetch_related("doses__reminder", "doses__patient")
    )
    expected_rows = Counter(
        (
            message.recipient,
            str(message.kind),
            str(channel),
            tuple(sorted(message.labels)),
            message.title,
            message.at,
        )
        for message in messages
        for channel in (Channel.IN_APP, Channel.EMAIL)
    )
    # Plain strings on both sides, so that the sorted lists line up and a diff reads well.
    assert sorted(actual_rows.elements(), key=repr) == sorted(expected_rows.elements(), key=repr)
    # Every email went, or was cancelled, as and when expected.
    assert Counter(
        (name_of[row.recipient_id], row.title, row.created_at, row.status, row.sent_at)
        for row in Notification.objects.filter(channel=Channel.EMAIL)
    ) == Counter(
        (message.recipient, message.title, message.at, *message.email_outcome()) for message in messages
    )
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == sorted(
        (people[message.recipient].email, message.title)
        for message in messages
        if message.email_outcome()[0] == Notification.Status.SENT
    )
    # The scenario covers what it means to: a caregiver's summary across patients, a repeat,
    # a snooze, an email held by quiet hours and one cancelled, people never told.
    titles = {(message.recipient, message.title) for message in messages}
    assert ("Carl", "3 missed doses: Ann, Kiran") in titles
    assert ("Kiran", "2 medications due") in titles
    assert [message.at for message in messages if message.labels == {"Lily Metformin 03-08 22:00"}] == [
        START + timedelta(hours=11),
        START + timedelta(hours=11, minutes=36),
    ]
    # Ann's 13:00 antibiotic: reminded at 13:00 and 13:30, missed at 14:00, Beth told at 15:00
    # (and Carl at 14:00, in his summary with Kiran's doses).
    assert sorted(
        (message.at.strftime("%H:%M"), message.recipient)
        for message in messages
        if message.labels == {"Ann Antibiotic 03-08 13:00"}
    ) == [("13:00", "Ann"), ("13:30", "Ann"), ("14:00", "Ann"), ("15:00", "Beth")]
    # Nick's emails in his quiet hours wait for 07:00; by then he had recorded both doses.
    assert sorted(
        (message.recipient, message.title, message.email_outcome())
        for message in messages
        if message.email_released_at != message.at
    ) == [
        ("Nick", "Missed: Statin 500 mg", (Notification.Status.CANCELLED, None)),
        ("Nick", "Time for Thyroxine 500 mg", (Notification.Status.CANCELLED, None)),
    ]
    assert not {name for name, _ in titles} & {"Ed", "Gus", "Hana"}


def label(dose: Dose) -> str:
    local = dose.scheduled_at.astimezone(ZoneInfo(dose.patient.time_zone))
    return f"{dose.patient.display_name} {dose.reminder.medication_name} {local:%m-%d %H:%M}"


def set_up() -> dict:
    """Everybody and everything in the scenario, made as the app makes them. Returns users by name."""
    people = {}
    patients = {}
    for name, patient in PATIENTS.items():
        profile = PatientFactory(
            display_name=name, time_zone=patient.zone, user__email=f"{name.lower()}@example.org"
        )
        patients[name] = profile
        people[name] = profile.user
        if patient.repeat_every or patient.quiet:
            NotificationSettings.objects.create(
                user=profile.user,
                repeat_every_minutes=patient.repeat_every,
                quiet_start=datetime.time.fromisoformat(patient.quiet[0]) if patient.quiet else None,
                quiet_end=datetime.time.fromisoformat(patient.quiet[1]) if patient.quiet else None,
                time_zone=patient.zone,
            )
    for medication in MEDICATIONS:
        reminder = services.medication_create(
            patient=patients[medication.patient],
            schedule=Schedule.from_json(daily(*medication.times, start=datetime.date(2026, 1, 1))),
            medication_name=medication.name,
            dosage="500 mg",
            grace_minutes=medication.grace,
        )
        if medication.paused:
            services.medication_set_active(reminder=reminder, active=False)
    for link in LINKS:
        if link.caregiver not in people:
            people[link.caregiver] = UserFactory(email=f"{link.caregiver.lower()}@example.org")
        CareLinkFactory(
            patient=patients[link.patient],
            caregiver=people[link.caregiver],
            invited_email=people[link.caregiver].email,
            alert_delay_minutes=link.delay,
            status=link.status,
            receives_missed_dose_alerts=link.alerts,
        )
    return people


def run_the_day(clock, people: dict) -> None:
    """The three jobs every minute; what people do, half a minute after a run."""
    actions = sorted(
        [(at, "take", name) for name, at in TAKEN.items()]
        + [(at, "skip", name) for name, at in SKIPPED.items()]
        + [(at, "snooze", name) for name in SNOOZED for at in [SNOOZED[name][0]]]
        + [(at, "acknowledge", name) for name, (_, at) in ACKNOWLEDGED.items()]
        + [(patient.paused_at, "pause", name) for name, patient in PATIENTS.items() if patient.paused_at]
    )
    now = START
    while now < END:
        clock.move_to(now)
        remind_due()
        sweep_missed()
        deliver_due()
        while actions and actions[0][0] < now + STEP:
            at, action, name = actions.pop(0)
            clock.move_to(at)
            act(action, name, people)
        now += STEP
    assert not actions


def act(action: str, name: str, people: dict) -> None:
    if action == "pause":
        profile = people[name].patient_profile
        profile.is_active = False
        profile.save()
        return
    dose = next(dose for dose in Dose.objects.select_related("reminder", "patient") if label(dose) == name)
    patient = people[name.split()[0]]
    if action == "take":
        services.dose_confirm(dose=dose, by=patient, method="web")
    elif action == "skip":
        services.dose_skip(dose=dose, by=patient, reason="unwell")
    elif action == "snooze":
        dose_snooze(dose=dose, minutes=SNOOZED[name][1])
    elif action == "acknowledge":
        alert_acknowledge(alert=dose.missed_alert, by=people[ACKNOWLEDGED[name][0]])
