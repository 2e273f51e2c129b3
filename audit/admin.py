from __future__ import annotations

from django.contrib import admin

from adherence.admin import ReadOnlyAdmin
from audit.models import AuditEntry


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
