"""The missed-dose sweep and the escalation of its alerts, against the real database.

Doses past their window become missed with exactly one MissedDoseAlert each; the patient is
told at once, each caregiver after the delay the patient chose for them, until one of them
says "I'm handling it" or the dose is recorded after all. After downtime every person gets
one summary. The clock is fixed with time_machine; what is asserted is what people see:
who got which message, with which title, about which doses.
"""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Action, AuditEntry
from notifications.delivery import deliver_due
from notifications.models import Channel, Kind, Notification, NotificationSettings
from notifications.services import alert_acknowledge
from notifications.sweep import escalate, sweep_missed
from notifications.tests.world import at, medication, told
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.models import Dose, MedicationReminder, MissedDoseAlert
from reminders.tests.factories import DoseFactory, MedicationFactory

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def dose_at(reminder: MedicationReminder, hour: int, minute: int = 0) -> Dose:
    return reminder.doses.get(scheduled_at=at(hour, minute))


def doses_of(notification: Notification) -> set[int]:
    return set(notification.doses.values_list("pk", flat=True))


# --- Marking doses missed ------------------------------------------------------------------------


def test_it_marks_overdue_doses_missed_with_exactly_one_alert_each(ann, clock):
    metformin = medication(ann, "08:00", grace=60)
    aspirin = medication(ann, "08:30", grace=30, name="Aspirin")
    statin = medication(ann, "09:30", grace=60, name="Statin")
    clock.move_to(at(9))

    marked = sweep_missed()

    assert marked == 2
    missed = [dose_at(metformin, 8), dose_at(aspirin, 8, 30)]
    for dose in missed:
        assert (dose.status, dose.resolved_at, dose.remind_again_at) == (Dose.Status.MISSED, at(9), None)
    assert sorted(
        MissedDoseAlert.objects.values_list("reminder_id", "dose_id", "patient_id", "alerted_at")
    ) == [
        (metformin.pk, missed[0].pk, ann.pk, at(9)),
        (aspirin.pk, missed[1].pk, ann.pk, at(9)),
    ]
    assert dose_at(statin, 9, 30).status == Dose.Status.PENDING
    # Ann is told once, about both.
    assert told(ann.user) == [(Kind.MISSED, "You missed 2 doses")]
    assert told(ann.user, Channel.EMAIL) == [(Kind.MISSED, "You missed 2 doses")]
    message = Notification.objects.get(recipient=ann.user, channel=Channel.IN_APP)
    assert doses_of(message) == {dose.pk for dose in missed}
    assert set(message.alerts.all()) == set(MissedDoseAlert.objects.all())
    assert "Metformin 500 mg, 08:00" in message.body
    assert "Aspirin 500 mg, 08:30" in message.body


def test_it_leaves_doses_whose_window_has_not_ended(morning, ann, clock):
    clock.move_to(at(8, 59))

    assert sweep_missed() == 0

    assert dose_at(morning, 8).status == Dose.Status.PENDING
    assert not MissedDoseAlert.objects.exists()
    assert not Notification.objects.exists()


def test_it_leaves_doses_taken_or_skipped_in_time(ann, clock):
    taken = medication(ann, "08:00")
    skipped = medication(ann, "08:00", name="Aspirin")
    clock.move_to(at(8, 10))
    services.dose_confirm(dose=dose_at(taken, 8), by=ann.user, method="web")
    services.dose_skip(dose=dose_at(skipped, 8), by=ann.user, reason="unwell")
    clock.move_to(at(12))

    assert sweep_missed() == 0

    assert dose_at(taken, 8).status == Dose.Status.TAKEN
    assert dose_at(skipped, 8).status == Dose.Status.SKIPPED
    assert not MissedDoseAlert.objects.exists()
    assert not Notification.objects.exists()


def test_a_single_missed_dose_is_named_in_the_message(morning, ann, clock):
    clock.move_to(at(9))

    sweep_missed()

    assert told(ann.user) == [(Kind.MISSED, "Missed: Metformin 500 mg")]
    message = Notification.objects.get(recipient=ann.user, channel=Channel.IN_APP)
    assert "Your 08:00 dose was not recorded as taken in time." in message.body


