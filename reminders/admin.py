from __future__ import annotations

from django.contrib import admin

from reminders.models import ConfirmationLog, Dose, MedicationReminder


@admin.register(MedicationReminder)
class MedicationReminderAdmin(admin.ModelAdmin):
    list_display = ["medication_name", "dosage", "patient", "is_active", "time_zone_mode", "grace_minutes"]
    list_filter = ["is_active", "time_zone_mode"]
    search_fields = ["medication_name", "patient__display_name", "patient__user__email"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]
    readonly_fields = ["doses_until", "created_at", "updated_at"]


@admin.register(Dose)
class DoseAdmin(admin.ModelAdmin):
    list_display = ["scheduled_at", "reminder", "patient", "status", "taken_at", "resolved_at"]
    list_filter = ["status", "as_needed"]
    date_hierarchy = "scheduled_at"
    search_fields = ["reminder__medication_name", "patient__display_name"]
    list_select_related = ["reminder", "patient"]
    raw_id_fields = ["reminder", "patient"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(ConfirmationLog)
class ConfirmationLogAdmin(admin.ModelAdmin):
    list_display = ["confirmed_at", "reminder", "confirmed_by", "role", "method", "late", "undone_at"]
    list_filter = ["role", "method", "late"]
    list_select_related = ["reminder", "confirmed_by"]
    raw_id_fields = ["reminder", "dose", "confirmed_by"]
    readonly_fields = ["created_at", "updated_at"]
