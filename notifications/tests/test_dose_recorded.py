"""A caregiver may be told each time the patient's dose is recorded (CareLink.notify_on_confirmation).

Ann (London, GMT in March) has her 08:00 Metformin; it is 08:05. Carl (may confirm) and Vera (may
only look) care for her; both are told nothing until Ann turns it on for them. Every way of recording
a dose goes through reminders.services, which hands the recording to notifications in its own
transaction (reminders.services.dose_recorded_follow).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from adherence.tests.jobs import run_job
from api.tests.helpers import Api, log_in
from audit.models import AuditEntry
from notifications.links import make_token
from notifications.models import Channel, Kind, Notification
from notifications.tests.world import at, dose_at, medication
from patients import services as care_team
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory
from reminders import services
from reminders.models import ConfirmationLog, Dose
from reminders.tests.factories import AsNeededFactory

pytestmark = pytest.mark.django_db

TOLD = "Ann Example took Metformin 500 mg at 08:05 (Ann Example's time)."


@pytest.fixture
def eight_oclock(morning, clock) -> Dose:
    """Ann's 08:00 dose, at 08:05."""
    clock.move_to(at(8, 5))
    return dose_at(morning, at(8))


def tell(*caregivers) -> None:
    CareLink.objects.filter(caregiver__in=caregivers).update(notify_on_confirmation=True)


def recorded_for(user) -> list[tuple[str, str, str]]:
    """The dose-recorded messages queued for the person: (channel, title, body)."""
    return sorted(
        Notification.objects.filter(recipient=user, kind=Kind.DOSE_RECORDED).values_list(
            "channel", "title", "body"
        )
    )


def test_nobody_is_told_while_the_flag_is_off(eight_oclock, ann, carl, vera):
    services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)

    assert not Notification.objects.filter(kind=Kind.DOSE_RECORDED).exists()


def test_a_caregiver_who_asked_is_told_by_each_of_their_channels(eight_oclock, ann, carl, vera, mailoutbox):
    tell(carl)

    services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)

    # Carl's defaults: the app and email (push and texts are not set up on this server).
    assert recorded_for(carl) == [
        (Channel.EMAIL, "Ann Example took Metformin 500 mg", TOLD),
        (Channel.IN_APP, "Ann Example took Metformin 500 mg", TOLD),
    ]
    assert recorded_for(vera) == []
    entry = AuditEntry.objects.get(action="alert", entity_type="reminders.Dose")
    assert entry.payload == {"recorded": "taken", "told": ["carl@example.org"]}

    run_job("deliver notifications")
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        (["carl@example.org"], "Ann Example took Metformin 500 mg")
    ]
    assert TOLD in mailoutbox[0].body


def test_confirming_twice_tells_once(eight_oclock, ann, carl):
    tell(carl)

    first = services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)
    again = services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)

    assert again.pk == first.pk
    assert len(recorded_for(carl)) == 2  # one per channel


def test_a_revoked_caregiver_is_told_nothing(eight_oclock, ann, carl, vera):
    tell(carl, vera)
    care_team.care_link_revoke(link=CareLink.objects.get(caregiver=carl))

    services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)

    assert recorded_for(carl) == []
    assert len(recorded_for(vera)) == 2


def test_a_link_revoked_before_delivery_withdraws_the_message(eight_oclock, ann, carl, mailoutbox):
    tell(carl)
    services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)
    care_team.care_link_revoke(link=CareLink.objects.get(caregiver=carl))

    run_job("deliver notifications")

    assert mailoutbox == []
    email = Notification.objects.get(recipient=carl, kind=Kind.DOSE_RECORDED, channel=Channel.EMAIL)
    assert email.status == Notification.Status.CANCELLED


def test_seeing_the_patient_is_enough_and_whoever_recorded_it_is_not_told(eight_oclock, carl, vera):
    """The policy's rule: an active link (to see the patient) with the flag. Vera may only look."""
    tell(carl, vera)

    services.dose_confirm(dose=eight_oclock, by=carl, method=ConfirmationLog.Method.WEB)

    assert recorded_for(carl) == []
    assert [title for _, title, _ in recorded_for(vera)] == ["Ann Example took Metformin 500 mg"] * 2


