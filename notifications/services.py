"""The writes of notifications, one function per action: the pages, the API and the admin call these.

Access has been decided before a service is called (patients/access.py and notifications/policy.py):
a service trusts that the caller may do what it asks.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.trail import audited_update
from notifications.models import Notification, NotificationSettings, PushSubscription
from reminders.models import MissedDoseAlert

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
