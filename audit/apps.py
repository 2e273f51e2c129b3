from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, tamper-evident audit trail."""

    name = "audit"
    verbose_name = "Audit trail"
