from __future__ import annotations

from django.contrib import admin

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
    ]
    readonly_fields = ["caregiver"]
    show_change_link = True


@admin.register(PatientProfile)
class PatientProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "phone_number", "time_zone", "is_active", "created_at"]
    list_filter = ["is_active", "time_zone"]
    search_fields = ["display_name", "user__email", "phone_number"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CareLinkInline]


@admin.register(CareLink)
class CareLinkAdmin(admin.ModelAdmin):
    list_display = [
        "patient",
        "invited_email",
        "caregiver",
        "status",
        "can_confirm_doses",
        "receives_missed_dose_alerts",
        "invite_expires_at",
    ]
    list_filter = ["status", "can_confirm_doses", "receives_missed_dose_alerts"]
    search_fields = ["patient__display_name", "invited_email", "caregiver__email"]
    list_select_related = ["patient", "caregiver"]
    raw_id_fields = ["patient", "caregiver"]
    readonly_fields = ["invited_at", "responded_at", "ended_at", "created_at", "updated_at"]
