"""Medications, today's doses and history, for the patient and the caregivers their links allow.

Every view starts with patients.access.require(): who may see or act for this
patient is decided there, and nothing here repeats it.
"""

from __future__ import annotations

import datetime
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.http import HtmxRequest, SignedInRequest
from patients import access
from patients.access import Action, PatientAccess
from reminders import selectors, services
from reminders.forms import MedicationForm, SkipForm, TakenAtForm
from reminders.models import EARLIEST_BEFORE_SCHEDULE, ConfirmationLog, Dose, MedicationReminder


def _medication(patient_access: PatientAccess, medication_id: int) -> MedicationReminder:
    return get_object_or_404(patient_access.patient.medications, pk=medication_id)


def _dose(patient_access: PatientAccess, dose_id: int) -> Dose:
    dose = get_object_or_404(
        Dose.objects.select_related("reminder"), pk=dose_id, patient=patient_access.patient
    )
    dose.patient = patient_access.patient
    return dose


def _back(request: HttpRequest, patient_access: PatientAccess) -> HttpResponse:
    """Back to the page the action came from (today or a history day), never off-site."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("patients:detail", args=[patient_access.patient.pk])
    return redirect(target or reverse("patients:detail", args=[patient_access.patient.pk]))


# --- Today ---------------------------------------------------------------------------------------


@login_required
@require_safe
def today(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Today: every dose of the patient's local day, with one tap to confirm where allowed."""
    patient_access = access.require(request.user, patient_id, Action.VIEW)
    patient = patient_access.patient
    now = timezone.now()
    medications = list(selectors.medications(patient))
    context = {
        "access": patient_access,
        "patient": patient,
        "local_now": patient.local_now(),
        "rows": selectors.today(patient, now),
        "as_needed": [
            medication for medication in medications if medication.is_active and medication.is_as_needed
        ],
        "has_medications": bool(medications),
        "can_confirm": patient_access.allows(Action.CONFIRM_DOSES),
    }
    if patient_access.is_self:
        context["care_links"] = patient.care_links.active().order_by("invited_email")
    return render(request, "reminders/today.html", context)


# --- Medications -----------------------------------------------------------------------------------