def test_a_caregiver_with_a_closed_account_or_a_pending_invitation_is_told_nothing(eight_oclock, ann, carl):
    tell(carl)
    carl.is_active = False
    carl.save()
    invited = CareLinkFactory(patient=ann, status=CareLink.Status.PENDING, caregiver=None)
    CareLink.objects.filter(pk=invited.pk).update(notify_on_confirmation=True)

    services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)

    assert not Notification.objects.filter(kind=Kind.DOSE_RECORDED).exists()


def test_the_page_and_the_api_both_tell(eight_oclock, ann, carl, client):
    tell(carl)
    client.force_login(ann.user)
    client.post(reverse("reminders:dose_taken", args=[ann.pk, eight_oclock.pk]))
    assert len(recorded_for(carl)) == 2

    services.dose_undo(dose=eight_oclock, by=ann.user)
    app = Client()
    answer = Api(app, log_in(app, ann.user.email)).post(
        "/api/v1/confirmations/", {"dose": str(eight_oclock.object_id)}
    )

    assert answer.status_code in (200, 201), answer.content
    # The undo sent nothing; the recording after it was told again.
    assert len(recorded_for(carl)) == 4


def test_an_undo_cancels_what_was_not_yet_delivered_and_sends_no_retraction(
    eight_oclock, ann, carl, mailoutbox
):
    tell(carl)
    services.dose_confirm(dose=eight_oclock, by=ann.user, method=ConfirmationLog.Method.WEB)
    services.dose_undo(dose=eight_oclock, by=ann.user)

    run_job("deliver notifications")

    assert mailoutbox == []
    assert len(recorded_for(carl)) == 2


def test_a_skip_is_told_with_its_reason(eight_oclock, ann, carl):
    tell(carl)

    services.dose_skip(dose=eight_oclock, by=ann.user, reason=Dose.SkipReason.UNWELL)

    assert recorded_for(carl)[0][1:] == (
        "Ann Example skipped Metformin 500 mg",
        "Ann Example skipped Metformin 500 mg due at 08:00 (Ann Example's time). Reason given: Felt unwell.",
    )


def test_a_skip_undone_and_made_again_at_the_same_instant_still_stands(eight_oclock, ann, carl):
    """The clock is stopped: both skips are the same event, told once, and the second is recorded."""
    tell(carl)
    services.dose_skip(dose=eight_oclock, by=ann.user, reason=Dose.SkipReason.UNWELL)
    services.dose_undo(dose=eight_oclock, by=ann.user)

    services.dose_skip(dose=eight_oclock, by=ann.user, reason=Dose.SkipReason.AWAY)

    assert Dose.objects.get(pk=eight_oclock.pk).skip_reason == Dose.SkipReason.AWAY
    assert len(recorded_for(carl)) == 2  # one per channel, from the first skip


def test_an_as_needed_dose_and_a_dose_link_tell_too(eight_oclock, ann, carl, client):
    tell(carl)
    ibuprofen = AsNeededFactory(patient=ann, medication_name="Ibuprofen", dosage="200 mg")
    services.as_needed_take(reminder=ibuprofen, by=ann.user, method=ConfirmationLog.Method.WEB)
    client.post(reverse("notifications:dose_link", args=[make_token(eight_oclock, ann.user, "taken")]))

    titles = [title for channel, title, _ in recorded_for(carl) if channel == Channel.IN_APP]
    assert sorted(titles) == ["Ann Example took Ibuprofen 200 mg", "Ann Example took Metformin 500 mg"]


def test_the_time_is_the_patients_own(nina, clock):
    caregiver = CareLinkFactory(patient=nina, notify_on_confirmation=True).caregiver
    pill = medication(nina, "08:00")  # 13:00 UTC in New York in March (EST)
    clock.move_to(at(13, 10))

    services.dose_confirm(dose=dose_at(pill, at(13)), by=nina.user, method=ConfirmationLog.Method.WEB)

    assert recorded_for(caregiver)[0][2] == "Nina took Metformin 500 mg at 08:10 (Nina's time)."
