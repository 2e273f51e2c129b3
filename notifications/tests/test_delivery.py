"""The outbox worker against the real database and a real (test) mail backend.

A mail server that fails twice and then accepts gets the message exactly once; retries wait
1, 5, 30 and 120 minutes; the fifth failure is final, with the error kept and audited; a row
one worker holds is not sent by another; a channel that raises anything never stops the worker.

The mail backend is a real Django backend defined here, chosen through the MAILERS setting
(Django 6.1; the project configures mail with MAILERS, which replaces EMAIL_BACKEND).
"""

from __future__ import annotations

import datetime
import smtplib
from datetime import UTC, timedelta

import pytest

from audit.models import Action, AuditEntry
from notifications.delivery import BACKOFF, LEASE, MAX_ATTEMPTS, deliver_due, deliver_one
from notifications.models import Channel, Kind, Notification
from notifications.sweep import sweep_missed
from patients.tests.factories import PatientFactory
from reminders import services
from reminders.schedule import Schedule
from reminders.tests.factories import daily

# Wednesday 4 March 2026, GMT.
T0 = datetime.datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0 - timedelta(hours=3))]


class Died(BaseException):
    """The worker's process ended mid-send (not an Exception: nothing catches it)."""


def missed_dose_emails(clock, *names: str) -> list:
    """Patients (named) whose 08:00 dose is missed at 09:00: each gets one email, queued now."""
    patients = [PatientFactory(display_name=name) for name in names]
    for patient in patients:
        services.medication_create(
            patient=patient,
            schedule=Schedule.from_json(daily("08:00", start=datetime.date(2026, 1, 1))),
            medication_name="Metformin",
            dosage="500 mg",
            grace_minutes=60,
        )
    clock.move_to(T0)
    sweep_missed()
    assert Notification.objects.filter(
        channel=Channel.EMAIL, status=Notification.Status.PENDING
    ).count() == len(patients)
    return patients


def email_to(patient) -> Notification:
    return Notification.objects.get(recipient=patient.user, channel=Channel.EMAIL)


def deliveries(patient) -> list[tuple[str, int]]:
    """The audit trail of delivering the patient's email: (outcome, attempt)."""
    notification = email_to(patient)
    return [
        (entry.payload["outcome"], entry.payload["attempt"])
        for entry in AuditEntry.objects.filter(
            action=Action.DELIVERY, entity_type="notifications.Notification", entity_id=str(notification.pk)
        ).order_by("pk")
    ]


def test_a_mail_server_that_fails_twice_then_accepts_delivers_exactly_once(server, clock):
    server.failures = 2
    [ann] = missed_dose_emails(clock, "Ann")

    assert deliver_due() == {"retrying": 1}
    email = email_to(ann)
    assert (email.status, email.attempts, email.next_attempt_at) == (
        Notification.Status.PENDING,
        1,
        T0 + MINUTE,
    )
    assert email.last_error == "The mail server refused it: Connection unexpectedly closed"

    clock.move_to(T0 + MINUTE)
    assert deliver_due() == {"retrying": 1}
    clock.move_to(T0 + 6 * MINUTE)
    assert deliver_due() == {"sent": 1}
    for later in (T0 + 7 * MINUTE, T0 + 3 * 60 * MINUTE):
        clock.move_to(later)
        assert deliver_due() == {}

    assert [(message.to, message.subject) for message in server.sent] == [
        ([ann.user.email], "Missed: Metformin 500 mg")
    ]
    email = email_to(ann)
    assert (email.status, email.attempts, email.sent_at, email.last_error, email.next_attempt_at) == (
        Notification.Status.SENT,
        3,
        T0 + 6 * MINUTE,
        "",
        None,
    )
    assert deliveries(ann) == [("retrying", 1), ("retrying", 2), ("sent", 3)]


def test_retries_wait_1_5_30_and_120_minutes_and_the_fifth_failure_is_final(server, clock):
    server.failures = 1000
    [ann] = missed_dose_emails(clock, "Ann")

    # The worker runs every minute for four hours.
    for minute in range(4 * 60):
        clock.move_to(T0 + minute * MINUTE)
        deliver_due()

    assert [tried for tried, _ in server.tries] == [
        T0,
        T0 + 1 * MINUTE,
        T0 + 6 * MINUTE,
        T0 + 36 * MINUTE,
        T0 + 156 * MINUTE,
    ]
    assert [wait / MINUTE for wait in BACKOFF] == [1, 5, 30, 120]
    assert MAX_ATTEMPTS == len(server.tries) == 5
    assert server.sent == []
    email = email_to(ann)
    assert (email.status, email.attempts, email.next_attempt_at, email.sent_at) == (
        Notification.Status.FAILED,
        5,
        None,
        None,
    )
    assert email.last_error == "The mail server refused it: Connection unexpectedly closed"
    assert deliveries(ann) == [
        ("retrying", 1),
        ("retrying", 2),
        ("retrying", 3),
        ("retrying", 4),
        ("failed", 5),
    ]
    final = AuditEntry.objects.filter(action=Action.DELIVERY).order_by("pk").last()
    assert final.payload == {
        "channel": "email",
        "kind": Kind.MISSED,
        "recipient": ann.user.email,
        "outcome": "failed",
        "attempt": 5,
        "error": "The mail server refused it: Connection unexpectedly closed",
    }
    assert final.patient_id == ann.pk


