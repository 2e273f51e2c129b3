"""What the access policy (patients/access.py) says about messages, for every reader of the outbox.

A message names the patients it is about: its `patient`, or, for a caregiver's summary of several
patients, the patients of its alerts. Whether its recipient may still receive or read it is asked
of the policy each time, never remembered from when it was queued:

* the delivery worker asks before every attempt, for a whole batch at once (`withdrawn`): a
  caregiver whose link was revoked, or who no longer gets alerts, gets nothing more;
* the inbox and the badge show a message's words only while its recipient may still see every
  patient it names (`readable_by`); the others read "A patient you no longer care for".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q

from notifications.models import Kind, Notification
from patients import access
from patients.access import Action

# What a message's recipient must still be allowed, for each kind about a patient, to have it sent.
# Reminders and the patient's own missed-dose messages go to the patient (who may do everything).
SENDING_NEEDS: dict[str, Action] = {
    Kind.REMINDER: Action.VIEW,
    Kind.MISSED: Action.VIEW,
    Kind.CAREGIVER_ALERT: Action.RECEIVE_ALERTS,
    # A caregiver told of a recorded dose must still be in the patient's care team.
    Kind.DOSE_RECORDED: Action.VIEW,
}

WITHDRAWN = "withdrawn: the recipient no longer cares for the patient, or no longer gets these alerts"


def patients_named(notifications: Iterable[tuple[int, int | None]]) -> dict[int, set[int]]:
    """{notification id: the patients it is about}, from (id, patient id) pairs. One query at most."""
    named: dict[int, set[int]] = {}
    summaries = []
    for pk, patient_id in notifications:
        named[pk] = {patient_id} if patient_id is not None else set()
        if patient_id is None:
            summaries.append(pk)
    if summaries:
        for pk, patient_id in Notification.alerts.through.objects.filter(
            notification_id__in=summaries
        ).values_list("notification_id", "misseddosealert__patient_id"):
            named[pk].add(patient_id)
    return named


def withdrawn(rows: Iterable[tuple[int, int | None, int | None, str]]) -> set[int]:
    """Which of these messages (id, recipient id, patient id, kind) the policy no longer lets out.

    For the delivery worker's batch: a query for the summaries' patients, and one per kind of
    permission, however many messages.
    """
    sendable = [
        (pk, recipient_id, patient_id, kind)
        for pk, recipient_id, patient_id, kind in rows
        if kind in SENDING_NEEDS and recipient_id is not None
    ]
    named = patients_named((pk, patient_id) for pk, _, patient_id, _ in sendable)
    wanted: dict[Action, set[tuple[int, int]]] = defaultdict(set)
    for pk, recipient_id, _, kind in sendable:
        wanted[SENDING_NEEDS[kind]] |= {(patient_id, recipient_id) for patient_id in named[pk]}
    allowed = {action: access.allowed_pairs(action, pairs) for action, pairs in wanted.items()}
    return {
        pk
        for pk, recipient_id, _, kind in sendable
        if any((patient_id, recipient_id) not in allowed[SENDING_NEEDS[kind]] for patient_id in named[pk])
    }


def readable_by(user) -> Q:
    """A filter on Notification: the messages whose words `user` may still read (every patient named)."""
    visible = access.patients_for(user, Action.VIEW)
    about_someone_else = Notification.alerts.through.objects.filter(notification_id=OuterRef("pk")).exclude(
        misseddosealert__patient__in=visible
    )
    return (Q(patient__isnull=True) | Q(patient__in=visible)) & Q(~Exists(about_someone_else))
