"""The words of each message: what a reminder, a missed dose or an alert says.

Written once when the event happens (a row's title and body), so the in-app
list, push and SMS say the same thing. Times are the patient's own clock,
where the dose was scheduled.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from notifications.models import Kind
from notifications.outbox import Message, event_key

# Longer lists are cut, with "and N more".
LISTED = 8


def _at(dose) -> str:
    return dose.scheduled_at.astimezone(dose.patient.zone).strftime("%H:%M")


def _lines(doses: Sequence) -> str:
    lines = [f"• {dose.reminder.medication_name} {dose.dosage}, {_at(dose)}" for dose in doses[:LISTED]]
    if len(doses) > LISTED:
        lines.append(f"…and {len(doses) - LISTED} more")
    return "\n".join(lines)


def _today_of(patient) -> str:
    return reverse("patients:detail", args=[patient.pk])


def reminder(doses: Sequence) -> Message:
    """Doses of one patient that are due now (one message, however many).

    Each dose's `reminders_sent` (already counting this one) tells a repeat from the first.
    """
    patient = doses[0].patient
    if len(doses) == 1:
        dose = doses[0]
        title = f"Time for {dose.reminder.medication_name} {dose.dosage}".strip()
        body = f"Due at {_at(dose)}."
        if dose.reminder.instructions:
            body += f" {dose.reminder.instructions[0].upper()}{dose.reminder.instructions[1:]}."
        body += " Tap Taken once you have had it."
    else:
        title = f"{len(doses)} medications due"
        body = _lines(doses) + "\nTap Taken for each once you have had it."
    return Message(
        kind=Kind.REMINDER,
        event=event_key("reminder", [f"{dose.pk}.{dose.reminders_sent}" for dose in doses]),
        title=title,
        body=body,
        link=_today_of(patient),
        patient_id=patient.pk,
        dose_ids=[dose.pk for dose in doses],
    )


def missed(alerts: Sequence) -> Message:
    """To the patient: doses that passed their window (after downtime, one summary)."""
    doses = [alert.dose for alert in alerts]
    patient = doses[0].patient
    if len(doses) == 1:
        dose = doses[0]
        title = f"Missed: {dose.reminder.medication_name} {dose.dosage}".strip()
        body = (
            f"Your {_at(dose)} dose was not recorded as taken in time. "
            "If you took it, record it with the time you took it."
        )
    else:
        title = f"You missed {len(doses)} doses"
        body = _lines(doses) + "\nIf you took any of them, record it with the time you took it."
    return Message(
        kind=Kind.MISSED,
        event=event_key("missed", [alert.pk for alert in alerts]),
        title=title,
        body=body,
        link=_today_of(patient),
        patient_id=patient.pk,
        dose_ids=[dose.pk for dose in doses],
        alert_ids=[alert.pk for alert in alerts],
    )


def caregiver_alert(alerts: Sequence) -> Message:
    """To one caregiver: the alerts now due for them, perhaps of several patients (one summary)."""
    patients = {alert.patient_id: alert.dose.patient for alert in alerts}
    doses = [alert.dose for alert in alerts]
    if len(alerts) == 1:
        dose = doses[0]
        name = dose.patient.display_name
        title = f"{name} missed {dose.reminder.medication_name} {dose.dosage}".strip()
        body = f"The {_at(dose)} dose ({name}'s time) was not recorded as taken in time."
    elif len(patients) == 1:
        name = doses[0].patient.display_name
        title = f"{name} missed {len(doses)} doses"
        body = _lines(doses)
    else:
        names = sorted(patient.display_name for patient in patients.values())
        title = f"{len(doses)} missed doses: {', '.join(names)}"
        body = "\n".join(
            f"{patient.display_name}:\n{_lines([d for d in doses if d.patient_id == pid])}"
            for pid, patient in sorted(patients.items(), key=lambda item: item[1].display_name)
        )
    body += "\nOpen Adhere to see more, or to tell the others that you are handling it."
    only = next(iter(patients.values())) if len(patients) == 1 else None
    return Message(
        kind=Kind.CAREGIVER_ALERT,
        event=event_key("alert", [alert.pk for alert in alerts]),
        title=title,
        body=body,
        link=_today_of(only) if only else reverse("patients:caring"),
        patient_id=only.pk if only else None,
        dose_ids=[dose.pk for dose in doses],
        alert_ids=[alert.pk for alert in alerts],
        waits_for_quiet_hours=False,
    )


def dose_recorded(dose, recording: str) -> Message:
    """To the caregivers who asked (CareLink.notify_on_confirmation): a dose was taken or skipped.

    `recording` names this recording of the dose (its confirmation, or its skip): a dose undone and
    recorded again is a new event, told again.
    """
    patient = dose.patient
    name = patient.display_name
    what = f"{dose.reminder.medication_name} {dose.dosage}".strip()
    if dose.status == dose.Status.TAKEN:
        at = dose.taken_at.astimezone(patient.zone).strftime("%H:%M")
        title = f"{name} took {what}"
        body = f"{name} took {what} at {at} ({name}'s time)."
    else:
        title = f"{name} skipped {what}"
        body = f"{name} skipped {what} due at {_at(dose)} ({name}'s time)"
        body += "."
        if dose.skip_reason:
            body += f" Reason given: {dose.get_skip_reason_display()}."
    return Message(
        kind=Kind.DOSE_RECORDED,
        event=event_key("recorded", [f"{dose.pk}.{recording}"]),
        title=title,
        body=body,
        link=_today_of(patient),
        patient_id=patient.pk,
        dose_ids=[dose.pk],
    )