def test_nothing_is_retried_before_its_next_attempt(server, clock):
    server.failures = 1
    [ann] = missed_dose_emails(clock, "Ann")
    deliver_due()

    clock.move_to(T0 + MINUTE - timedelta(microseconds=1))
    assert deliver_due() == {}
    assert deliver_one(email_to(ann).pk) is None

    assert len(server.tries) == 1
    clock.move_to(T0 + MINUTE)
    assert deliver_due() == {"sent": 1}


def test_an_address_the_server_refuses_fails_at_once(server, clock):
    [ann] = missed_dose_emails(clock, "Ann")
    server.refuse = frozenset({ann.user.email})
    server.error = smtplib.SMTPRecipientsRefused({ann.user.email: (550, b"No such user")})

    assert deliver_due() == {"failed": 1}

    email = email_to(ann)
    assert (email.status, email.attempts) == (Notification.Status.FAILED, 1)
    assert "The mail server refused it" in email.last_error
    assert deliveries(ann) == [("failed", 1)]


def test_a_message_that_cannot_go_fails_at_once_and_the_others_still_go(server, clock):
    ann, bob = missed_dose_emails(clock, "Ann", "Bob")
    # Ann's address was removed after her email was queued: trying again cannot help.
    type(ann.user).objects.filter(pk=ann.user.pk).update(email="")

    assert deliver_due() == {"failed": 1, "sent": 1}

    email = email_to(ann)
    assert (email.status, email.attempts, email.last_error) == (
        Notification.Status.FAILED,
        1,
        "The recipient has no email address.",
    )
    assert [message.to for message in server.sent] == [[bob.user.email]]


@pytest.mark.parametrize("error", [ValueError("boom"), KeyError("template"), RuntimeError("socket gone")])
def test_a_channel_raising_something_unexpected_never_stops_the_worker(server, clock, error):
    ann, bob, cleo = missed_dose_emails(clock, "Ann", "Bob", "Cleo")
    server.refuse = frozenset({bob.user.email})
    server.error = error

    outcomes = deliver_due()

    assert outcomes == {"sent": 2, "retrying": 1}
    assert sorted(message.to[0] for message in server.sent) == sorted([ann.user.email, cleo.user.email])
    email = email_to(bob)
    assert (email.status, email.attempts, email.next_attempt_at) == (
        Notification.Status.PENDING,
        1,
        T0 + MINUTE,
    )
    assert email.last_error == f"{type(error).__name__}: {error}"

    # It keeps failing: after five attempts it is FAILED, and the worker never raised.
    for minute in range(1, 4 * 60):
        clock.move_to(T0 + minute * MINUTE)
        deliver_due()
    email = email_to(bob)
    assert (email.status, email.attempts) == (Notification.Status.FAILED, MAX_ATTEMPTS)
    assert email.last_error == f"{type(error).__name__}: {error}"
    assert deliveries(bob)[-1] == ("failed", 5)


def test_a_row_one_worker_is_sending_is_not_sent_by_a_second_worker_at_the_same_moment(server, clock):
    [ann] = missed_dose_emails(clock, "Ann")
    second_worker: list = []
    # While the first worker is handing the email to the server, a second worker runs.
    server.on_send = lambda: second_worker.append(deliver_due()) if not second_worker else None

    assert deliver_due() == {"sent": 1}

    assert second_worker == [{}]
    assert len(server.sent) == 1
    assert deliveries(ann) == [("sent", 1)]


def test_a_worker_that_dies_mid_send_leaves_the_row_to_be_sent_when_its_lease_ends(server, clock):
    [ann] = missed_dose_emails(clock, "Ann")
    server.error = Died()
    server.refuse = frozenset({ann.user.email})
    with pytest.raises(Died):
        deliver_due()
    server.refuse = frozenset()
    assert LEASE == 5 * MINUTE

    clock.move_to(T0 + LEASE - timedelta(seconds=1))
    assert deliver_due() == {}
    clock.move_to(T0 + LEASE)
    assert deliver_due() == {"sent": 1}

    assert len(server.sent) == 1
    assert [tried for tried, _ in server.tries] == [T0, T0 + LEASE]
    assert (email_to(ann).status, email_to(ann).attempts) == (Notification.Status.SENT, 1)


def test_in_app_rows_are_never_handed_to_a_channel(server, clock):
    [ann] = missed_dose_emails(clock, "Ann")

    for minute in range(10):
        clock.move_to(T0 + minute * MINUTE)
        deliver_due()

    in_app = Notification.objects.get(recipient=ann.user, channel=Channel.IN_APP)
    assert (in_app.status, in_app.attempts, in_app.sent_at) == (Notification.Status.SENT, 0, T0)
    assert len(server.tries) == 1


def test_a_missed_dose_email_waiting_for_a_retry_is_cancelled_once_the_dose_is_recorded(server, clock):
    server.failures = 1
    [ann] = missed_dose_emails(clock, "Ann")
    assert deliver_due() == {"retrying": 1}
    dose = ann.doses.get(status="missed")
    services.dose_confirm(dose=dose, by=ann.user, method="web", taken_at=T0 - 30 * MINUTE)

    clock.move_to(T0 + MINUTE)
    assert deliver_due() == {"cancelled": 1}

    assert server.sent == []
    email = email_to(ann)
    assert (email.status, email.last_error) == (
        Notification.Status.CANCELLED,
        "the doses were recorded since",
    )
