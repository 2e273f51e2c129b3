"""Pages for patients and caregivers. Every one that touches a patient asks patients.access."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.http import SignedInRequest
from patients import access, services
from patients.forms import CareLinkPermissionsForm, InviteCaregiverForm, OnboardingForm, PatientProfileForm
from patients.invitations import addressed_to, pending_invitation
from patients.models import CareLink, PatientProfile

# An invitation opened before signing in waits here while the person signs up
# or signs in; /invitations/continue/ takes them back to it. The token stays
# out of ?next= so that it never appears in a logged URL.
PENDING_INVITATION_KEY = "patients.pending_invitation"


def profile_of(user) -> PatientProfile | None:
    return PatientProfile.objects.filter(user=user).first()


def own_profile(request: HttpRequest) -> PatientProfile | None:
    """The signed-in user's profile, as patients.middleware found it for this request."""
    if hasattr(request, "own_profile"):
        return request.own_profile
    return profile_of(request.user)


# --- Onboarding and the patient's own profile ----------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def welcome(request: SignedInRequest) -> HttpResponse:
    """After sign-up: patient, caregiver or both. Done once; later changes go to the profile."""
    profile = own_profile(request)
    if profile is not None or request.user.cares_for_others:
        return redirect("home")
    form = OnboardingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        role = form.cleaned_data["role"]
        if form.is_patient:
            services.patient_profile_create(
                user=request.user,
                display_name=form.cleaned_data["display_name"],
                phone_number=form.cleaned_data["phone_number"],
                time_zone=form.cleaned_data["time_zone"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                cares_for_others=role == OnboardingForm.BOTH,
            )
            messages.success(request, "Your profile is ready. Next, add your medications.")
        else:
            services.user_mark_caregiver(user=request.user)
            messages.success(request, "You are set up as a caregiver.")
        return redirect("home")
    return render(request, "patients/welcome.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_edit(request: SignedInRequest) -> HttpResponse:
    """The patient's own profile; a caregiver without one can start one here."""
    profile = own_profile(request)
    # The form edits its own copy: a refused edit must not change what the
    # page says is stored (such as "reminders are paused").
    form = PatientProfileForm(
        request.POST if request.method == "POST" else None,
        instance=profile_of(request.user) if profile else None,
    )
    if request.method == "POST" and form.is_valid():
        if profile is None:
            services.patient_profile_create(user=request.user, **form.cleaned_data)
            messages.success(request, "Your profile is ready.")
        else:
            services.patient_profile_update(profile=form.instance, **form.cleaned_data)
            if "is_active" in form.changed_data and form.instance.is_active:
                messages.success(request, "Reminders and alerts are on again.")
            elif "is_active" in form.changed_data:
                messages.warning(request, "Reminders and alerts are paused until you turn them on again.")
            else:
                messages.success(request, "Your profile is saved.")
        return redirect("patients:profile")
    return render(request, "patients/profile.html", {"form": form, "profile": profile})


# --- The care team, as the patient manages it -----------------------------------------


def _own_profile_or_onboard(request: HttpRequest) -> PatientProfile | None:
    profile = own_profile(request)
    if profile is None:
        messages.info(request, "Set up your patient profile first; then you can invite your care team.")
    return profile


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def care_team(request: HttpRequest) -> HttpResponse:
    profile = _own_profile_or_onboard(request)
    if profile is None:
        return redirect("patients:profile")
    form = InviteCaregiverForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.care_link_invite(patient=profile, **form.cleaned_data)
        except services.CareTeamError as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                f"Invitation sent to {link.invited_email}. It can be used once, "
                f"until {date_format(timezone.localtime(link.invite_expires_at), 'j F Y, H:i')}.",
            )
            return redirect("patients:care_team")
    links = access.care_links_managed_by(request.user).select_related("caregiver").order_by("invited_email")
    return render(
        request,
        "patients/care_team.html",
        {"profile": profile, "links": links, "form": form, "invitation_days": settings.CARE_INVITATION_DAYS},
    )


def _managed_link(request: HttpRequest, link_id: int) -> CareLink:
    return get_object_or_404(access.care_links_managed_by(request.user).select_related("patient"), pk=link_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def care_link_edit(request: HttpRequest, link_id: int) -> HttpResponse:
    link = _managed_link(request, link_id)
    form = CareLinkPermissionsForm(request.POST if request.method == "POST" else None, instance=link)
    if request.method == "POST" and form.is_valid():
        services.care_link_set_permissions(link=link, **form.cleaned_data)
        messages.success(request, f"Saved what {link.caregiver_label} may do.")
        return redirect("patients:care_team")
    return render(request, "patients/care_link_edit.html", {"link": link, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def care_link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    link = _managed_link(request, link_id)
    if request.method == "POST":
        was_active = link.status == CareLink.Status.ACTIVE
        services.care_link_revoke(link=link)
        if was_active:
            messages.success(request, f"{link.caregiver_label} can no longer see your medications.")
        else:
            messages.success(request, f"The invitation to {link.invited_email} is withdrawn.")
        return redirect("patients:care_team")
    return render(request, "patients/care_link_revoke.html", {"link": link})


@login_required
@require_POST
def care_link_resend(request: HttpRequest, link_id: int) -> HttpResponse:
    link = _managed_link(request, link_id)
    try:
        services.care_link_resend(link=link)
    except services.CareTeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"A new invitation is on its way to {link.invited_email}.")
    return redirect("patients:care_team")


# --- Invitations, as the invitee sees them ---------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    link = pending_invitation(token)
    if link is None:
        # A withdrawn or expired invitation no longer proves an address.
        request.session.pop(PENDING_INVITATION_KEY, None)
        get_adapter(request).unstash_verified_email(request)
        return render(request, "patients/invitation_unusable.html", status=404)

    if not request.user.is_authenticated:
        # The address is proven by the mail this link came in: signing up
        # with it needs no second verification email.
        request.session[PENDING_INVITATION_KEY] = token
        get_adapter(request).stash_verified_email(request, link.invited_email)
        return render(request, "patients/invitation_sign_in.html", {"link": link})

    request.session.pop(PENDING_INVITATION_KEY, None)
    if not addressed_to(request.user, link):
        return render(request, "patients/invitation_other_address.html", {"link": link}, status=403)

    if request.method == "POST":
        answer = request.POST.get("answer")
        try:
            if answer == "accept":
                services.care_link_accept(link=link, user=request.user)
                messages.success(request, f"You are now in {link.patient.display_name}'s care team.")
                return redirect("patients:caring")
            if answer == "decline":
                services.care_link_decline(link=link)
                messages.info(request, f"You declined {link.patient.display_name}'s invitation.")
                return redirect("home")
        except services.CareTeamError as error:
            messages.error(request, str(error))
            return redirect("home")
    return render(request, "patients/invitation.html", {"link": link, "token": token})


@require_safe
def invitation_continue(request: HttpRequest) -> HttpResponse:
    """Where sign-up and sign-in lead back to the invitation that was opened before."""
    token = request.session.get(PENDING_INVITATION_KEY)
    if token:
        return redirect("patients:invitation", token=token)
    return redirect("home")


# --- Caregivers --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def care_link_leave(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_object_or_404(access.care_links_held_by(request.user).select_related("patient"), pk=link_id)
    if request.method == "POST":
        services.care_link_leave(link=link)
        messages.success(request, f"You have left {link.patient.display_name}'s care team.")
        return redirect("patients:caring")
    return render(request, "patients/care_link_leave.html", {"link": link})
