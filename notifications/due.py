"""Due-dose reminders: the first one when a dose comes due, then again at a snooze or every N minutes.

Reads pending doses through two partial indexes (`dose_pending_unreminded`,
`dose_pending_remind_again`). Each reminder is a compare-and-set on the
dose (reminded_at still empty, or remind_again_at still what was read), so
two workers never send the same round twice; the winner queues one message
per patient for all the doses due together, in the same transaction.
A paused patient or medication is reminded of nothing (the dose is still
marked, so it is not read again).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from audit.trail import audited_update, together
from notifications import messages
from notifications.outbox import queue, settings_for
from reminders.models import Dose

BATCH = 2000
SNOOZE_MINUTES = (10, 30, 60)


def remind_due(*, now: datetime.datetime | None = None) -> int:
    """Send every reminder that is due. Returns how many doses were reminded."""
    now = now or timezone.now()
    still_open = Dose.objects.filter(status=Dose.Status.PENDING, window_ends_at__gt=now)
    first = still_open.filter(reminded_at__isnull=True, as_needed=False, scheduled_at__lte=now)
    again = still_open.filter(remind_again_at__lte=now)
    by_patient: dict[int, set[int]] = defaultdict(set)
    for query in (first, again):
        for dose_id, patient_id in query.values_list("pk", "patient_id")[:BATCH]:
            by_patient[patient_id].add(dose_id)
    return sum(_remind(sorted(dose_ids), now=now) for dose_ids in by_patient.values())


def _next_reminder(dose: Dose, every_minutes: int | None, now: datetime.datetime) -> datetime.datetime | None:
    if not every_minutes:
        return None
    at = now + datetime.timedelta(minutes=every_minutes)
    return at if at < dose.window_ends_at else None


def _remind(dose_ids: list[int], *, now: datetime.datetime) -> int:
    with transaction.atomic(), together():
        doses = list(
            Dose.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=dose_ids, status=Dose.Status.PENDING, window_ends_at__gt=now)
            .select_related("reminder", "patient__user")
            .order_by("scheduled_at", "pk")
        )
        if not doses:
            return 0
        patient = doses[0].patient
        every = settings_for([patient.user])[patient.user.pk].repeat_every_minutes
        reminded = []
        for dose in doses:
            if dose.reminded_at is None and dose.scheduled_at <= now:
                condition = {"reminded_at__isnull": True}
                changes = {"reminded_at": now}
            elif dose.remind_again_at is not None and dose.remind_again_at <= now:
                condition = {"remind_again_at": dose.remind_again_at}
                changes = {}
            else:
                continue
            next_at = _next_reminder(dose, every, now)
            won = audited_update(
                Dose.objects.filter(pk=dose.pk, status=Dose.Status.PENDING, **condition),
                dose,
                patient_id=dose.patient_id,
                reminders_sent=dose.reminders_sent + 1,
                remind_again_at=next_at,
                updated_at=now,
                **changes,
            )
            if won:
                dose.reminders_sent += 1
                dose.remind_again_at = next_at
                reminded.append(dose)
        if reminded and patient.is_active:
            wanted = [dose for dose in reminded if dose.reminder.is_active]
            if wanted:
                queue(messages.reminder(wanted), [patient.user], now=now)
    return len(reminded)


@transaction.atomic
def dose_snooze(*, dose: Dose, minutes: int, now: datetime.datetime | None = None) -> Dose:
    """ "Remind me in 10, 30 or 60 minutes", until the dose counts as missed."""
    from reminders.services import DoseError

    now = now or timezone.now()
    if minutes not in SNOOZE_MINUTES:
        raise DoseError("Choose 10, 30 or 60 minutes.")
    at = now + datetime.timedelta(minutes=minutes)
    if dose.status != Dose.Status.PENDING:
        raise DoseError("This dose is already recorded; there is nothing to remind you of.")
    if at >= dose.window_ends_at:
        local = dose.window_ends_at.astimezone(dose.patient.zone)
        raise DoseError(
            f"A reminder then would be too late: this dose counts as missed at {local:%H:%M}. "
            "Take it now, or skip it."
        )
    won = audited_update(
        Dose.objects.filter(pk=dose.pk, status=Dose.Status.PENDING),
        dose,
        patient_id=dose.patient_id,
        remind_again_at=at,
        updated_at=now,
    )
    if not won:
        raise DoseError("This dose is already recorded; there is nothing to remind you of.")
    dose.remind_again_at = at
    return dose