@login_required
@require_safe
def medication_list(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.VIEW)
    return render(
        request,
        "reminders/medication_list.html",
        {
            "access": patient_access,
            "patient": patient_access.patient,
            "medications": selectors.medications(patient_access.patient),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def medication_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.MANAGE)
    patient = patient_access.patient
    form = MedicationForm(
        request.POST if request.method == "POST" else None, today=patient.local_now().date()
    )
    if request.method == "POST" and form.is_valid():
        reminder = services.medication_create(
            patient=patient, schedule=form.schedule(), **form.reminder_fields()
        )
        messages.success(request, f"{reminder.medication_name} is added.")
        return redirect("patients:detail", patient.pk)
    return render(
        request,
        "reminders/medication_form.html",
        {"form": form, "patient": patient, "access": patient_access},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def medication_edit(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.MANAGE)
    reminder = _medication(patient_access, medication_id)
    if not MedicationForm.can_show(reminder.parsed_schedule):
        # Saving this form would drop what it cannot show: say so rather than rewrite the schedule.
        return render(
            request,
            "reminders/medication_form.html",
            {
                "patient": patient_access.patient,
                "access": patient_access,
                "reminder": reminder,
                "unshowable": True,
            },
        )
    form = MedicationForm(
        request.POST if request.method == "POST" else None, initial=MedicationForm.initial_for(reminder)
    )
    if request.method == "POST" and form.is_valid():
        services.medication_update(reminder=reminder, schedule=form.schedule(), **form.reminder_fields())
        messages.success(
            request, f"{reminder.medication_name} is saved. Doses from now on follow the new schedule."
        )
        return redirect("reminders:medications", patient_access.patient.pk)
    return render(
        request,
        "reminders/medication_form.html",
        {"form": form, "patient": patient_access.patient, "access": patient_access, "reminder": reminder},
    )


@login_required
@require_POST
def medication_pause(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.MANAGE)
    reminder = _medication(patient_access, medication_id)
    services.medication_set_active(reminder=reminder, active=not reminder.is_active)
    if reminder.is_active:
        messages.success(request, f"{reminder.medication_name} is on again.")
    else:
        messages.success(request, f"{reminder.medication_name} is paused: no doses until you resume it.")
    return redirect("reminders:medications", patient_access.patient.pk)


@login_required
@require_POST
def medication_take(request: SignedInRequest, patient_id: int, medication_id: int) -> HttpResponse:
    """ "Take a dose now" for an as-needed medication; over its maximum, ask first."""
    patient_access = access.require(request.user, patient_id, Action.CONFIRM_DOSES)
    reminder = _medication(patient_access, medication_id)
    if not reminder.is_as_needed:
        messages.error(request, f"{reminder.medication_name} has set times: confirm one of today's doses.")
        return _back(request, patient_access)
    try:
        services.as_needed_take(
            reminder=reminder,
            by=request.user,
            method=ConfirmationLog.Method.WEB,
            over_maximum_ok=request.POST.get("over_maximum_ok") == "1",
        )
    except services.OverMaximum as warning:
        return render(
            request,
            "reminders/over_maximum.html",
            {"reminder": reminder, "warning": warning, "patient": patient_access.patient},
        )
    messages.success(request, f"A dose of {reminder.medication_name} is recorded.")
    return _back(request, patient_access)


# --- Doses -----------------------------------------------------------------------------------------


def _dose_response(
    request: HtmxRequest,
    patient_access: PatientAccess,
    dose: Dose | None,
    error: str = "",
    skip_error: bool = False,
):
    """The updated row for htmx; otherwise back to the page, with the outcome as a message."""
    if request.htmx and dose is not None:
        dose = selectors.doses_with_details().get(pk=dose.pk)
        row = selectors.dose_row(dose, timezone.now(), patient_access.patient.zone)
        return render(
            request,
            "reminders/today.html#dose_row",
            {
                "row": row,
                "access": patient_access,
                "patient": patient_access.patient,
                "error": error,
                "next": request.POST.get("next", ""),
                "can_confirm": True,
                "skip_error": skip_error,
                "skip_reason": request.POST.get("reason", "") if skip_error else "",
                "skip_note": request.POST.get("note", "") if skip_error else "",
            },
        )
    if error:
        messages.error(request, error)
    return _back(request, patient_access)


def _taken_at(dose: Dose, at: datetime.time, zone) -> datetime.datetime:
    """A clock time for a dose, on the day that makes sense: the dose's own local day, or the
    next one for a late-evening dose taken after midnight, never in the future."""
    day = dose.scheduled_at.astimezone(zone).date()
    taken_at = datetime.datetime.combine(day, at, tzinfo=zone)
    if taken_at < dose.scheduled_at - EARLIEST_BEFORE_SCHEDULE:
        taken_at += datetime.timedelta(days=1)
    earlier = taken_at - datetime.timedelta(days=1)
    # 23:50 for a dose at 00:30: the evening before, if that is close enough to the dose.
    if taken_at > timezone.now() + datetime.timedelta(minutes=1) and earlier >= dose.scheduled_at - (
        EARLIEST_BEFORE_SCHEDULE
    ):
        taken_at = earlier
    return taken_at


@login_required
@require_POST
def dose_taken(request: SignedInRequest, patient_id: int, dose_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.CONFIRM_DOSES)
    dose = _dose(patient_access, dose_id)
    form = TakenAtForm(request.POST)
    taken_at = None
    if form.is_valid() and form.cleaned_data.get("taken_at"):
        taken_at = _taken_at(dose, form.cleaned_data["taken_at"], patient_access.patient.zone)
    elif not form.is_valid():
        return _dose_response(
            request, patient_access, dose, error="Give the time as hours and minutes, like 08:15."
        )
    try:
        services.dose_confirm(
            dose=dose, by=request.user, method=ConfirmationLog.Method.WEB, taken_at=taken_at
        )
    except services.DoseError as error:
        return _dose_response(request, patient_access, dose, error=str(error))
    if not request.htmx:
        messages.success(request, f"{dose.reminder.medication_name}: taken.")
    return _dose_response(request, patient_access, dose)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dose_skip(request: SignedInRequest, patient_id: int, dose_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.CONFIRM_DOSES)
    dose = _dose(patient_access, dose_id)
    form = SkipForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            if request.htmx:
                error = " ".join(str(message) for errors in form.errors.values() for message in errors)
                return _dose_response(request, patient_access, dose, error=error, skip_error=True)
            return render(
                request,
                "reminders/dose_skip.html",
                _skip_context(request, form, dose, patient_access),
            )
        try:
            services.dose_skip(dose=dose, by=request.user, **form.cleaned_data)
        except services.DoseError as error:
            return _dose_response(request, patient_access, dose, error=str(error))
        if not request.htmx:
            messages.success(request, f"{dose.reminder.medication_name}: skipped.")
        return _dose_response(request, patient_access, dose)
    return render(request, "reminders/dose_skip.html", _skip_context(request, form, dose, patient_access))


def _skip_context(request: HttpRequest, form: SkipForm, dose: Dose, patient_access: PatientAccess) -> dict:
    back = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return {
        "form": form,
        "dose": dose,
        "access": patient_access,
        "patient": patient_access.patient,
        "next": back,
    }


@login_required
@require_POST
def dose_undo(request: SignedInRequest, patient_id: int, dose_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.CONFIRM_DOSES)
    dose = _dose(patient_access, dose_id)
    try:
        remaining = services.dose_undo(dose=dose, by=request.user)
    except services.DoseError as error:
        return _dose_response(request, patient_access, dose, error=str(error))
    if remaining is None:
        if request.htmx:
            return HttpResponse("")
        messages.success(request, f"The dose of {dose.reminder.medication_name} is removed.")
        return _back(request, patient_access)
    if not request.htmx:
        messages.success(request, f"{dose.reminder.medication_name}: undone.")
    return _dose_response(request, patient_access, remaining)


@login_required
@require_POST
def dose_snooze(request: SignedInRequest, patient_id: int, dose_id: int) -> HttpResponse:
    """ "Remind me again in 10, 30 or 60 minutes": the patient's own doses only."""
    patient_access = access.require(request.user, patient_id, Action.MANAGE)
    dose = _dose(patient_access, dose_id)
    try:
        minutes = int(request.POST.get("minutes", ""))
    except ValueError:
        minutes = 0
    try:
        services.dose_snooze(dose=dose, minutes=minutes)
    except services.DoseError as error:
        return _dose_response(request, patient_access, dose, error=str(error))
    if not request.htmx:
        # snooze() has just set it.
        at = dose.remind_again_at.astimezone(patient_access.patient.zone)  # type: ignore[union-attr]
        messages.success(request, f"{dose.reminder.medication_name}: we will remind you again at {at:%H:%M}.")
    return _dose_response(request, patient_access, dose)


# --- History ---------------------------------------------------------------------------------------


# History reaches this far back and forward; anything else is a mistyped address.
FIRST_YEAR, LAST_YEAR = 1900, 2999


_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})")


