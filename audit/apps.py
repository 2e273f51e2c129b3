from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, tamper-evident audit trail."""

    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import signals

        signals.connect_model_signals()
        signals.connect_auth_signals()
