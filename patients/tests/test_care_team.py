"""Inviting, accepting, declining, revoking and leaving: the care team's life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from accounts.tests.helpers import link_in_last_mail
from adherence.logging import redact
from adherence.tests.jobs import run_job
from audit.models import AuditEntry
from patients import services
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in_ann(client, ann):
    client.force_login(ann.user)
    return ann


def invite(client, capture, email="bob@example.org", **fields):
    """Invite on the care-team page; then the outbox worker runs, as it does every minute, and mails it."""
    data = {"email": email, "caregiver_name": "Bob, my son", "receives_missed_dose_alerts": "on", **fields}
    with capture(execute=True):
        response = client.post(reverse("patients:care_team"), data, follow=True)
    run_job("deliver notifications")
    return response


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Inviting ------------------------------------------------------------------------------


def test_it_mails_a_single_use_link_that_says_who_invites_and_what_they_may_do(
    client, signed_in_ann, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(client, django_capture_on_commit_callbacks, can_confirm_doses="on")

    assert any("Invitation sent to bob@example.org" in text for text in messages_of(response))
    assert "Bob, my son" in response.content.decode()
    assert "Invited" in response.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["bob@example.org"]
    assert mail.subject == "Adhere: Ann Example invites you to their care team"
    assert "you may confirm doses on their behalf" in mail.body
    assert "You will be told when they miss a dose" in mail.body
    assert "(Europe/London time)" in mail.body
    link = CareLink.objects.get()
    assert (link.status, link.can_confirm_doses, link.receives_missed_dose_alerts) == ("pending", True, True)
    assert link.invite_expires_at == link.invited_at + timedelta(days=7)
    assert link_in_last_mail("/invitations/").startswith("/invitations/")


def test_the_expiry_is_configurable(client, signed_in_ann, settings, django_capture_on_commit_callbacks):
    settings.CARE_INVITATION_DAYS = 2
    invite(client, django_capture_on_commit_callbacks)
    link = CareLink.objects.get()
    assert link.invite_expires_at - link.invited_at == timedelta(days=2)


def test_inviting_the_same_address_twice_keeps_one_row_and_says_so(
    client, signed_in_ann, mailoutbox, django_capture_on_commit_callbacks
):
    invite(client, django_capture_on_commit_callbacks)
    response = invite(client, django_capture_on_commit_callbacks, email="  BOB@Example.org ")

    assert CareLink.objects.count() == 1
    assert len(mailoutbox) == 1
    assert "bob@example.org has already been invited" in response.content.decode()
    # The form keeps what was typed.
    assert 'value="Bob, my son"' in response.content.decode()


def test_inviting_a_removed_caregiver_again_reopens_their_row(
    client, signed_in_ann, mailoutbox, django_capture_on_commit_callbacks
):
    old = CareLinkFactory(patient=signed_in_ann, caregiver=UserFactory(email="bob@example.org"))
    services.care_link_revoke(link=old)

    invite(client, django_capture_on_commit_callbacks)

    link = CareLink.objects.get()
    assert link.pk == old.pk
    assert (link.status, link.caregiver) == ("pending", None)
    assert link.invite_nonce != old.invite_nonce
    assert len(mailoutbox) == 1


def test_an_active_caregiver_cannot_be_invited_again(
    client, signed_in_ann, django_capture_on_commit_callbacks
):
    CareLinkFactory(
        patient=signed_in_ann, caregiver=UserFactory(email="bob@example.org"), caregiver_name="Bob"
    )
    response = invite(client, django_capture_on_commit_callbacks)
    assert "Bob is already in your care team" in response.content.decode()


@pytest.mark.parametrize("email", ["ann@example.org", "ANN@example.org", "ann.second@example.org"])
def test_a_patient_cannot_invite_their_own_address(
    client, signed_in_ann, email, mailoutbox, django_capture_on_commit_callbacks
):
    EmailAddress.objects.create(user=signed_in_ann.user, email="ann.second@example.org", verified=True)
    response = invite(client, django_capture_on_commit_callbacks, email=email)
    assert "That is your own email address" in response.content.decode()
    assert not CareLink.objects.exists()
    assert not mailoutbox


def test_a_bad_address_is_refused_in_words(client, signed_in_ann, django_capture_on_commit_callbacks):
    response = invite(client, django_capture_on_commit_callbacks, email="bob at example")
    assert "Enter a valid email address." in response.content.decode()
    assert 'value="bob at example"' in response.content.decode()
    assert not CareLink.objects.exists()


def test_send_again_replaces_the_link(client, signed_in_ann, mailoutbox, django_capture_on_commit_callbacks):
    invite(client, django_capture_on_commit_callbacks)
    first = link_in_last_mail("/invitations/")
    link = CareLink.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("patients:care_link_resend", args=[link.pk]))
    run_job("deliver notifications")
    second = link_in_last_mail("/invitations/")

    assert len(mailoutbox) == 2
    assert first != second
    bob = UserFactory(email="bob@example.org")
    client.force_login(bob)
    assert "no longer works" in client.get(first).content.decode()
    assert "Ann Example invites you" in client.get(second).content.decode()


# --- Answering -----------------------------------------------------------------------------


@pytest.fixture
def invitation(client, signed_in_ann, django_capture_on_commit_callbacks):
    invite(client, django_capture_on_commit_callbacks, can_confirm_doses="on")
    client.logout()
    return link_in_last_mail("/invitations/")


def test_the_invitee_accepts_and_sees_the_patient(client, invitation, ann):
    bob = UserFactory(email="bob@example.org")
    client.force_login(bob)
    page = client.get(invitation).content.decode()
    assert "Ann Example invites you to their care team" in page
    assert "confirm doses on their behalf" in page

    response = client.post(invitation, {"answer": "accept"}, follow=True)

    assert "You are now in Ann Example's care team." in messages_of(response)
    assert "Ann Example" in response.content.decode()
    link = CareLink.objects.get()
    assert (link.status, link.caregiver, link.can_confirm_doses) == ("active", bob, True)
    bob.refresh_from_db()
    assert bob.cares_for_others
    assert "Ann Example" in client.get(reverse("patients:detail", args=[ann.pk])).content.decode()


def test_accepting_twice_gives_one_link_and_the_second_press_is_told(client, invitation):
    client.force_login(UserFactory(email="bob@example.org"))
    client.post(invitation, {"answer": "accept"})
    response = client.post(invitation, {"answer": "accept"}, follow=True)
    assert "no longer works" in response.content.decode()
    assert CareLink.objects.active().count() == 1


def test_the_invitee_declines(client, invitation):
    client.force_login(UserFactory(email="bob@example.org"))
    response = client.post(invitation, {"answer": "decline"}, follow=True)
    assert "You declined Ann Example's invitation." in messages_of(response)
    assert CareLink.objects.get().status == "declined"
    assert client.get(invitation).status_code == 404


def test_someone_else_with_the_link_cannot_accept(client, invitation):
    client.force_login(UserFactory(email="mallory@example.org"))
    page = client.get(invitation)
    assert page.status_code == 403
    assert "for another email address" in page.content.decode()
    assert "Ann Example" not in page.content.decode()
    client.post(invitation, {"answer": "accept"})
    assert CareLink.objects.get().status == "pending"


def test_an_unverified_matching_address_is_not_enough(client, invitation):
    bob = UserFactory(email="bob.other@example.org")
    EmailAddress.objects.create(user=bob, email="bob@example.org", verified=False)
    client.force_login(bob)
    assert client.get(invitation).status_code == 403


def test_a_second_verified_address_of_the_invitee_is_enough(client, invitation):
    bob = UserFactory(email="bob.work@example.org")
    EmailAddress.objects.create(user=bob, email="bob@example.org", verified=True)
    client.force_login(bob)
    client.post(invitation, {"answer": "accept"})
    assert CareLink.objects.get().caregiver == bob


def test_an_expired_link_grants_nothing(client, invitation):
    bob = UserFactory(email="bob@example.org")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        client.force_login(bob)
        assert client.get(invitation).status_code == 404
        client.post(invitation, {"answer": "accept"})
        assert CareLink.objects.get().status == "pending"
        client.force_login(CareLink.objects.get().patient.user)
        assert "Invitation expired" in client.get(reverse("patients:care_team")).content.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: signing.dumps([999, "guess"], salt="patients.invitation"),
        lambda token: "not-a-token",
    ],
    ids=["altered signature", "another id", "garbage"],
)
def test_a_forged_or_altered_link_opens_nothing(client, invitation, tamper):
    client.force_login(UserFactory(email="bob@example.org"))
    token = invitation.strip("/").split("/")[-1]
    response = client.get(reverse("patients:invitation", args=[tamper(token)]))
    assert response.status_code == 404
    assert "no longer works" in response.content.decode()


def test_a_withdrawn_invitation_stops_working(client, invitation, ann):
    services.care_link_revoke(link=CareLink.objects.get())
    client.force_login(UserFactory(email="bob@example.org"))
    assert client.get(invitation).status_code == 404


def test_a_new_user_signs_up_from_the_link_without_a_second_verification_mail(client, invitation, mailoutbox):
    page = client.get(invitation).content.decode()
    assert "Ann Example" not in page  # nothing about the patient before signing in
    assert "/invitations/continue/" in page

    response = client.post(
        reverse("account_signup") + "?next=" + reverse("patients:invitation_continue"),
        {
            "email": "bob@example.org",
            "password1": "a long private passphrase",
            "password2": "a long private passphrase",
        },
        follow=True,
    )

    assert len(mailoutbox) == 1  # only the invitation
    assert "Ann Example invites you to their care team" in response.content.decode()
    client.post(invitation, {"answer": "accept"})
    assert CareLink.objects.get().caregiver.email == "bob@example.org"


def test_the_invitation_key_never_reaches_the_logs(invitation):
    key = invitation.split("/")[2]
    assert key not in redact(f'"GET {invitation} HTTP/1.1" 200')
    # Also when a sign-in redirect carries it in ?next=, percent-encoded.
    encoded = quote(invitation, safe="")
    assert quote(key, safe="") not in redact(f'"GET /accounts/login/?next={encoded} HTTP/1.1" 200')


# --- Changing and ending -----------------------------------------------------------------------


def test_the_patient_changes_what_a_caregiver_may_do(client, signed_in_ann):
    link = CareLinkFactory(patient=signed_in_ann, caregiver_name="Bob", receives_missed_dose_alerts=True)
    response = client.post(
        reverse("patients:care_link_edit", args=[link.pk]), {"can_confirm_doses": "on"}, follow=True
    )
    assert "Saved what Bob may do." in messages_of(response)
    link.refresh_from_db()
    assert (link.can_confirm_doses, link.receives_missed_dose_alerts) == (True, False)
    assert "Confirm doses" in response.content.decode()


def test_being_told_of_each_recorded_dose_is_off_until_the_patient_turns_it_on(client, signed_in_ann):
    link = CareLinkFactory(patient=signed_in_ann, caregiver_name="Bob")
    assert link.notify_on_confirmation is False
    page = client.get(reverse("patients:care_link_edit", args=[link.pk])).content.decode()
    assert "Tell them each time I record a dose (taken or skipped)" in page

    response = client.post(
        reverse("patients:care_link_edit", args=[link.pk]),
        {"receives_missed_dose_alerts": "on", "notify_on_confirmation": "on", "alert_delay_minutes": "0"},
        follow=True,
    )

    assert "Saved what Bob may do." in messages_of(response)
    link.refresh_from_db()
    assert (link.notify_on_confirmation, link.receives_missed_dose_alerts) == (True, True)
    assert "Told when a dose is recorded" in response.content.decode()
    entry = AuditEntry.objects.filter(entity_type="patients.CareLink", action="update").latest("pk")
    assert entry.payload["changes"]["notify_on_confirmation"] == [False, True]

    client.post(reverse("patients:care_link_edit", args=[link.pk]), {"receives_missed_dose_alerts": "on"})
    link.refresh_from_db()
    assert link.notify_on_confirmation is False


def test_revoking_ends_access_at_once(client, signed_in_ann):
    bob = UserFactory(email="bob@example.org")
    link = CareLinkFactory(patient=signed_in_ann, caregiver=bob, caregiver_name="Bob")
    caregiver_client = client.__class__()
    caregiver_client.force_login(bob)
    detail = reverse("patients:detail", args=[signed_in_ann.pk])
    assert caregiver_client.get(detail).status_code == 200

    response = client.post(reverse("patients:care_link_revoke", args=[link.pk]), follow=True)

    assert "Bob can no longer see your medications." in messages_of(response)
    assert caregiver_client.get(detail).status_code == 404
    assert "Ann Example" not in caregiver_client.get(reverse("patients:caring")).content.decode()
    link.refresh_from_db()
    assert link.status == "revoked"
    assert link.ended_at is not None


def test_withdrawing_a_pending_invitation(client, signed_in_ann, django_capture_on_commit_callbacks):
    invite(client, django_capture_on_commit_callbacks)
    link = CareLink.objects.get()
    page = client.get(reverse("patients:care_link_revoke", args=[link.pk])).content.decode()
    assert "Withdraw the invitation to bob@example.org?" in page
    response = client.post(reverse("patients:care_link_revoke", args=[link.pk]), follow=True)
    assert "The invitation to bob@example.org is withdrawn." in messages_of(response)


def test_a_caregiver_leaves(client, ann):
    bob = UserFactory(email="bob@example.org")
    link = CareLinkFactory(patient=ann, caregiver=bob)
    client.force_login(bob)
    assert (
        "Leave Ann Example"
        in client.get(reverse("patients:care_link_leave", args=[link.pk])).content.decode()
    )
    response = client.post(reverse("patients:care_link_leave", args=[link.pk]), follow=True)
    assert "You have left Ann Example's care team." in messages_of(response)
    assert "Nobody has added you to their care team yet" in response.content.decode()
    assert client.get(reverse("patients:detail", args=[ann.pk])).status_code == 404
    client.force_login(ann.user)
    assert "Left" in client.get(reverse("patients:care_team")).content.decode()


# --- The caregiver's pages (the dashboard's own tests are in pages/tests/test_caring.py) ----------


def test_a_caregiver_sees_the_patients_time_in_the_patients_zone(client):
    nurse = UserFactory(email="nurse@example.org")  # no profile of her own: her pages are in UTC
    link = CareLinkFactory(caregiver=nurse, patient__time_zone="Asia/Tokyo")
    client.force_login(nurse)
    with time_machine.travel(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), tick=False):
        page = client.get(reverse("patients:detail", args=[link.patient.pk])).content.decode()
    assert "Their time now: Wednesday 1 July, 21:00 (Asia/Tokyo)" in page


def test_a_page_that_is_not_yours_is_a_helpful_404_in_the_layout(client, ann):
    client.force_login(UserFactory())
    response = client.get(reverse("patients:detail", args=[ann.pk]))
    page = response.content.decode()
    assert response.status_code == 404
    assert "This page is not here" in page
    assert 'class="skip-link"' in page
    assert "Ann Example" not in page
