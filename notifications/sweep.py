"""The missed-dose sweep and the escalation of its alerts (decision 2).

The sweep reads pending doses whose grace window has ended through the
partial index `dose_pending_window_ends`, so it costs what is due, not what
exists. Each patient's doses are handled in one transaction by one worker at
a time (the patient's row is held; a second worker waits, then finds them
done). Dose rows a confirmation holds are skipped (SELECT ... FOR UPDATE SKIP
LOCKED on PostgreSQL) until the next run, and each dose still goes from
pending to missed by a compare-and-set update that only one worker can win.
The winner creates the dose's one
MissedDoseAlert (unique per dose) and queues the patient's message in the
same transaction. After downtime every overdue dose is marked in one run,
and each person gets one summary instead of one message per dose.

Caregivers are told by `escalate()`: each caregiver whose link includes
alerts (as the access policy answers, patients.access.care_links_granting),
once their delay after the missed dose has passed, unless a caregiver has
acknowledged the alert, the dose has since been recorded, or the patient
paused reminders. Who is told when is decided by the alert itself
(MissedDoseAlert.escalation_step, a pure function); escalate() is the loop
that feeds it, stores its answer by compare-and-set and queues the messages.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import Action as AuditAction
from audit.trail import audited_update, record, together
from notifications import messages
from notifications.models import Kind, Notification
from notifications.outbox import hold_patient, queue
from patients import access
from patients.access import Action
from reminders.models import Dose, MissedDoseAlert

# Doses (and alerts) read per run; what is left waits for the next run, a minute later.
BATCH = 2000


def sweep_missed(*, now: datetime.datetime | None = None) -> int:
    """Mark every overdue pending dose missed, alert its patient, then escalate. Returns doses marked."""
    now = now or timezone.now()
    overdue = (
        Dose.objects.filter(status=Dose.Status.PENDING, window_ends_at__lte=now)
        .order_by("window_ends_at")
        .values_list("pk", "patient_id")[:BATCH]
    )
    by_patient: dict[int, list[int]] = defaultdict(list)
    for dose_id, patient_id in overdue:
        by_patient[patient_id].append(dose_id)
    marked = sum(_mark_missed(patient_id, dose_ids, now=now) for patient_id, dose_ids in by_patient.items())
    escalate(now=now)
    return marked


def _mark_missed(patient_id: int, dose_ids: list[int], *, now: datetime.datetime) -> int:
    """One patient's overdue doses: missed, one alert each, one message to the patient."""
    with transaction.atomic(), together():
        hold_patient(patient_id)
        candidates = list(
            Dose.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=dose_ids, status=Dose.Status.PENDING, window_ends_at__lte=now)
            .select_related("reminder", "patient__user")
            .order_by("scheduled_at", "pk")
        )
        missed = [
            dose
            for dose in candidates
            if audited_update(
                Dose.objects.filter(pk=dose.pk, status=Dose.Status.PENDING),
                dose,
                patient_id=dose.patient_id,
                status=Dose.Status.MISSED,
                resolved_at=now,
                remind_again_at=None,
                updated_at=now,
            )
        ]
        if not missed:
            return 0
        patient = missed[0].patient
        delays = _alert_delays([patient.pk])[patient.pk].values() if patient.is_active else ()
        alerts = []
        for dose in missed:
            dose.status = Dose.Status.MISSED
            alert = MissedDoseAlert.objects.create(
                reminder=dose.reminder,
                dose=dose,
                patient=patient,
                alerted_at=now,
                escalation_due_at=MissedDoseAlert.first_escalation_due_at(now, delays),
            )
            alerts.append(alert)
        if patient.is_active:
            queue(messages.missed(alerts), [patient.user], now=now)
        record(
            AuditAction.ALERT,
            entity_type=MissedDoseAlert._meta.label,
            patient_id=patient.pk,
            payload={
                "doses": [dose.pk for dose in missed],
                "told": [patient.user.email] if patient.is_active else [],
                "paused": not patient.is_active,
            },
        )
    return len(missed)


def _alert_delays(patient_ids) -> dict[int, dict[int, int]]:
    """Each patient's caregivers who may receive alerts now, as the policy says: {caregiver id: delay}."""
    delays: dict[int, dict[int, int]] = defaultdict(dict)
    for patient_id, caregiver_id, delay in access.care_links_granting(
        Action.RECEIVE_ALERTS, patients=patient_ids
    ).values_list("patient_id", "caregiver_id", "alert_delay_minutes"):
        delays[patient_id][caregiver_id] = delay
    return delays


def escalate(*, now: datetime.datetime | None = None) -> int:
    """Tell each caregiver the alerts whose step for them has come, in one message per caregiver.

    The decision is MissedDoseAlert.escalation_step(); this loop gathers what it needs (who may
    receive alerts, from the access policy), stores each step by compare-and-set and queues the
    messages. Returns how many alerts took a step.
    """
    now = now or timezone.now()
    due = list(
        MissedDoseAlert.objects.filter(escalation_due_at__lte=now)
        .order_by("escalation_due_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not due:
        return 0
    with transaction.atomic(), together():
        # All or none: a second worker waits for these rows (locked in one order, so no deadlock),
        # then reads them again and finds their step taken; so each caregiver gets one message.
        alerts = list(
            MissedDoseAlert.objects.select_for_update(of=("self",))
            .filter(pk__in=due, escalation_due_at__lte=now)
            .select_related("dose__reminder", "dose__patient__user", "reminder", "patient")
            .order_by("pk")
        )
        delays = _alert_delays({alert.patient_id for alert in alerts})
        # Whoever was told of an alert already (their delay changed since) is not told again.
        told_before = set(
            Notification.alerts.through.objects.filter(
                misseddosealert__in=alerts, notification__kind=Kind.CAREGIVER_ALERT
            ).values_list("misseddosealert_id", "notification__recipient_id")
        )
        tell: dict[int, list[MissedDoseAlert]] = defaultdict(list)
        stepped = 0
        for alert in alerts:
            step = alert.escalation_step(delays=delays[alert.patient_id], now=now)
            won = audited_update(
                MissedDoseAlert.objects.filter(pk=alert.pk, escalation_due_at=alert.escalation_due_at),
                alert,
                patient_id=alert.patient_id,
                escalated_through=step.through,
                escalation_due_at=step.next_due_at,
                # The real moment: `now` (when this run began) may come before the alert was created.
                updated_at=timezone.now(),
            )
            if not won:
                continue
            stepped += 1
            for caregiver_id in sorted(step.tell):
                if (alert.pk, caregiver_id) not in told_before:
                    tell[caregiver_id].append(alert)
        caregivers = User.objects.in_bulk(list(tell))
        for caregiver_id, told in tell.items():
            queue(messages.caregiver_alert(told), [caregivers[caregiver_id]], now=now)
        if tell:
            record(
                AuditAction.ALERT,
                entity_type=MissedDoseAlert._meta.label,
                payload={
                    "escalated": sorted({a.pk for told in tell.values() for a in told}),
                    "told": sorted(caregivers[c].email for c in tell),
                },
            )
    return stepped
