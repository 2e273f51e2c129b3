"""Due-dose reminders: the first one when a dose comes due, then again at a snooze or every N minutes.

Reads pending doses through two partial indexes (`dose_pending_unreminded`,
`dose_pending_remind_again`). One worker at a time handles a patient (their
row is held), so the doses due together make one message. Each reminder is a compare-and-set on the
dose (reminded_at still empty, or remind_again_at still what was read), so
two workers never send the same round twice; the winner queues one message
per patient for all the doses due together, in the same transaction.
A paused patient or medication is reminded of nothing (the dose is still
marked, so it is not read again). Snoozing ("remind me in 30 minutes") is a dose
action, reminders.services.dose_snooze: it sets remind_again_at, read here.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from audit.trail import audited_update, together
from notifications import messages
from notifications.outbox import hold_patient, queue, settings_for
from reminders.models import Dose

BATCH = 2000


def remind_due(*, now: datetime.datetime | None = None) -> int:
    """Send every reminder that is due. Returns how many doses were reminded (paused ones are not)."""
    now = now or timezone.now()
    still_open = Dose.objects.filter(status=Dose.Status.PENDING, window_ends_at__gt=now)
    first = still_open.filter(reminded_at__isnull=True, as_needed=False, scheduled_at__lte=now)
    again = still_open.filter(remind_again_at__lte=now)
    by_patient: dict[int, set[int]] = defaultdict(set)
    for query in (first, again):
        for dose_id, patient_id in query.values_list("pk", "patient_id")[:BATCH]:
            by_patient[patient_id].add(dose_id)
    return sum(_remind(patient_id, sorted(dose_ids), now=now) for patient_id, dose_ids in by_patient.items())


def _next_reminder(dose: Dose, every_minutes: int | None, now: datetime.datetime) -> datetime.datetime | None:
    if not every_minutes:
        return None
    at = now + datetime.timedelta(minutes=every_minutes)
    return at if at < dose.window_ends_at else None


def _remind(patient_id: int, dose_ids: list[int], *, now: datetime.datetime) -> int:
    with transaction.atomic(), together():
        hold_patient(patient_id)
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
            snoozed = dose.remind_again_at is not None and dose.remind_again_at > now
            if dose.reminded_at is None and dose.scheduled_at <= now:
                condition = {"reminded_at__isnull": True, "remind_again_at": dose.remind_again_at}
                changes = {"reminded_at": now}
            elif dose.remind_again_at is not None and not snoozed:
                condition = {"remind_again_at": dose.remind_again_at}
                changes = {}
            else:
                continue
            # Paused (the patient, or this medication): marked as handled, so it is not read
            # again, but nothing is sent, counted or planned. Snoozed before the first reminder
            # went (the patient has seen the dose): the snooze stands, nothing is sent now.
            told = patient.is_active and dose.reminder.is_active and not snoozed
            if snoozed:
                next_at = dose.remind_again_at if patient.is_active and dose.reminder.is_active else None
            else:
                next_at = _next_reminder(dose, every, now) if told else None
            sent = dose.reminders_sent + 1 if told else dose.reminders_sent
            won = audited_update(
                Dose.objects.filter(pk=dose.pk, status=Dose.Status.PENDING, **condition),
                dose,
                patient_id=dose.patient_id,
                reminders_sent=sent,
                remind_again_at=next_at,
                updated_at=now,
                **changes,  # type: ignore[arg-type]  # only field values, never audit_note
            )
            if won and told:
                dose.reminders_sent = sent
                dose.remind_again_at = next_at
                reminded.append(dose)
        if reminded:
            queue(messages.reminder(reminded), [patient.user], now=now)
    return len(reminded)
