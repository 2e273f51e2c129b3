"""Writing to the outbox: the one way an event queues messages (decision 5).

`queue()` is called inside the transaction of the event that causes the
message (a dose marked missed, a reminder made due, an escalation step), so
the message exists exactly when the event does. Each row's dedup_key names
the event, the recipient and the channel; it is unique, so an event that is
somehow handled twice cannot queue the same message twice: the second
transaction fails and rolls back with its event.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from notifications.channels import push, sms
from notifications.models import Channel, Kind, Notification, NotificationSettings, PushSubscription
from patients.models import PatientProfile


@dataclass(frozen=True)
class Message:
    kind: str
    event: str  # names the event; with recipient and channel it is the dedup key
    title: str
    body: str
    link: str = ""
    patient_id: int | None = None
    dose_ids: Sequence[int] = field(default_factory=tuple)
    alert_ids: Sequence[int] = field(default_factory=tuple)
    # Reminders (and the patient's own missed-dose messages) wait out quiet hours;
    # missed-dose alerts to caregivers do not.
    waits_for_quiet_hours: bool = True


def event_key(prefix: str, ids: Iterable[object]) -> str:
    """A short, stable name for an event about these objects (a summary may name many)."""
    joined = ",".join(str(i) for i in sorted(ids, key=str))
    if len(joined) <= 120:
        return f"{prefix}:{joined}"
    return f"{prefix}:#{hashlib.sha256(joined.encode()).hexdigest()[:40]}"


def settings_for(users: Sequence) -> dict[int, NotificationSettings]:
    """Each user's settings; the defaults (unsaved) for those who never changed them."""
    saved = {s.user_id: s for s in NotificationSettings.objects.filter(user__in=users)}
    # What an empty number or zone follows, for everyone at once.
    profiles = {p.user_id: p for p in PatientProfile.objects.filter(user__in=users)}
    result = {}
    for user in users:
        chosen = saved.get(user.pk)
        if chosen is None:
            chosen = NotificationSettings(user=user)
        chosen.user = user
        chosen.profile = profiles.get(user.pk)
        result[user.pk] = chosen
    return result


def hold_patient(patient_id: int) -> None:
    """Hold the patient's row until the transaction ends: one worker at a time handles their doses.

    A second worker reminding or sweeping the same patient waits here, then finds the doses
    already handled, instead of sending its own share of them as a second message. FOR NO KEY
    UPDATE does not block rows that merely point at the patient (new doses, confirmations).
    """
    list(PatientProfile.objects.select_for_update(no_key=True).filter(pk=patient_id).values_list("pk"))


def queue(message: Message, recipients: Sequence, *, now: datetime.datetime) -> list[Notification]:
    """Write the message's rows for each recipient and channel they chose. Inside the event's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox.queue() belongs inside the transaction of the event it tells about.")
    recipients = [user for user in recipients if user.is_active]
    if not recipients:
        return []
    chosen = settings_for(recipients)
    # A channel the server is not set up for queues nothing (its rows could only fail).
    with_push = (
        set(PushSubscription.objects.filter(user__in=recipients).values_list("user_id", flat=True).distinct())
        if push.is_configured()
        else set()
    )
    can_text = sms.is_configured()
    rows = []
    for user in recipients:
        preferences = chosen[user.pk]
        quiet_until = preferences.quiet_hours_end(now) if message.waits_for_quiet_hours else None
        for channel in preferences.channels(has_push=user.pk in with_push, can_text=can_text):
            in_app = channel == Channel.IN_APP
            rows.append(
                Notification(
                    recipient=user,
                    channel=channel,
                    kind=message.kind,
                    patient_id=message.patient_id,
                    title=message.title,
                    body=message.body,
                    link=message.link,
                    dedup_key=f"{message.event}:{user.pk}:{channel}",
                    # The in-app row is the message itself: shown at once, and silent, so
                    # quiet hours do not hold it back.
                    status=Notification.Status.SENT if in_app else Notification.Status.PENDING,
                    sent_at=now if in_app else None,
                    next_attempt_at=None if in_app else (quiet_until or now),
                    created_at=now,
                )
            )
    Notification.objects.bulk_create(rows)
    if message.dose_ids:
        Notification.doses.through.objects.bulk_create(
            [
                Notification.doses.through(notification_id=row.pk, dose_id=d)
                for row in rows
                for d in message.dose_ids
            ]
        )
    if message.alert_ids:
        Notification.alerts.through.objects.bulk_create(
            [
                Notification.alerts.through(notification_id=row.pk, misseddosealert_id=a)
                for row in rows
                for a in message.alert_ids
            ]
        )
    return rows


__all__ = ["Kind", "Message", "event_key", "hold_patient", "queue", "settings_for"]
