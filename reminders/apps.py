from __future__ import annotations

from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """Medications, schedules, doses, confirmations and missed-dose alerts."""

    name = "reminders"
    verbose_name = "Medications and doses"