def test_running_the_sweep_twice_creates_nothing_new(morning, ann, clock):
    CareLinkFactory(patient=ann, alert_delay_minutes=0)
    clock.move_to(at(9))
    assert sweep_missed() == 1
    counts = (MissedDoseAlert.objects.count(), Notification.objects.count(), AuditEntry.objects.count())

    assert sweep_missed() == 0
    clock.move_to(at(9, 1))
    assert sweep_missed() == 0

    assert (
        MissedDoseAlert.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    assert counts[:2] == (1, 4)  # Ann and her caregiver, each in the app and by email


def test_a_paused_patient_gets_doses_marked_and_alerts_recorded_but_nobody_is_told(morning, ann, clock):
    medication(ann, "08:30", name="Aspirin")
    CareLinkFactory(patient=ann, alert_delay_minutes=0)
    CareLinkFactory(patient=ann, alert_delay_minutes=60)
    ann.is_active = False
    ann.save()
    clock.move_to(at(10))

    assert sweep_missed() == 2

    assert set(Dose.objects.filter(scheduled_at__lt=at(10)).values_list("status", flat=True)) == {"missed"}
    assert MissedDoseAlert.objects.count() == 2
    assert set(MissedDoseAlert.objects.values_list("escalation_due_at", flat=True)) == {None}
    for later in (at(11), at(14)):
        clock.move_to(later)
        sweep_missed()
    assert not Notification.objects.exists()
    entry = AuditEntry.objects.filter(action=Action.ALERT).get()
    assert entry.payload["paused"] is True
    assert entry.payload["told"] == []


# --- Escalation to caregivers --------------------------------------------------------------------


def test_each_caregiver_is_told_after_their_own_delay(morning, ann, care_team, clock):
    anna, ben = care_team
    clock.move_to(at(9))

    sweep_missed()

    assert told(ann.user) == [(Kind.MISSED, "Missed: Metformin 500 mg")]
    assert told(anna) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    assert told(anna, Channel.EMAIL) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    assert told(ben) == []

    clock.move_to(at(9, 59))
    sweep_missed()
    assert told(ben) == []

    clock.move_to(at(10))
    sweep_missed()
    assert told(ben) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    assert told(ben, Channel.EMAIL) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    alert = MissedDoseAlert.objects.get()
    assert (alert.escalated_through, alert.escalation_due_at) == (60, None)

    # Nobody is told twice.
    clock.move_to(at(14))
    sweep_missed()
    assert len(told(anna)) == len(told(ben)) == len(told(ann.user)) == 1
    message = Notification.objects.get(recipient=ben, channel=Channel.IN_APP)
    assert doses_of(message) == {dose_at(morning, 8).pk}
    assert message.created_at == at(10)


def test_a_caregiver_acknowledging_stops_the_later_steps(morning, ann, care_team, clock):
    anna, ben = care_team
    clock.move_to(at(9))
    sweep_missed()
    alert = MissedDoseAlert.objects.get()
    clock.move_to(at(9, 10))

    acknowledged = alert_acknowledge(alert=alert, by=anna)

    assert (acknowledged.acknowledged_by, acknowledged.acknowledged_at) == (anna, at(9, 10))
    assert acknowledged.escalation_due_at is None
    for later in (at(10), at(11), at(15)):
        clock.move_to(later)
        sweep_missed()
    assert told(ben) == []
    assert told(ben, Channel.EMAIL) == []


def test_a_second_acknowledgement_keeps_the_first(morning, ann, care_team, clock):
    anna, ben = care_team
    CareLinkFactory(patient=ann, alert_delay_minutes=0, caregiver_name="Cleo")
    clock.move_to(at(9))
    sweep_missed()
    alert = MissedDoseAlert.objects.get()
    clock.move_to(at(9, 10))
    alert_acknowledge(alert=alert, by=anna)
    clock.move_to(at(9, 20))

    again = alert_acknowledge(alert=MissedDoseAlert.objects.get(), by=ben)

    assert (again.acknowledged_by, again.acknowledged_at) == (anna, at(9, 10))
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (anna, at(9, 10))


def test_an_acknowledged_alert_is_not_emailed_to_a_caregiver_whose_email_still_waits(
    morning, ann, care_team, clock
):
    anna, _ = care_team
    clock.move_to(at(9))
    sweep_missed()
    alert_acknowledge(alert=MissedDoseAlert.objects.get(), by=anna)

    deliver_due()

    email = Notification.objects.get(recipient=anna, channel=Channel.EMAIL)
    assert (email.status, email.last_error) == (
        Notification.Status.CANCELLED,
        "someone is already handling it",
    )
    assert [message.to for message in mail.outbox] == [[ann.user.email]]


def test_a_dose_recorded_as_taken_late_stops_the_later_steps(morning, ann, care_team, clock):
    anna, ben = care_team
    clock.move_to(at(9))
    sweep_missed()
    clock.move_to(at(9, 30))

    services.dose_confirm(dose=dose_at(morning, 8), by=ann.user, method="web", taken_at=at(9, 15))

    for later in (at(10), at(12)):
        clock.move_to(later)
        sweep_missed()
    assert told(anna) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    assert told(ben) == []
    alert = MissedDoseAlert.objects.get()
    assert (alert.escalated_through, alert.escalation_due_at) == (0, None)


def test_a_dose_skipped_late_stops_the_later_steps(morning, ann, care_team, clock):
    _, ben = care_team
    clock.move_to(at(9))
    sweep_missed()
    clock.move_to(at(9, 30))

    services.dose_skip(dose=dose_at(morning, 8), by=ann.user, reason="unwell")

    clock.move_to(at(10))
    sweep_missed()
    assert told(ben) == []


@pytest.mark.parametrize(
    "link",
    [
        {"status": CareLink.Status.REVOKED},
        {"status": CareLink.Status.LEFT},
        {"status": CareLink.Status.PENDING},
        {"status": CareLink.Status.DECLINED},
        {"receives_missed_dose_alerts": False},
    ],
    ids=["revoked", "left", "invited", "declined", "no alerts"],
)
def test_a_caregiver_without_a_link_that_gets_alerts_is_never_told(morning, ann, clock, link):
    outsider = CareLinkFactory(patient=ann, alert_delay_minutes=0, **link).caregiver
    told_at_once = CareLinkFactory(patient=ann, alert_delay_minutes=0).caregiver

    for later in (at(9), at(10), at(13)):
        clock.move_to(later)
        sweep_missed()

    assert told(outsider) == []
    assert told(outsider, Channel.EMAIL) == []
    assert told(told_at_once) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]


