"""The outbox worker: delivers due notifications, retries with backoff, records every outcome.

Before every attempt the access policy is asked again (notifications/policy.py), once per
batch: a message whose recipient may no longer receive it (a caregiver revoked, or whose link
no longer includes alerts, since it was queued) is CANCELLED with the reason, never sent and
never retried. A notification is claimed by a compare-and-set that pushes its next attempt
a lease into the future (so several workers never send the same row at once,
and a worker that dies mid-send leaves it to be tried again when the lease
ends). Sending happens outside any transaction; the outcome is then written
with its audit entry. After MAX_ATTEMPTS the row is FAILED, with the last
error, and the admin lists it.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter

from django.db import transaction
from django.utils import timezone

from audit.models import Action
from audit.trail import record
from notifications import invitations, policy
from notifications.channels import DeliveryError, sender_for
from notifications.models import Kind, Notification
from reminders.models import Dose

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The wait before the 2nd, 3rd, 4th and 5th tries.
BACKOFF = [datetime.timedelta(minutes=m) for m in (1, 5, 30, 120)]
LEASE = datetime.timedelta(minutes=5)
BATCH = 200


def deliver_due(*, now: datetime.datetime | None = None, limit: int = BATCH) -> Counter:
    """Deliver what is due now. Returns how many ended sent, retrying, failed and cancelled.

    Invitations issued since the last run are queued first (notifications/invitations.py).
    """
    now = now or timezone.now()
    invitations.queue_invitations(now=now)
    due = list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "recipient_id", "patient_id", "kind")[:limit]
    )
    # The access policy, asked again for the whole batch: a caregiver revoked since is not sent to.
    withdrawn = policy.withdrawn(due)
    outcomes: Counter = Counter()
    for pk, *_ in due:
        outcome = deliver_one(pk, now=now, allowed=pk not in withdrawn)
        if outcome:
            outcomes[outcome] += 1
    return outcomes


def _claim(pk: int, now: datetime.datetime) -> bool:
    claimed = Notification.objects.filter(
        pk=pk, status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, updated_at=now)
    return claimed == 1


def _no_longer_needed(notification: Notification, now: datetime.datetime) -> str:
    """Why the message should not go out after all, or ''."""
    if notification.kind == Kind.INVITATION:
        return invitations.withdrawn_reason(notification, now)
    if notification.recipient is not None and not notification.recipient.is_active:
        return "the recipient's account is closed"
    # A patient_id means the patient is there.
    if notification.patient_id and not notification.patient.is_active:  # type: ignore[union-attr]
        return "the patient paused reminders and alerts"
    if (
        notification.kind == Kind.REMINDER
        and not notification.doses.filter(status=Dose.Status.PENDING).exists()
    ):
        return "the dose was already answered"
    if (
        notification.kind == Kind.CAREGIVER_ALERT
        and not notification.alerts.filter(acknowledged_at__isnull=True).exists()
    ):
        return "someone is already handling it"
    # Told of a recording that was undone since (held by quiet hours, or a retry): no longer true.
    if (
        notification.kind == Kind.DOSE_RECORDED
        and not notification.doses.filter(status__in=[Dose.Status.TAKEN, Dose.Status.SKIPPED]).exists()
    ):
        return "the recording was undone"
    # A missed-dose message held (quiet hours, a retry) until after every dose in it was recorded.
    if (
        notification.kind in (Kind.MISSED, Kind.CAREGIVER_ALERT)
        and not notification.doses.filter(status=Dose.Status.MISSED).exists()
    ):
        return "the doses were recorded since"
    return ""


def deliver_one(pk: int, *, now: datetime.datetime | None = None, allowed: bool | None = None) -> str | None:
    """Try one notification, if no other worker has it. Returns the outcome, or None.

    `allowed`: what the access policy said of its recipient for this batch (asked here when None).
    """
    now = now or timezone.now()
    if not _claim(pk, now):
        return None
    notification = Notification.objects.select_related("recipient", "patient").get(pk=pk)
    attempts = notification.attempts + 1
    if allowed is None:
        row = (notification.pk, notification.recipient_id, notification.patient_id, notification.kind)
        allowed = not policy.withdrawn([row])
    reason = _no_longer_needed(notification, now) if allowed else policy.WITHDRAWN
    if reason:
        return _finish(notification, Notification.Status.CANCELLED, attempts - 1, now, error=reason)
    try:
        sender_for(notification.channel)(notification)
    except Exception as error:
        permanent = isinstance(error, DeliveryError) and error.permanent
        message = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
        if not isinstance(error, DeliveryError):
            logger.exception("Delivering notification %s by %s failed", pk, notification.channel)
        if permanent or attempts >= MAX_ATTEMPTS:
            return _finish(notification, Notification.Status.FAILED, attempts, now, error=message)
        return _finish(
            notification,
            Notification.Status.PENDING,
            attempts,
            now,
            error=message,
            next_attempt_at=now + BACKOFF[min(attempts, len(BACKOFF)) - 1],
        )
    return _finish(notification, Notification.Status.SENT, attempts, now)


def _finish(
    notification: Notification,
    status: str,
    attempts: int,
    now: datetime.datetime,
    *,
    error: str = "",
    next_attempt_at: datetime.datetime | None = None,
) -> str:
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            status=status,
            attempts=attempts,
            last_error=error[:2000],
            next_attempt_at=next_attempt_at,
            sent_at=now if status == Notification.Status.SENT else None,
            updated_at=now,
        )
        outcome = "retrying" if status == Notification.Status.PENDING else status
        record(
            Action.DELIVERY,
            entity=notification,
            patient_id=notification.patient_id,
            payload={
                "channel": notification.channel,
                "kind": notification.kind,
                "recipient": notification.address,
                "outcome": outcome,
                "attempt": attempts,
                **({"error": error[:500]} if error else {}),
            },
        )
    if status == Notification.Status.FAILED:
        logger.error(
            "Notification %s to %s by %s failed after %d attempts: %s",
            notification.pk,
            notification.address,
            notification.channel,
            attempts,
            error,
        )
    return outcome
