"""Patients and care teams in the admin.

A clinic admin manages accounts and data, through the product's own rules:

* A patient's profile is changed with the patient's own form (the same checks
  of the phone number, the date of birth and the time zone) and saved by
  patient_profile_update, so a new time zone moves the doses still to come and
  the audit trail names the staff member. Profiles are made by their owner at
  sign-up, and go with the account (delete the user to delete them).
* Care links are read-only: who may see a patient is the patient's choice,
  made through invitations. Staff can only revoke a link (care_link_revoke),
  which ends the caregiver's access at once, as when the patient does it.
* Opening a profile, or a list of them, is an audited view of that patient's
  data (audit.admin.StaffReadsAudited), shown on "Activity on my account".
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.template.defaultfilters import pluralize

from adherence.admin import ReadOnlyAdmin
from audit.admin import StaffReadsAudited
from patients import services
from patients.forms import PatientProfileForm
from patients.models import CareLink, PatientProfile


class CareLinkInline(admin.TabularInline):
    model = CareLink
    fk_name = "patient"
    extra = 0
    fields = [
        "invited_email",
        "caregiver_name",
        "caregiver",
        "status",
        "can_confirm_doses",
        "receives_missed_dose_alerts",
        "notify_on_confirmation",
    ]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PatientProfileAdminForm(PatientProfileForm):
    """The patient's own profile form, its labels said of the patient rather than to them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].label = "Name"
        self.fields["date_of_birth"].label = "Date of birth"
        self.fields["is_active"].label = "Reminders and missed-dose alerts on"
        self.fields["time_zone"].help_text = "Doses are scheduled in this time zone."


@admin.register(PatientProfile)
class PatientProfileAdmin(StaffReadsAudited):
    form = PatientProfileAdminForm
    list_display = ["display_name", "user", "phone_number", "time_zone", "is_active", "created_at"]
    list_filter = ["is_active", "time_zone"]
    search_fields = ["display_name", "user__email", "phone_number"]
    list_select_related = ["user"]
    fields = ["user", *PatientProfileForm.Meta.fields, "created_at", "updated_at"]
    readonly_fields = ["user", "created_at", "updated_at"]
    inlines = [CareLinkInline]

    def patient_id_of(self, record_shown: PatientProfile) -> int:
        return record_shown.pk

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: PatientProfile, form: PatientProfileAdminForm, change: bool) -> None:
        """Saved by the service the profile page uses (only changes reach here: there is no add)."""
        services.patient_profile_update(profile=obj, **form.cleaned_data)


@admin.register(CareLink)
class CareLinkAdmin(StaffReadsAudited, ReadOnlyAdmin):
    list_display = [
        "patient",
        "invited_email",
        "caregiver",
        "status",
        "can_confirm_doses",
        "receives_missed_dose_alerts",
        "notify_on_confirmation",
        "invite_expires_at",
    ]
    list_filter = ["status", "can_confirm_doses", "receives_missed_dose_alerts"]
    search_fields = ["patient__display_name", "patient__user__email", "invited_email", "caregiver__email"]
    list_select_related = ["patient", "caregiver"]
    actions = ["revoke"]

    def has_revoke_permission(self, request) -> bool:
        # The model's change permission, although the rows stay read-only in their form.
        return request.user.has_perm("patients.change_carelink")

    @admin.action(description="Revoke (the caregiver loses access at once)", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        open_statuses = [CareLink.Status.ACTIVE, CareLink.Status.PENDING]
        with transaction.atomic():
            revoked = [
                services.care_link_revoke(link=link)
                for link in queryset.filter(status__in=open_statuses).select_related("patient")
            ]
        self.message_user(
            request, f"{len(revoked)} care link{pluralize(len(revoked))} revoked.", messages.SUCCESS
        )