def _month(request: HttpRequest, today: datetime.date) -> tuple[int, int]:
    """The month asked for with ?month=YYYY-MM, or this month (with a word why) if there is none such."""
    raw = request.GET.get("month", "")
    match = _MONTH.fullmatch(raw)
    if match:
        year, month = int(match["year"]), int(match["month"])
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12:
            return year, month
    if raw:
        messages.warning(
            request,
            f'There is no month "{raw[:20]}" in the history (write a month as 2026-03); here is this month.',
        )
    return today.year, today.month


def _medication_filter(request: HttpRequest, patient_access: PatientAccess) -> MedicationReminder | None:
    raw = request.GET.get("medication", "")
    # ASCII digits only ("²".isdigit() is true), and no longer than a primary key can be.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return None
    return patient_access.patient.medications.filter(pk=int(raw)).first()


@login_required
@require_safe
def history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.VIEW)
    patient = patient_access.patient
    today = patient.local_now().date()
    year, month = _month(request, today)
    medication = _medication_filter(request, patient_access)
    weeks = selectors.month_calendar(
        patient, year, month, medication_id=medication.pk if medication else None
    )
    first = datetime.date(year, month, 1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "reminders/history.html",
        {
            "access": patient_access,
            "patient": patient,
            "weeks": weeks,
            "month": first,
            "previous": previous,
            "following": following if following <= today.replace(day=1) else None,
            "today": today,
            "medication": medication,
            "medications": selectors.medications(patient),
        },
    )


@login_required
@require_safe
def history_day(request: HttpRequest, patient_id: int, day: str) -> HttpResponse:
    patient_access = access.require(request.user, patient_id, Action.VIEW)
    try:
        date = datetime.date.fromisoformat(day)
    except ValueError:
        raise Http404("No such day.") from None
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise Http404("No such day.")
    medication = _medication_filter(request, patient_access)
    rows = selectors.day_doses(
        patient_access.patient, date, medication_id=medication.pk if medication else None
    )
    return render(
        request,
        "reminders/history_day.html",
        {
            "access": patient_access,
            "patient": patient_access.patient,
            "day": date,
            "rows": rows,
            "medication": medication,
            "can_confirm": patient_access.allows(Action.CONFIRM_DOSES),
        },
    )
