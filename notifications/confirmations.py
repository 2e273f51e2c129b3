"""Caregivers who asked are told when the patient's dose is recorded, taken or skipped.

Registered with reminders.services.dose_recorded_follow (this app's AppConfig.ready), so reminders
imports nothing of ours. Called inside the transaction that records the dose, so the messages exist
exactly when the record does; a second tap returns the standing confirmation and calls nobody.
An undo within its window sends no retraction: a message not yet delivered (held by quiet hours)
is cancelled by the delivery worker, one already read stays, and a new recording is told again.

Who is told: each caregiver whose active link has notify_on_confirmation and who may see the patient
(the access policy, patients.access.care_links_granting), except the one who recorded the dose.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.models import Action as AuditAction
from audit.trail import record
from notifications import messages
from notifications.outbox import queue
from patients import access
from patients.access import Action
from reminders.models import ConfirmationLog, Dose


def tell_caregivers(dose: Dose, by: User) -> None:
    # A patient who paused reminders and alerts has their caregivers told nothing either.
    if not dose.patient.is_active:
        return
    links = (
        access.care_links_granting(Action.VIEW, patients=[dose.patient_id])
        .filter(notify_on_confirmation=True)
        .exclude(caregiver_id=by.pk)
    )
    caregivers = list(User.objects.filter(pk__in=links.values("caregiver_id")).order_by("pk"))
    if not caregivers:
        return
    try:
        # A savepoint: should this recording's messages be queued already (the same event), the
        # recording itself still stands. Telling must never cost the patient their record.
        with transaction.atomic():
            queue(messages.dose_recorded(dose, _recording(dose)), caregivers, now=timezone.now())
    except IntegrityError:
        return
    record(
        AuditAction.ALERT,
        entity=dose,
        patient_id=dose.patient_id,
        payload={"recorded": dose.status, "told": sorted(user.email for user in caregivers)},
    )


def _recording(dose: Dose) -> str:
    """What tells this recording of the dose from an earlier one that was undone.

    A taken dose has one standing confirmation, a new one after each undo. A skip has no row of
    its own: the moment it was recorded (a skip undone and made again within one microsecond, or
    under a stopped test clock, is the same event: its messages are not queued twice).
    """
    if dose.status == Dose.Status.TAKEN:
        log = ConfirmationLog.objects.filter(dose=dose, undone_at__isnull=True).values_list("pk", flat=True)
        return f"confirmation{log.first()}"
    moment = dose.resolved_at or timezone.now()  # a skipped dose always has it
    return f"skip{moment.timestamp():.6f}"
