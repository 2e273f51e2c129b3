"""The writes of notifications, one function per action: the pages, the API and the admin call these.

Access has been decided before a service is called (patients/access.py and notifications/policy.py):
a service trusts that the caller may do what it asks.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import ActorType
from audit.trail import Actor, acting_as, actor_for, audited_update
from notifications.links import MAX_AGE, DoseLink
from notifications.models import Notification, NotificationSettings, PushSubscription, UsedDoseLink
from patients import access
from reminders import services as dose_services
from reminders.models import ConfirmationLog, Dose, MissedDoseAlert

if TYPE_CHECKING:
    from accounts.models import User

# --- The inbox ------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, user: User, ids: Iterable[int], now: datetime.datetime | None = None) -> int:
    """The person read these in-app messages (theirs, still unread; others' ids are ignored)."""
    return (
        Notification.objects.in_app_for(user)
        .unread()
        .filter(pk__in=list(ids))
        .update(read_at=now or timezone.now())
    )


@transaction.atomic
def notification_mark_all_read(*, user: User, now: datetime.datetime | None = None) -> int:
    return Notification.objects.in_app_for(user).unread().update(read_at=now or timezone.now())


@transaction.atomic
def notification_retry(*, notification: Notification, now: datetime.datetime | None = None) -> bool:
    """Put a failed notification back in the queue, due now, with a fresh count of attempts.

    Compare-and-set: a row that someone else already put back is left alone (returns False).
    """
    now = now or timezone.now()
    return bool(
        audited_update(
            Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED),
            notification,
            patient_id=notification.patient_id,
            audit_note={"reason": "tried again from the admin", "last_error": notification.last_error[:500]},
            status=Notification.Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
    )


# --- What each person chose ------------------------------------------------------------------


@transaction.atomic
def notification_settings_update(*, user: User, **values: Any) -> NotificationSettings:
    """Save the person's choices (channels, quiet hours, repeats), creating their settings the first time.

    A number or zone equal to the patient profile's is stored empty: it then follows the profile
    when that changes. Only a different one, chosen on purpose, stays as it is.
    """
    chosen = NotificationSettings.objects.select_for_update().filter(user=user).first()
    if chosen is None:
        chosen = NotificationSettings(user=user)
    for field, value in values.items():
        setattr(chosen, field, value)
    if chosen.profile is not None:
        if chosen.sms_number == chosen.profile.phone_number:
            chosen.sms_number = ""
        if chosen.time_zone == chosen.profile.time_zone:
            chosen.time_zone = ""
    chosen.full_clean()
    chosen.save()
    return chosen


@transaction.atomic
def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Store a browser's subscription for `user`; a shared device's subscription moves to them."""
    return PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]},
    )


@transaction.atomic
def push_subscription_delete(*, user: User, endpoint: str) -> bool:
    """Forget the browser's subscription, if it is `user`'s. Returns whether there was one."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return bool(deleted)


# --- Alerts --------------------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(
    *, alert: MissedDoseAlert, by: User, now: datetime.datetime | None = None
) -> MissedDoseAlert:
    """A caregiver says "I'm handling it": the others see who, and later escalation steps stop.

    A second press (or a second caregiver) changes nothing: the first one stands.
    """
    now = now or timezone.now()
    audited_update(
        MissedDoseAlert.objects.filter(Q(pk=alert.pk) & Q(acknowledged_at__isnull=True)),
        alert,
        patient_id=alert.patient_id,
        acknowledged_by_id=by.pk,
        acknowledged_at=now,
        escalation_due_at=None,
        updated_at=now,
    )
    alert.refresh_from_db()
    return alert


# --- One-click dose links ----------------------------------------------------------------------------


class LinkAlreadyUsed(dose_services.DoseError):
    """The link has recorded its dose before: a link works once."""

    def __init__(self, used: UsedDoseLink) -> None:
        self.used = used
        super().__init__("This link was already used. Open Adhere to see or change what was recorded.")


@dataclass(frozen=True)
class LinkActor:
    """Who records a dose through a link: `by` is the confirmation's person, `actor` the audit's."""

    by: User
    actor: Actor
    # "holder": the person the link was sent to (or nobody signed in); "signed_in": someone else,
    # signed in, who may confirm this patient's doses, in their own name; "link_only": someone
    # signed in who may not, so the link acts, not them.
    kind: str


def dose_link_actor(*, link: DoseLink, signed_in: User | None) -> LinkActor:
    """Who a link acts as, decided once for the page (which says it) and the write (which records it).

    A link is its holder's credential, so signed out it acts for them, as it always has. With
    someone else signed in in that browser, the action is theirs when the access policy lets them
    confirm this patient's doses: the confirmation and the audit entry name them, not the link's
    holder. When it does not (a neighbour's phone, a caregiver of other patients), the link still
    acts, since whoever holds it may use it; the confirmation names the holder whose credential it
    is, and the audit entry names no account but says whose link it was and who was signed in, so
    that nobody is silently recorded as having done it.
    """
    if signed_in is None or not signed_in.is_authenticated or signed_in.pk == link.user.pk:
        return LinkActor(by=link.user, actor=actor_for(link.user), kind="holder")
    granted = access.access_to(signed_in, link.dose.patient_id)
    if granted is not None and granted.allows(access.Action.CONFIRM_DOSES):
        return LinkActor(by=signed_in, actor=actor_for(signed_in), kind="signed_in")
    label = f"dose link of {link.user.email}, opened while {signed_in.email} was signed in"
    return LinkActor(by=link.user, actor=Actor(ActorType.ANONYMOUS, None, label), kind="link_only")


def dose_link_used(*, link: DoseLink) -> UsedDoseLink | None:
    return UsedDoseLink.objects.filter(digest=link.digest).first()


@transaction.atomic
def dose_link_act(
    *,
    link: DoseLink,
    acting: LinkActor,
    reason: str = "",
    note: str = "",
    now: datetime.datetime | None = None,
) -> Dose:
    """Record the link's dose as taken or skipped, once: a link used before raises LinkAlreadyUsed.

    The use is stored with the record, in one transaction: a refused action (too early, already
    recorded) leaves the link usable, and two presses at once record once (the digest is unique).
    """
    now = now or timezone.now()
    # A link is refused once it is a day old: remembering its use longer serves nothing.
    UsedDoseLink.objects.filter(used_at__lt=now - 2 * MAX_AGE).delete()
    try:
        with transaction.atomic():
            UsedDoseLink.objects.create(digest=link.digest, action=link.action, used_at=now)
    except IntegrityError:
        raise LinkAlreadyUsed(UsedDoseLink.objects.get(digest=link.digest)) from None
    dose = link.dose
    with acting_as(acting.actor):
        if link.action == "taken":
            dose_services.dose_confirm(dose=dose, by=acting.by, method=ConfirmationLog.Method.LINK, now=now)
        else:
            dose_services.dose_skip(dose=dose, by=acting.by, reason=reason, note=note, now=now)
    dose.refresh_from_db()
    return dose
