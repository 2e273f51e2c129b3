"""Who reads what of the notifications, for every role of the access matrix.

The world is patients/tests/test_access_matrix.py's: Ann is a patient; Vera may only view, Carl may
also confirm doses, Alma gets missed-dose alerts (Carl's link includes alerts too); Rex was revoked;
Pia was invited and has not answered; Olga is another patient with her own caregiver Otto; Sam is
staff. Each of them was sent a message about Ann's missed Zestoril while they could (the outbox
keeps rows queued before a change), and holds a signed dose link. The readers ask the access
policy now, not when the message was queued:

* the inbox shows the message's words only to those who may still see Ann;
* the badge counts only what they may still read;
* the alerts panel lists Ann's alert only to caregivers whose link includes alerts;
* a dose link works only while its person may confirm Ann's doses;
* the outbox worker sends the email only to those who may still receive it.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from notifications import policy
from notifications.delivery import deliver_due
from notifications.links import make_token
from notifications.models import Channel, Kind, Notification
from notifications.outbox import Message, queue
from patients.tests.test_access_matrix import ROLES, World
from reminders.models import Dose

pytestmark = pytest.mark.django_db

SECRET = "Zestoril"  # Ann's medicine: a reader that may not see Ann must not show it
WITHHELD = "A patient you no longer care for"

SHOWN, HIDDEN, LOGIN, WORKS, BROKEN, SENT, CANCELLED = (
    "shown",
    "hidden",
    "login",
    "works",
    "broken",
    "sent",
    "cancelled",
)


def everyone(answer: str, **exceptions: str) -> dict[str, str]:
    return {role: exceptions.get(role, answer) for role in ROLES}


VIEWERS = {"patient": SHOWN, "caregiver_view": SHOWN, "caregiver_confirm": SHOWN, "caregiver_alerts": SHOWN}

INBOX = everyone(HIDDEN, anonymous=LOGIN, **VIEWERS)
BADGE = everyone(HIDDEN, anonymous=LOGIN, **VIEWERS)
ALERTS_PANEL = everyone(HIDDEN, anonymous=LOGIN, caregiver_confirm=SHOWN, caregiver_alerts=SHOWN)
DOSE_LINK = everyone(BROKEN, patient=WORKS, caregiver_confirm=WORKS)
# The anonymous visitor has no address to send to.
DELIVERY = everyone(CANCELLED, anonymous=None, patient=SENT, caregiver_confirm=SENT, caregiver_alerts=SENT)


@pytest.fixture
def matrix_world() -> World:
    matrix_world = World()
    # Each person was told of Ann's missed dose (the patient in her own words), in the app and by email.
    with transaction.atomic():
        for role in ROLES:
            user = matrix_world.user(role)
            if user is None:
                continue
            kind = Kind.MISSED if role == "patient" else Kind.CAREGIVER_ALERT
            message = Message(
                kind=kind,
                event=f"matrix:{role}",
                title=f"{matrix_world.ann.display_name} missed {SECRET} 10 mg",
                body=f"The dose of {SECRET} was not recorded as taken in time.",
                link=reverse("patients:detail", args=[matrix_world.ann.pk]),
                patient_id=matrix_world.ann.pk,
                dose_ids=[matrix_world.missed_dose.pk],
                alert_ids=[matrix_world.alert.pk],
                waits_for_quiet_hours=False,
            )
            queue(message, [user], now=matrix_world.alert.alerted_at)
    return matrix_world


def sign_in(client, matrix_world: World, role: str):
    user = matrix_world.user(role)
    if user is not None:
        client.force_login(user)
    return user


def test_every_reader_names_an_answer_for_every_role():
    for expected in (INBOX, BADGE, ALERTS_PANEL, DOSE_LINK, DELIVERY):
        assert set(expected) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_inbox(client, matrix_world, role):
    sign_in(client, matrix_world, role)
    response = client.get(reverse("notifications:inbox"))
    body = response.content.decode()
    if INBOX[role] == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        return
    assert response.status_code == 200
    if INBOX[role] == SHOWN:
        assert SECRET in body
        assert matrix_world.ann.display_name in body
        assert WITHHELD not in body
    else:
        assert WITHHELD in body
        assert SECRET not in body
        assert matrix_world.ann.display_name not in body
        assert reverse("patients:detail", args=[matrix_world.ann.pk]) not in body


def polled(client, matrix_world: World, role: str, url_name: str, expected: str) -> str | None:
    """A fragment as htmx polls it, for the role; None when the role is sent to sign in."""
    sign_in(client, matrix_world, role)
    response = client.get(reverse(url_name), headers={"HX-Request": "true"})
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        return None
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_badge(client, matrix_world, role):
    body = polled(client, matrix_world, role, "notifications:badge", BADGE[role])
    if BADGE[role] == SHOWN:
        assert 'data-unread="1"' in body
    elif body is not None:
        assert "data-unread" not in body


@pytest.mark.parametrize("role", ROLES)
def test_alerts_panel(client, matrix_world, role):
    body = polled(client, matrix_world, role, "notifications:alerts_panel", ALERTS_PANEL[role])
    if body is None:
        return
    assert 'id="alerts-panel"' in body
    if ALERTS_PANEL[role] == SHOWN:
        assert matrix_world.ann.display_name in body
        assert matrix_world.medication.medication_name in body
    else:
        assert matrix_world.ann.display_name not in body
        assert SECRET not in body
        assert "No missed doses in the last two days." in body


@pytest.mark.parametrize("role", ROLES)
def test_dose_link(client, matrix_world, role):
    """A signed "Taken" link in the role's name, opened and then pressed (a link is its own credential)."""
    user = matrix_world.user(role)
    holder = user if user is not None else type(matrix_world.ann.user)(pk=0)  # a link naming nobody
    url = reverse("notifications:dose_link", args=[make_token(matrix_world.dose, holder, "taken")])

    page = client.get(url)
    pressed = client.post(url)

    matrix_world.dose.refresh_from_db()
    if DOSE_LINK[role] == WORKS:
        assert page.status_code == 200
        assert SECRET in page.content.decode()
        assert "Recorded as taken" in pressed.content.decode()
        assert matrix_world.dose.status == Dose.Status.TAKEN
        return
    for response in (page, pressed):
        body = response.content.decode()
        assert response.status_code == 400
        assert "This link no longer works. Open Adhere to see your doses." in body
        assert SECRET not in body
        assert matrix_world.ann.display_name not in body
    assert matrix_world.dose.status == Dose.Status.PENDING


@pytest.mark.parametrize("role", ROLES)
def test_delivery(matrix_world, role, mailoutbox):
    """The real worker runs over everyone's queued email; each role's row ends as expected."""
    user = matrix_world.user(role)
    if DELIVERY[role] is None:
        assert user is None
        return

    deliver_due(now=matrix_world.alert.alerted_at)

    email = Notification.objects.get(recipient=user, channel=Channel.EMAIL)
    # (Pia's invitation, still waiting for her answer, is mailed too: it names no medicine.)
    mailed = [message.to[0] for message in mailoutbox if SECRET in message.subject]
    if DELIVERY[role] == SENT:
        assert email.status == Notification.Status.SENT
        assert mailed.count(user.email) == 1
    else:
        assert email.status == Notification.Status.CANCELLED
        assert email.last_error == policy.WITHDRAWN
        assert user.email not in mailed
