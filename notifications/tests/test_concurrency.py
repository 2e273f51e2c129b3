"""The scheduler's jobs run by several workers at the same moment, each in its own thread and connection.

On PostgreSQL the threads really race: the patient's row lock, SKIP LOCKED, the compare-and-set
updates and the unique constraints decide who does what. On SQLite the calls take turns
(adherence/tests/threads.py says why): the later call meets the earlier one's committed work,
which is what the losing worker sees on PostgreSQL.

Whatever the interleaving, each dose gets one alert, each person one message per event and
channel, and each email is sent once.
"""

from __future__ import annotations

import datetime
from collections import Counter
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Count

from adherence.tests.threads import at_once
from notifications.delivery import deliver_due
from notifications.due import remind_due
from notifications.models import Channel, Kind, Notification
from notifications.sweep import sweep_missed
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.models import Dose, MissedDoseAlert
from reminders.schedule import Schedule
from reminders.tests.factories import daily

# Wednesday 4 March 2026: London is on GMT, so local times equal UTC.
T0 = datetime.datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
DUE = datetime.datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
MISSED = DUE + timedelta(hours=1)
PATIENTS = 8
WORKERS = 3

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock(T0)]


@pytest.fixture
def patients(clock):
    """Patients with two 08:00 medications each; Dana is told at once for all, each Ben after an hour."""
    dana = None
    made = []
    for number in range(PATIENTS):
        patient = PatientFactory(display_name=f"Patient {number:02}")
        for name in ("Metformin", "Aspirin"):
            services.medication_create(
                patient=patient,
                schedule=Schedule.from_json(daily("08:00", start=datetime.date(2026, 1, 1))),
                medication_name=name,
                dosage="500 mg",
            )
        link = CareLinkFactory(
            patient=patient, alert_delay_minutes=0, **({"caregiver": dana} if dana else {})
        )
        dana = link.caregiver
        CareLinkFactory(patient=patient, alert_delay_minutes=60)
        made.append(patient)
    return made


def assert_no_duplicate_messages() -> None:
    """No two rows for the same person, channel, kind and doses; and the dedup keys are unique."""
    seen = Counter(
        (row.recipient_id, row.channel, row.kind, frozenset(row.doses.values_list("pk", flat=True)))
        for row in Notification.objects.all()
    )
    assert [key for key, count in seen.items() if count > 1] == []
    duplicates = Notification.objects.values("dedup_key").annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists()


def named(recipient, channel: str) -> Counter:
    """How often each dose is named in the messages to this person by this channel."""
    return Counter(
        dose
        for row in Notification.objects.filter(recipient=recipient, channel=channel)
        for dose in row.doses.values_list("pk", flat=True)
    )


def assert_told_once_of_each(recipient, doses: list[int], *, title: str) -> None:
    """The person gets one message by each channel, naming each of these doses once.

    On PostgreSQL the workers race: a worker that reaches a patient another one is handling waits
    for the patient's row, then finds the doses handled, so the message is not split in parts.
    """
    for channel in (Channel.IN_APP, Channel.EMAIL):
        assert named(recipient, channel) == Counter(doses)
        titles = list(
            Notification.objects.filter(recipient=recipient, channel=channel).values_list("title", flat=True)
        )
        assert titles == [title]


def test_the_sweep_run_by_several_workers_at_once_makes_one_alert_per_dose_and_no_duplicate_message(
    patients, clock
):
    clock.move_to(MISSED)

    marked = at_once([sweep_missed] * WORKERS)

    assert sum(marked) == 2 * PATIENTS
    missed = Dose.objects.filter(scheduled_at=DUE, status=Dose.Status.MISSED)
    assert missed.count() == 2 * PATIENTS
    assert MissedDoseAlert.objects.count() == 2 * PATIENTS
    assert not MissedDoseAlert.objects.values("dose").annotate(n=Count("pk")).filter(n__gt=1).exists()
    for patient in patients:
        doses = list(missed.filter(patient=patient).values_list("pk", flat=True))
        assert_told_once_of_each(patient.user, doses, title="You missed 2 doses")
        assert set(Notification.objects.filter(recipient=patient.user).values_list("kind", flat=True)) == {
            Kind.MISSED
        }
    dana = patients[0].care_links.get(alert_delay_minutes=0).caregiver
    assert_told_once_of_each(
        dana,
        list(missed.values_list("pk", flat=True)),
        title=f"{2 * PATIENTS} missed doses: " + ", ".join(patient.display_name for patient in patients),
    )
    assert_no_duplicate_messages()

    # An hour on, each Ben is told once, however many workers sweep.
    clock.move_to(MISSED + timedelta(hours=1))
    at_once([sweep_missed] * WORKERS)
    for patient in patients:
        ben = patient.care_links.get(alert_delay_minutes=60).caregiver
        doses = list(missed.filter(patient=patient).values_list("pk", flat=True))
        assert_told_once_of_each(ben, doses, title=f"{patient.display_name} missed 2 doses")
    assert_no_duplicate_messages()
    assert set(MissedDoseAlert.objects.values_list("escalated_through", "escalation_due_at")) == {(60, None)}


def test_the_same_message_cannot_be_queued_twice(patients, clock):
    clock.move_to(MISSED)
    sweep_missed()
    row = Notification.objects.filter(channel=Channel.EMAIL).first()

    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=row.recipient,
            channel=row.channel,
            kind=row.kind,
            title=row.title,
            body=row.body,
            dedup_key=row.dedup_key,
            created_at=MISSED,
        )


def test_reminders_sent_by_several_workers_at_once_reach_each_patient_once(patients, clock):
    clock.move_to(DUE)

    reminded = at_once([remind_due] * WORKERS)

    assert sum(reminded) == 2 * PATIENTS
    for patient in patients:
        doses = list(Dose.objects.filter(patient=patient, scheduled_at=DUE).values_list("pk", flat=True))
        assert_told_once_of_each(patient.user, doses, title="2 medications due")
        assert set(Notification.objects.filter(recipient=patient.user).values_list("kind", flat=True)) == {
            Kind.REMINDER
        }
    assert set(Dose.objects.filter(scheduled_at=DUE).values_list("reminders_sent", "reminded_at")) == {
        (1, DUE)
    }
    assert_no_duplicate_messages()


def test_delivery_by_several_workers_at_once_sends_each_email_once(patients, clock):
    clock.move_to(DUE)
    remind_due()
    clock.move_to(MISSED)
    sweep_missed()
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    # Each patient's reminder (no longer needed now: cancelled) and missed-dose message; Dana's summary.
    assert Counter(emails.values_list("kind", flat=True)) == {
        Kind.REMINDER: PATIENTS,
        Kind.MISSED: PATIENTS,
        Kind.CAREGIVER_ALERT: 1,
    }

    outcomes = at_once([deliver_due] * WORKERS)

    assert sum(outcomes, Counter()) == {"sent": PATIENTS + 1, "cancelled": PATIENTS}
    dana = patients[0].care_links.get(alert_delay_minutes=0).caregiver
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == sorted(
        [(patient.user.email, "You missed 2 doses") for patient in patients]
        + [(dana.email, f"{2 * PATIENTS} missed doses: " + ", ".join(p.display_name for p in patients))]
    )
    assert Counter(emails.values_list("status", "attempts")) == {
        (Notification.Status.SENT, 1): PATIENTS + 1,
        (Notification.Status.CANCELLED, 0): PATIENTS,
    }
