"""Caregiver invitations through the outbox, like every other message (decision 5).

Inviting is a patients service (patients/services.py): it reopens the CareLink as PENDING with a
new nonce, and that row is the event. The patients app sits below the outbox and may not write to
it, so the outbox reads the event instead, as healthchecks' worker reads its flips: each run of
the delivery job first queues one email for every invitation that waits for an answer and has
none yet for its current nonce. The nonce is in the deduplication key, so an invitation is queued
once, and "Send again" (a new nonce) queues a new one.

The email is the invitation as it always was (patients/email/invitation_*.txt), addressed to the
invited address, which may have no account. Its link is made when it is sent, from the link's
current nonce. Before each attempt the worker checks that the invitation still waits for an
answer with that nonce: one withdrawn, answered, expired or sent again is cancelled, not mailed.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import Channel, Kind, Notification
from patients.invitations import invitation_path
from patients.models import CareLink

PREFIX = "invitation"


def dedup_key(link: CareLink) -> str:
    return f"{PREFIX}:{link.pk}:{link.invite_nonce}:{Channel.EMAIL}"


def _waiting(now: datetime.datetime):
    return CareLink.objects.filter(status=CareLink.Status.PENDING, invite_expires_at__gt=now)


def queue_invitations(*, now: datetime.datetime | None = None) -> int:
    """Queue the email of every invitation issued since the last run. Returns how many."""
    now = now or timezone.now()
    key = Concat(
        Value(f"{PREFIX}:"),
        Cast(OuterRef("pk"), CharField()),
        Value(":"),
        OuterRef("invite_nonce"),
        Value(f":{Channel.EMAIL}"),
        output_field=CharField(),
    )
    unsent = (
        _waiting(now)
        .exclude(Exists(Notification.objects.filter(dedup_key=key)))
        .select_related("patient")
        .order_by("invited_at", "pk")
    )
    queued = 0
    for link in unsent:
        try:
            with transaction.atomic():
                Notification.objects.create(
                    to_address=link.invited_email,
                    care_link=link,
                    patient=link.patient,
                    channel=Channel.EMAIL,
                    kind=Kind.INVITATION,
                    title=render_to_string("patients/email/invitation_subject.txt", _context(link)).strip(),
                    body=f"An invitation from {link.patient.display_name} to join their care team.",
                    dedup_key=dedup_key(link),
                    status=Notification.Status.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
        except IntegrityError:
            continue  # another worker queued it first
        queued += 1
    return queued


def withdrawn_reason(notification: Notification, now: datetime.datetime) -> str:
    """Why the invitation should not be mailed after all, or ''."""
    link = notification.care_link
    if (
        link is None
        or not _waiting(now).filter(pk=link.pk).exists()
        or dedup_key(link) != notification.dedup_key
    ):
        return "the invitation was withdrawn, answered, sent again or has expired"
    return ""


def _context(link: CareLink) -> dict:
    return {
        "link": link,
        "patient": link.patient,
        "url": settings.SITE_URL.rstrip("/") + invitation_path(link),
    }


def email_parts(notification: Notification) -> tuple[str, str]:
    """The invitation email's subject and text, as the patients app words them, with a fresh link."""
    link = CareLink.objects.select_related("patient").get(pk=notification.care_link_id)  # type: ignore[misc]  # an invitation always names its link
    context = _context(link)
    return (
        render_to_string("patients/email/invitation_subject.txt", context).strip(),
        render_to_string("patients/email/invitation_message.txt", context),
    )