def test_a_link_revoked_before_the_caregivers_step_tells_them_nothing(morning, ann, care_team, clock):
    _, ben = care_team
    clock.move_to(at(9))
    sweep_missed()
    clock.move_to(at(9, 30))
    CareLink.objects.filter(caregiver=ben).update(status=CareLink.Status.REVOKED, ended_at=at(9, 30))

    for later in (at(10), at(12)):
        clock.move_to(later)
        sweep_missed()

    assert told(ben) == []
    assert MissedDoseAlert.objects.get().escalation_due_at is None


def test_a_patient_who_pauses_after_a_miss_stops_the_later_steps(morning, ann, care_team, clock):
    _, ben = care_team
    clock.move_to(at(9))
    sweep_missed()
    clock.move_to(at(9, 30))
    ann.is_active = False
    ann.save()

    clock.move_to(at(10))
    sweep_missed()

    assert told(ben) == []


def test_escalate_on_its_own_does_nothing_before_a_step_is_due(morning, ann, care_team, clock):
    _, ben = care_team
    clock.move_to(at(9))
    sweep_missed()
    clock.move_to(at(9, 30))

    assert escalate() == 0

    assert told(ben) == []


# --- After downtime ------------------------------------------------------------------------------


def test_after_six_hours_of_downtime_each_person_gets_one_summary(clock):
    ann = PatientFactory(display_name="Ann")
    bob = PatientFactory(display_name="Bob")
    cleo = PatientFactory(display_name="Cleo")
    medication(ann, "06:30", "09:00", grace=30)
    medication(ann, "08:00", "10:00", name="Aspirin")
    medication(bob, "07:00", "11:00", "13:00", grace=30, name="Statin")
    medication(cleo, "07:30", "11:30", grace=60, name="Warfarin")
    # Dana cares for Ann and Bob, Eli for Ann only; nobody for Cleo. Finn would be told after four hours.
    dana = CareLinkFactory(patient=ann, alert_delay_minutes=0).caregiver
    CareLinkFactory(patient=bob, caregiver=dana, invited_email=dana.email, alert_delay_minutes=0)
    eli = CareLinkFactory(patient=ann, alert_delay_minutes=0).caregiver
    finn = CareLinkFactory(patient=cleo, alert_delay_minutes=240).caregiver
    # The last run was at 06:00; the next is at 12:00.
    clock.move_to(at(12))

    sweep_missed()

    # Every dose whose window ended by 12:00 is missed, with its alert; the rest are untouched.
    doses = Dose.objects.filter(scheduled_at__lt=at(14))
    missed = {dose.pk for dose in doses if dose.window_ends_at <= at(12)}
    assert len(missed) == 4 + 2 + 1  # Ann 06:30 08:00 09:00 10:00, Bob 07:00 11:00, Cleo 07:30
    assert {dose.pk for dose in doses if dose.status == Dose.Status.MISSED} == missed
    assert {dose.pk for dose in doses if dose.status == Dose.Status.PENDING} == {
        dose.pk for dose in doses if dose.window_ends_at > at(12)
    }
    assert set(MissedDoseAlert.objects.values_list("dose_id", flat=True)) == missed
    # One summary per person and channel.
    for person, kind, title in [
        (ann.user, Kind.MISSED, "You missed 4 doses"),
        (bob.user, Kind.MISSED, "You missed 2 doses"),
        (cleo.user, Kind.MISSED, "Missed: Warfarin 500 mg"),
        (dana, Kind.CAREGIVER_ALERT, "6 missed doses: Ann, Bob"),
        (eli, Kind.CAREGIVER_ALERT, "Ann missed 4 doses"),
    ]:
        assert told(person) == [(kind, title)]
        assert told(person, Channel.EMAIL) == [(kind, title)]
    assert told(finn) == []
    assert Notification.objects.count() == 5 * 2
    assert doses_of(Notification.objects.get(recipient=dana, channel=Channel.EMAIL)) == {
        dose.pk for dose in Dose.objects.filter(pk__in=missed, patient__in=[ann, bob])
    }
    summary = Notification.objects.get(recipient=ann.user, channel=Channel.IN_APP)
    assert summary.body.splitlines()[:4] == [
        "• Metformin 500 mg, 06:30",
        "• Aspirin 500 mg, 08:00",
        "• Metformin 500 mg, 09:00",
        "• Aspirin 500 mg, 10:00",
    ]

    # The worker then sends one email to each of them.
    deliver_due()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        person.email for person in (ann.user, bob.user, cleo.user, dana, eli)
    )


