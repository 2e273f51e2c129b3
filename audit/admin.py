"""The audit trail in the admin (read-only), and what makes staff reads of patients' data part of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db import transaction

from adherence.admin import ReadOnlyAdmin
from audit.models import STAFF_READ, Action, AuditEntry
from audit.trail import actor_for, record, together


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The trail, read-only for everyone, superusers too: the database would refuse a change anyway."""

    list_display = [
        "created_at",
        "actor_label",
        "actor_type",
        "action",
        "entity_type",
        "entity_id",
        "patient_id",
    ]
    list_filter = ["actor_type", "action", "entity_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "entity_id"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]


class StaffReadsAudited(admin.ModelAdmin):
    """A model of patients' data: a staff member opening a record, or a list of them, is an audited view.

    As a caregiver's view is (decision 6), so that the patient sees on "Activity on my account"
    that clinic staff read their data. One entry per patient: for a record, the patient it
    belongs to; for a list page, every patient with a row on it.
    """

    def patient_id_of(self, record_shown: Any) -> int:
        return record_shown.patient_id

    def medication_of(self, record_shown: Any) -> str:
        """The medication the record is about, named in the patient's activity; "" for none."""
        return ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and response.status_code == 200 and shown is not None:
            payload = {"page": request.path, "via": STAFF_READ}
            if medication := self.medication_of(shown):
                payload["medication"] = medication
            self._record_views(request, {self.patient_id_of(shown): shown.pk}, payload)
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            patients = {self.patient_id_of(row): "" for row in changelist.result_list}
            self._record_views(
                request, patients, {"page": request.get_full_path(), "via": STAFF_READ, "list": True}
            )
        return response

    def _record_views(self, request, patients: Mapping[int, object], payload: dict) -> None:
        actor = actor_for(request.user)
        with transaction.atomic(), together():
            for patient_id, entity_id in patients.items():
                record(
                    Action.VIEW,
                    entity_type=self.model._meta.label,
                    entity_id=entity_id,
                    patient_id=patient_id,
                    payload=payload,
                    actor=actor,
                )
