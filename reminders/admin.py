"""Medications, doses, confirmations and missed-dose alerts in the admin.

A clinic admin manages accounts and data, but nothing done here may break the
product, so each model gets only what goes through the product's own rules:

* Medications can be added, changed, paused and resumed. The schedule is the
  stored JSON, checked by the same Schedule.problems() as the page's form and
  the API (a schedule that makes no sense is refused, in its words, and nothing
  is saved), and saved by the same services (medication_create,
  medication_update, medication_set_active): future doses are rebuilt and the
  audit trail names the staff member. A medication stays with its patient (its
  doses carry the patient), and it is paused, not deleted, so its history stays.
* Doses, confirmations and missed-dose alerts are read-only: they record what
  the schedule made and what people did, and change only through their own
  services (confirm, skip, undo, acknowledge), which the patient's and their
  caregivers' doors call.
* Every record, or list page of records, that a staff member opens here is an
  audited view of that patient's data (audit.admin.StaffReadsAudited), which
  the patient sees on "Activity on my account".
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.template.defaultfilters import pluralize

from adherence.admin import ReadOnlyAdmin
from audit.admin import StaffReadsAudited
from reminders import services
from reminders.models import ConfirmationLog, Dose, MedicationReminder, MissedDoseAlert
from reminders.schedule import Schedule, ScheduleError


class MedicationAdminForm(forms.ModelForm):
    """The medication's fields; the schedule checked by Schedule.problems(), as at every other door."""

    class Meta:
        model = MedicationReminder
        fields = [
            "patient",
            "medication_name",
            "dosage",
            "instructions",
            "schedule",
            "grace_minutes",
            "is_active",
            "time_zone_mode",
            "home_time_zone",
        ]
        help_texts = {
            "schedule": "As the API takes it, for example "
            '{"start_date": "2026-11-01", "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}]}.',
        }

    def clean_schedule(self) -> dict:
        try:
            schedule = Schedule.from_json(self.cleaned_data["schedule"])
        except ScheduleError as error:
            raise forms.ValidationError(error.problems) from None
        if problems := schedule.problems():
            raise forms.ValidationError(problems)
        self.parsed_schedule = schedule
        return schedule.to_json()

    def service_fields(self) -> dict:
        """What the services take besides the patient and the schedule."""
        return {
            name: value for name, value in self.cleaned_data.items() if name not in ("patient", "schedule")
        }


@admin.register(MedicationReminder)
class MedicationReminderAdmin(StaffReadsAudited):
    form = MedicationAdminForm
    list_display = ["medication_name", "dosage", "patient", "is_active", "time_zone_mode", "grace_minutes"]
    list_filter = ["is_active", "time_zone_mode"]
    search_fields = ["medication_name", "patient__display_name", "patient__user__email"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]
    readonly_fields = ["doses_until", "created_at", "updated_at"]
    actions = ["pause", "resume"]

    def medication_of(self, record_shown: MedicationReminder) -> str:
        return record_shown.medication_name

    def get_fields(self, request, obj=None):
        fields = list(MedicationAdminForm.Meta.fields) + self.readonly_fields
        if obj is None:
            # medication_create sets it from the patient's zone.
            fields.remove("home_time_zone")
        return fields

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # Its doses carry the patient: a medication is never moved to someone else.
        return [*self.readonly_fields, "patient"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        # Pause it instead: deleting would take its doses and confirmations with it.
        return False

    def save_form(self, request, form: MedicationAdminForm, change: bool) -> MedicationReminder:
        """Saved by the service the pages and the API use; the admin then logs what it returns."""
        if change:
            return services.medication_update(
                reminder=form.instance, schedule=form.parsed_schedule, **form.service_fields()
            )
        return services.medication_create(
            patient=form.cleaned_data["patient"], schedule=form.parsed_schedule, **form.service_fields()
        )

    def save_model(self, request, obj, form, change) -> None:
        """Nothing left to save: save_form did it through the service."""

    def save_related(self, request, form, formsets, change) -> None:
        """No many-to-many fields and no inlines."""

    @admin.action(description="Pause (remove the doses still to come)", permissions=["change"])
    def pause(self, request, queryset) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description="Resume (make the doses from now on)", permissions=["change"])
    def resume(self, request, queryset) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(self, request, queryset, *, active: bool) -> None:
        with transaction.atomic():
            changed = [
                services.medication_set_active(reminder=reminder, active=active)
                for reminder in queryset.select_related("patient").filter(is_active=not active)
            ]
        done = "resumed" if active else "paused"
        self.message_user(
            request, f"{len(changed)} medication{pluralize(len(changed))} {done}.", messages.SUCCESS
        )


class ReadOnlyPatientRecordAdmin(StaffReadsAudited, ReadOnlyAdmin):
    """What happened to a patient's doses: staff read it (and the reading is audited), never change it."""

    def medication_of(self, record_shown) -> str:
        return record_shown.reminder.medication_name


@admin.register(Dose)
class DoseAdmin(ReadOnlyPatientRecordAdmin):
    list_display = ["scheduled_at", "reminder", "patient", "status", "taken_at", "resolved_at"]
    list_filter = ["status", "as_needed"]
    date_hierarchy = "scheduled_at"
    search_fields = ["reminder__medication_name", "patient__display_name", "patient__user__email"]
    list_select_related = ["reminder", "patient"]


@admin.register(ConfirmationLog)
class ConfirmationLogAdmin(ReadOnlyPatientRecordAdmin):
    list_display = ["confirmed_at", "reminder", "confirmed_by", "role", "method", "late", "undone_at"]
    list_filter = ["role", "method", "late"]
    search_fields = ["reminder__patient__user__email"]
    list_select_related = ["reminder", "confirmed_by"]

    def patient_id_of(self, record_shown: ConfirmationLog) -> int:
        return record_shown.reminder.patient_id


@admin.register(MissedDoseAlert)
class MissedDoseAlertAdmin(ReadOnlyPatientRecordAdmin):
    list_display = ["alerted_at", "reminder", "patient", "acknowledged_by", "acknowledged_at"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter), ("alerted_at", admin.DateFieldListFilter)]
    date_hierarchy = "alerted_at"
    search_fields = ["patient__user__email"]
    list_select_related = ["reminder", "patient", "acknowledged_by"]
