"""Pages that bring several apps together; each asks patients.access for what it shows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
    missed-dose alerts, in fixed queries."""
    links = list(
        access.care_links_held_by(request.user)
        .select_related("patient")
        .order_by("patient__display_name", "patient_id")
    )
    summaries = today_summaries([link.patient for link in links])
    access.record_caregiver_views([link.patient for link in links])
    rows = [(link, summaries[link.patient_id]) for link in links]
    return render(request, "pages/caring.html", {"links": links, "rows": rows, **alerts_panel(request.user)})
