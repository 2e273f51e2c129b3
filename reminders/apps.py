from __future__ import annotations

from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """Medications, schedules, doses, confirmations and missed-dose alerts."""

    name = "reminders"
    verbose_name = "Medications and doses"

    def ready(self) -> None:
        from patients.services import patient_profile_follow
        from reminders.services import doses_follow_profile

        patient_profile_follow(doses_follow_profile)
