"""Signed one-click links in a due-dose email: "Taken" and "Skip", without signing in.

A link names one dose, one action and the person it was sent to, is signed
with the SECRET_KEY, and works for a day at most, only while the dose is
still pending, and once: a link that recorded its dose is remembered (a digest
of it, in UsedDoseLink), so opening it again, even after an undo in the app,
records nothing. Opening it shows a confirmation page; only the POST from that
page acts, because mail scanners follow links.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.models import User
from patients import access
from reminders.models import Dose

SALT = "adhere.notifications.dose-link"
MAX_AGE = datetime.timedelta(days=1)
ACTIONS = ("taken", "skip")


class BadLink(Exception):
    """The link cannot be used; the message says why, for the person holding it."""


@dataclass(frozen=True)
class DoseLink:
    dose: Dose
    user: User
    action: str
    digest: str  # names this very link (one token), for "used once"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_token(dose, user, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"No such dose link action: {action!r}")
    return signing.dumps({"d": str(dose.object_id), "u": user.pk, "a": action}, salt=SALT, compress=True)


def absolute_url(dose, user, action: str) -> str:
    return settings.SITE_URL + reverse("notifications:dose_link", args=[make_token(dose, user, action)])


def read_token(token: str) -> DoseLink:
    """The dose, person and action a link names, or BadLink. Does not check the dose's state."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise BadLink(
            "This link has expired: links in reminders work for a day. Open Adhere instead."
        ) from None
    except signing.BadSignature:
        raise BadLink("This link is not valid. It may have been cut short when it was copied.") from None
    if not isinstance(data, dict) or data.get("a") not in ACTIONS:
        raise BadLink("This link is not valid. It may have been cut short when it was copied.")
    # A key missing from the token is None and matches nothing.
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()  # type: ignore[misc]
    dose = (
        Dose.objects.select_related("reminder", "patient__user").filter(object_id=data.get("d")).first()  # type: ignore[misc]
        if isinstance(data.get("d"), str)
        else None
    )
    # The link stands only while the access policy still lets its person confirm the dose
    # (the patient; a caregiver only while their link is active and allows confirming).
    if user is None or dose is None:
        raise BadLink("This link no longer works. Open Adhere to see your doses.")
    access_now = access.access_to(user, dose.patient_id)
    if access_now is None or not access_now.allows(access.Action.CONFIRM_DOSES):
        raise BadLink("This link no longer works. Open Adhere to see your doses.")
    return DoseLink(dose=dose, user=user, action=data["a"], digest=digest(token))