def test_after_downtime_a_caregiver_with_a_delay_is_told_once_after_it(clock):
    ann = PatientFactory(display_name="Ann")
    medication(ann, "07:00", "08:00", "09:00", grace=30)
    ben = CareLinkFactory(patient=ann, alert_delay_minutes=60).caregiver
    clock.move_to(at(12))
    sweep_missed()
    assert told(ben) == []

    clock.move_to(at(13))
    sweep_missed()

    assert told(ben) == [(Kind.CAREGIVER_ALERT, "Ann missed 3 doses")]


# --- Cost ----------------------------------------------------------------------------------------


def one_overdue_dose(future: int) -> None:
    """A patient with a caregiver, one dose past its window and `future` doses still to come."""
    reminder = MedicationFactory(patient=PatientFactory(), grace_minutes=60)
    CareLinkFactory(patient=reminder.patient, alert_delay_minutes=0)
    DoseFactory(reminder=reminder, scheduled_at=at(8))
    for hours in range(future):
        DoseFactory(reminder=reminder, scheduled_at=at(10) + hours * HOUR)


def sweep_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        assert sweep_missed() == 1
    return len(queries)


def test_the_sweep_costs_what_is_due_not_what_exists(clock):
    clock.move_to(at(9))
    one_overdue_dose(future=1)
    with_one_future_dose = sweep_queries()
    one_overdue_dose(future=50)

    with_fifty_future_doses = sweep_queries()

    assert with_fifty_future_doses == with_one_future_dose
    assert Dose.objects.filter(status=Dose.Status.PENDING).count() == 51


