"""Caregiver invitations go through the outbox: queued by the worker, retried, their outcome recorded.

Ann invites bob@example.org, an address with no account, on her care-team page. The mail server
is a real Django backend that fails when told to (conftest.py's `server`).
"""

from __future__ import annotations

import smtplib

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import Action, AuditEntry
from notifications.invitations import queue_invitations
from notifications.models import Channel, Kind, Notification
from notifications.tasks import deliver_notifications
from notifications.tests.world import MINUTE, at
from patients import services as care_team_services
from patients.invitations import pending_invitation
from patients.models import CareLink

pytestmark = pytest.mark.django_db

BOB = "bob@example.org"


@pytest.fixture(autouse=True)
def ann_signed_in(client: Client, ann) -> None:
    """Every test here is Ann, signed in, inviting someone to her care team."""
    client.force_login(ann.user)


def invite(client: Client, email: str = BOB):
    return client.post(
        reverse("patients:care_team"),
        {"email": email, "caregiver_name": "Bob, my son", "receives_missed_dose_alerts": "on"},
        follow=True,
    )


def invitation_emails() -> list[Notification]:
    return list(Notification.objects.filter(kind=Kind.INVITATION).order_by("pk"))


def token_in(body: str) -> str:
    path = next(word for word in body.split() if "/invitations/" in word)
    return path.rstrip("/").rsplit("/", 1)[-1]


def test_the_invitation_is_mailed_by_the_outbox_worker_to_an_address_without_an_account(
    client, server, clock
):
    response = invite(client)
    assert "Invitation sent to bob@example.org" in response.content.decode()
    assert server.sent == []  # nothing is sent from the request

    deliver_notifications()

    [mail] = server.sent
    assert mail.to == [BOB]
    assert mail.subject == "Adhere: Ann Example invites you to their care team"
    assert "Hello Bob, my son," in mail.body
    assert "You will be told when they miss a dose" in mail.body
    assert "(Europe/London time)" in mail.body
    assert mail.alternatives == []  # the invitation is plain text, as it always was
    assert pending_invitation(token_in(mail.body)) == CareLink.objects.get()
    [email] = invitation_emails()
    assert (email.recipient, email.to_address, email.channel) == (None, BOB, Channel.EMAIL)
    assert (email.status, email.attempts) == (Notification.Status.SENT, 1)
    entry = AuditEntry.objects.get(action=Action.DELIVERY, entity_id=str(email.pk))
    assert (entry.payload["recipient"], entry.payload["outcome"]) == (BOB, "sent")
    # The next runs find nothing new to queue.
    deliver_notifications()
    assert queue_invitations() == 0
    assert len(server.sent) == 1


def test_a_failing_mail_server_does_not_fail_the_invitation_and_it_is_retried(
    client, server, clock, django_capture_on_commit_callbacks
):
    server.failures = 1
    server.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        response = invite(client)

    assert response.status_code == 200
    assert "Invitation sent to bob@example.org" in response.content.decode()
    assert after_commit == []  # nothing waits for the commit to send mail from the request
    assert CareLink.objects.get().status == CareLink.Status.PENDING
    assert deliver_notifications() == {"retrying": 1}
    [email] = invitation_emails()
    assert email.last_error == "The mail server refused it: Connection unexpectedly closed"
    clock.move_to(at(6) + MINUTE)
    assert deliver_notifications() == {"sent": 1}
    assert [mail.to for mail in server.sent] == [[BOB]]


def test_an_invitation_withdrawn_before_it_is_mailed_is_not_mailed(client, server, clock):
    invite(client)
    queue_invitations()
    care_team_services.care_link_revoke(link=CareLink.objects.get())

    assert deliver_notifications() == {"cancelled": 1}

    assert server.sent == []
    [email] = invitation_emails()
    assert email.status == Notification.Status.CANCELLED
    assert "withdrawn" in email.last_error


def test_send_again_before_the_first_is_mailed_mails_only_the_new_link(client, server, clock):
    invite(client)
    queue_invitations()
    link = CareLink.objects.get()
    client.post(reverse("patients:care_link_resend", args=[link.pk]))

    deliver_notifications()

    [mail] = server.sent
    link.refresh_from_db()
    assert pending_invitation(token_in(mail.body)) == link
    assert [email.status for email in invitation_emails()] == [
        Notification.Status.CANCELLED,
        Notification.Status.SENT,
    ]
