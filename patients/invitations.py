"""Signed, single-use invitation links for care links.

The link carries the CareLink's id and its current nonce, signed with the
SECRET_KEY: it cannot be forged or pointed at another invitation. It works
once (accepting or declining ends the PENDING status) and until the
invitation's own expiry; a new invitation to the same address changes the
nonce, which ends every earlier link.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from patients.models import CareLink

_SALT = "patients.invitation"


def invitation_lifetime() -> timedelta:
    return timedelta(days=settings.CARE_INVITATION_DAYS)


def invitation_token(link: CareLink) -> str:
    return signing.dumps([link.pk, link.invite_nonce], salt=_SALT, compress=False)


def invitation_path(link: CareLink) -> str:
    return reverse("patients:invitation", args=[invitation_token(link)])


def pending_invitation(token: str) -> CareLink | None:
    """The invitation this token opens, if it is still waiting for an answer."""
    try:
        link_id, nonce = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    link = (
        CareLink.objects.select_related("patient")
        .filter(pk=link_id, invite_nonce=nonce, status=CareLink.Status.PENDING)
        .first()
    )
    if link is None or link.invite_expires_at <= timezone.now():
        return None
    return link


def addressed_to(user, link: CareLink) -> bool:
    """Whether `user` holds the address the invitation was sent to, verified."""
    return user.emailaddress_set.filter(email__iexact=link.invited_email, verified=True).exists()
