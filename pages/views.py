"""Pages that bring several apps together; each asks patients.access for what it shows."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_safe

from accounts.http import SignedInRequest
from accounts.models import User
from notifications.selectors import alerts_panel
from patients import access
from patients.models import PatientProfile
from reminders.selectors import today_summaries


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The landing page for visitors; signed-in people go where their work is."""
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    return render(request, "home.html")


def home_for(user: User) -> str:
    """Where a signed-in user starts: onboarding, their own page, or the caregiver dashboard."""
    profile = PatientProfile.objects.filter(user=user).first()
    if profile is not None:
        return reverse("patients:detail", args=[profile.pk])
    if user.cares_for_others:
        return reverse("patients:caring")
    return reverse("patients:welcome")


@login_required
@require_safe
def caring(request: SignedInRequest) -> HttpResponse:
    """The caregiver's dashboard: every linked patient, how their day goes and the open
    missed-dose alerts, in fixed queries.

    Built for 50 patients and more: the cards' links and local times are made here, once
    per page rather than once per card in template tags, and each card is a flat dict (the
    template engine finds a dict's keys first).
    """
    links = list(
        access.care_links_held_by(request.user)
        .select_related("patient")
        .order_by("patient__display_name", "patient_id")
    )
    patients = [link.patient for link in links]
    summaries = today_summaries(patients)
    access.record_caregiver_views(patients)
    detail_url = _url_for("patients:detail")
    leave_url = _url_for("patients:care_link_leave")
    zones: dict[str, datetime.tzinfo] = {}
    cards = []
    for link in links:
        patient, today = link.patient, summaries[link.patient_id]
        zone = zones.get(patient.time_zone) or zones.setdefault(patient.time_zone, patient.zone)
        next_dose = today.next_dose
        cards.append(
            {
                "name": patient.display_name,
                "is_active": patient.is_active,
                "time_zone": patient.time_zone,
                "detail_url": detail_url(patient.pk),
                "leave_url": leave_url(link.pk),
                "taken": today.taken,
                "missed": today.missed,
                "pending": today.pending,
                "skipped": today.skipped,
                "next_dose_at": _local(next_dose.scheduled_at, zone, "D H:i") if next_dose else "",
                "next_medication": next_dose.medication_name if next_dose else "",
                "last_missed_at": _local(today.last_missed_at, zone, "j M, H:i"),
                "can_confirm_doses": link.can_confirm_doses,
                "receives_missed_dose_alerts": link.receives_missed_dose_alerts,
                "notify_on_confirmation": link.notify_on_confirmation,
            }
        )
    return render(
        request, "pages/caring.html", {"links": links, "cards": cards, **alerts_panel(request.user)}
    )


def _url_for(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for many pks: the pattern is reversed once, with a stand-in number."""
    stand_in = "987654321987654321"
    pattern = reverse(name, args=[int(stand_in)])
    if pattern.count(stand_in) != 1:  # not one plain number in the path: reverse each time
        return lambda pk: reverse(name, args=[pk])
    before, after = pattern.split(stand_in)
    return lambda pk: f"{before}{int(pk)}{after}"


def _local(moment: datetime.datetime | None, zone: datetime.tzinfo, format_string: str) -> str:
    """What {% timezone zone %}{{ moment|date:format_string }}{% endtimezone %} shows (a format
    string, not the name of a localized format, goes to dateformat as it is)."""
    if moment is None:
        return ""
    return dateformat.format(timezone.localtime(moment, zone), format_string)
