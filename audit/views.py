"""The patient's own view of the trail: who viewed or changed their data."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.http import SignedInRequest
from audit.models import STAFF_READ, Action, ActorType, AuditEntry

PER_PAGE = 25

WHAT = {
    "patients.PatientProfile": "your profile",
    "patients.CareLink": "your care team",
    "reminders.MedicationReminder": "a medication",
    "reminders.Dose": "a dose",
    "reminders.ConfirmationLog": "a dose confirmation",
}
# What clinic staff read in the admin (audit.admin.StaffReadsAudited): one record, or a list.
STAFF_READ_ONE = {
    "patients.PatientProfile": "your profile",
    "patients.CareLink": "your care team",
    "reminders.MedicationReminder": "your medication",
    "reminders.Dose": "a dose of your medication",
    "reminders.ConfirmationLog": "a confirmation of a dose of your medication",
    "reminders.MissedDoseAlert": "a missed-dose alert about your medication",
}
STAFF_READ_LIST = {
    "patients.PatientProfile": "your profile",
    "patients.CareLink": "your care team",
    "reminders.MedicationReminder": "your medications",
    "reminders.Dose": "your doses",
    "reminders.ConfirmationLog": "the doses you took",
    "reminders.MissedDoseAlert": "your missed-dose alerts",
}
# Named first, in this order, when they changed; then the rest alphabetically.
FIRST_FIELDS = ("medication_name", "display_name", "caregiver_name", "status", "dosage", "taken_at")
# Bookkeeping a person would not care to read.
QUIET_FIELDS = {"id", "created_at", "updated_at", "invite_nonce", "password"}
SHOWN_CHANGES = 4


def _readable(value, zone) -> str:
    """A stored value as a person reads it: local times, yes/no, "changed" for structures."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return "changed"
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and "T" in value:
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return f"{moment.astimezone(zone):%-d %b %Y, %H:%M}"
    return str(value)


def _changes(entry: AuditEntry, zone) -> list[str]:
    changes = entry.payload.get("changes") or {}
    created = entry.action == Action.CREATE
    names = [name for name in FIRST_FIELDS if name in changes]
    names += sorted(name for name in changes if name not in FIRST_FIELDS)
    lines = []
    for name in names:
        values = changes[name]
        if name.endswith("_id") or name in QUIET_FIELDS:
            continue
        if not isinstance(values, list) or len(values) != 2:
            continue
        before, after = values
        if created and after in (None, "", [], {}):
            continue
        label = name.replace("_", " ")
        if created or before in (None, ""):
            lines.append(f"{label}: {_readable(after, zone)}")
        else:
            lines.append(f"{label}: {_readable(before, zone)} → {_readable(after, zone)}")
    return lines[:SHOWN_CHANGES]


def describe(entry: AuditEntry, viewer_id: int, zone=datetime.UTC) -> dict:
    """One line for a person: who, did what, to what, and the main changes."""
    if entry.actor_type == ActorType.SYSTEM:
        who = "Adhere (automatically)"
    elif entry.actor_id == viewer_id:
        who = "You"
    else:
        who = entry.actor_label
    what = WHAT.get(entry.entity_type, entry.entity_type)
    if entry.action == Action.VIEW and entry.payload.get("via") == STAFF_READ:
        who, did = _staff_read(entry)
    elif entry.action == Action.VIEW and entry.entity_type == "patients.PatientProfile":
        did = "viewed your medications"
    elif entry.action == Action.VIEW:
        did = f"viewed {what}"
    else:
        did = f"{entry.get_action_display().lower()} {what}"
    if isinstance(entry.payload.get("scheduled_at"), list):
        count = len(entry.payload["scheduled_at"])
        did = f"scheduled {count} dose{'s' if count != 1 else ''}"
    return {
        "entry": entry,
        "who": who,
        "did": did,
        "changes": _changes(entry, zone),
        "page": entry.payload.get("page", ""),
    }


def _staff_read(entry: AuditEntry) -> tuple[str, str]:
    """(who, did) for a staff member's read in the admin, e.g. ("Clinic staff member a@b.org",
    "viewed your medication Metformin")."""
    who = f"Clinic staff member {entry.actor_label}"
    if entry.payload.get("list"):
        return who, f"viewed a list that includes {STAFF_READ_LIST.get(entry.entity_type, 'your data')}"
    did = f"viewed {STAFF_READ_ONE.get(entry.entity_type, 'your data')}"
    if medication := entry.payload.get("medication"):
        did = f"{did} {medication}"
    return who, did


@login_required
@require_safe
def activity(request: SignedInRequest) -> HttpResponse:
    profile = getattr(request, "own_profile", None)
    if profile is None:
        return redirect("patients:profile")
    entries = AuditEntry.objects.filter(patient_id=profile.pk).order_by("-created_at", "-pk")
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    rows = [describe(entry, request.user.pk, profile.zone) for entry in page]
    return render(request, "audit/activity.html", {"page": page, "rows": rows, "patient": profile})
