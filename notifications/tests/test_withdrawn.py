"""A caregiver revoked, or no longer getting alerts, between queueing and delivery gets nothing.

The real outbox worker (the django-q2 task) runs; the clock is time-machine's. Ann's 08:00 dose
is missed at 09:00: Anna's alert is queued then (delay 0), Ben's at 10:00 (delay 60).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Action, AuditEntry
from notifications import policy
from notifications.models import Channel, Kind, Notification
from notifications.sweep import sweep_missed
from notifications.tasks import deliver_notifications
from notifications.tests.world import MINUTE, at, medication
from patients import services as care_team_services
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory, PatientFactory

pytestmark = pytest.mark.django_db


def link_of(caregiver) -> CareLink:
    return CareLink.objects.get(caregiver=caregiver)


def alert_email_to(caregiver) -> Notification:
    return Notification.objects.get(recipient=caregiver, channel=Channel.EMAIL, kind=Kind.CAREGIVER_ALERT)


def delivery_outcomes(notification: Notification) -> list[str]:
    return [
        entry.payload["outcome"]
        for entry in AuditEntry.objects.filter(
            action=Action.DELIVERY, entity_type="notifications.Notification", entity_id=str(notification.pk)
        ).order_by("pk")
    ]


def mailed_to(server) -> list[str]:
    return [message.to[0] for message in server.sent]


def assert_withdrawn(notification: Notification) -> None:
    notification.refresh_from_db()
    assert notification.status == Notification.Status.CANCELLED
    assert notification.sent_at is None
    assert notification.next_attempt_at is None  # never tried again
    assert notification.last_error == policy.WITHDRAWN
    assert delivery_outcomes(notification)[-1] == "cancelled"


def test_it_sends_nothing_to_a_caregiver_revoked_after_the_alert_was_queued(
    server, morning, ann, care_team, clock
):
    anna, _ = care_team
    clock.move_to(at(9))
    sweep_missed()
    email = alert_email_to(anna)
    assert email.status == Notification.Status.PENDING

    care_team_services.care_link_revoke(link=link_of(anna))
    deliver_notifications()

    assert anna.email not in mailed_to(server)
    assert ann.user.email in mailed_to(server)  # the patient's own message still goes
    assert_withdrawn(email)
    clock.move_to(at(12))
    deliver_notifications()
    assert anna.email not in mailed_to(server)


def test_it_sends_nothing_to_a_caregiver_whose_link_no_longer_includes_alerts(
    server, morning, ann, care_team, clock
):
    anna, ben = care_team
    clock.move_to(at(9))
    sweep_missed()

    care_team_services.care_link_set_permissions(
        link=link_of(anna), can_confirm_doses=False, receives_missed_dose_alerts=False
    )
    deliver_notifications()

    assert anna.email not in mailed_to(server)
    assert_withdrawn(alert_email_to(anna))
    # Ben, whose link still includes alerts, is told at his step.
    clock.move_to(at(10))
    sweep_missed()
    deliver_notifications()
    assert ben.email in mailed_to(server)


def test_a_caregiver_revoked_while_their_alert_waits_for_a_retry_gets_nothing_on_the_retry(
    server, morning, ann, care_team, clock
):
    anna, _ = care_team
    server.refuse = frozenset({anna.email})
    clock.move_to(at(9))
    sweep_missed()
    deliver_notifications()
    email = alert_email_to(anna)
    assert delivery_outcomes(email) == ["retrying"]

    care_team_services.care_link_revoke(link=link_of(anna))
    server.refuse = frozenset()
    clock.move_to(at(9) + MINUTE)
    deliver_notifications()

    assert anna.email not in mailed_to(server)
    assert_withdrawn(email)
    assert delivery_outcomes(email) == ["retrying", "cancelled"]


def test_a_summary_about_two_patients_is_withdrawn_when_one_of_them_revokes(server, clock):
    ann = PatientFactory(display_name="Ann", time_zone="Europe/London")
    olga = PatientFactory(display_name="Olga", time_zone="Europe/London")
    carer = CareLinkFactory(patient=ann, alert_delay_minutes=0).caregiver
    CareLinkFactory(patient=olga, caregiver=carer, alert_delay_minutes=0)
    medication(ann, "08:00")
    medication(olga, "08:00")
    clock.move_to(at(9))
    sweep_missed()
    summary = alert_email_to(carer)
    assert summary.patient_id is None
    assert summary.title == "2 missed doses: Ann, Olga"

    care_team_services.care_link_revoke(link=CareLink.objects.get(caregiver=carer, patient=olga))
    deliver_notifications()

    # It names Olga and her medicine: it cannot go out, even for Ann's part.
    assert carer.email not in mailed_to(server)
    assert_withdrawn(summary)


def test_the_policy_is_asked_once_per_batch_not_once_per_message(clock):
    patients = [PatientFactory(display_name=f"Patient {n}", time_zone="Europe/London") for n in range(6)]
    for patient in patients:
        CareLinkFactory(patient=patient, alert_delay_minutes=0)
        medication(patient, "08:00")
    clock.move_to(at(9))
    sweep_missed()
    rows = list(
        Notification.objects.filter(status=Notification.Status.PENDING).values_list(
            "pk", "recipient_id", "patient_id", "kind"
        )
    )
    assert len(rows) == 12  # each patient's own email and their caregiver's

    with CaptureQueriesContext(connection) as queries:
        assert policy.withdrawn(rows) == set()
    assert len(queries) == 2  # one per permission asked (the patients' own, the caregivers' alerts)