# --- Quiet hours ---------------------------------------------------------------------------------


@pytest.fixture
def quiet_nights(ann, care_team):
    """Ann and Anna both keep quiet hours from 22:00 to 07:00, London time."""
    anna, _ = care_team
    for user in (ann.user, anna):
        NotificationSettings.objects.create(
            user=user, quiet_start=datetime.time(22), quiet_end=datetime.time(7), time_zone="Europe/London"
        )


def test_quiet_hours_hold_the_patients_missed_email_but_not_a_caregivers_alert(
    ann, care_team, quiet_nights, clock
):
    anna, _ = care_team
    medication(ann, "22:00")
    clock.move_to(at(23))

    sweep_missed()
    deliver_due()

    mine = Notification.objects.get(recipient=ann.user, channel=Channel.EMAIL)
    assert (mine.status, mine.next_attempt_at) == (Notification.Status.PENDING, at(7) + timedelta(days=1))
    assert told(ann.user) == [(Kind.MISSED, "Missed: Metformin 500 mg")]  # in the app at once
    assert [message.to for message in mail.outbox] == [[anna.email]]

    clock.move_to(at(7) + timedelta(days=1))
    deliver_due()
    assert [message.to for message in mail.outbox] == [[anna.email], [ann.user.email]]


def test_a_missed_dose_email_held_by_quiet_hours_is_cancelled_once_the_dose_is_recorded(
    ann, care_team, quiet_nights, clock
):
    reminder = medication(ann, "22:00")
    clock.move_to(at(23))
    sweep_missed()
    clock.move_to(at(23, 30))
    services.dose_confirm(dose=dose_at(reminder, 22), by=ann.user, method="web", taken_at=at(22, 10))

    clock.move_to(at(7) + timedelta(days=1))
    deliver_due()

    mine = Notification.objects.get(recipient=ann.user, channel=Channel.EMAIL)
    assert (mine.status, mine.last_error) == (Notification.Status.CANCELLED, "the doses were recorded since")
    assert ann.user.email not in [message.to[0] for message in mail.outbox]


def test_a_caregiver_whose_delay_changes_after_being_told_is_not_told_again(morning, ann, care_team, clock):
    anna, ben = care_team
    bob = PatientFactory(display_name="Bob")
    medication(bob, "08:00")
    cleo = CareLinkFactory(patient=bob, alert_delay_minutes=60).caregiver
    clock.move_to(at(9))
    sweep_missed()
    assert told(anna) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    # Ann moves Anna to "after an hour", with Ben.
    clock.move_to(at(9, 30))
    CareLink.objects.filter(caregiver=anna).update(alert_delay_minutes=60)

    clock.move_to(at(10))
    sweep_missed()

    assert told(anna) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    assert told(ben) == [(Kind.CAREGIVER_ALERT, "Ann Example missed Metformin 500 mg")]
    # Other patients' caregivers are not held up by it.
    assert told(cleo) == [(Kind.CAREGIVER_ALERT, "Bob missed Metformin 500 mg")]
