from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AdherenceConfig(AppConfig):
    """The project package as an app: scheduler wiring and its heartbeat."""

    name = "adherence"
    verbose_name = "Adhere"

    def ready(self) -> None:
        from adherence.scheduler import register_periodic_jobs

        # Every `migrate` (make run, deployments) brings the django-q2
        # schedules in line with the code, so nobody adds them by hand.
        post_migrate.connect(register_periodic_jobs, sender=self, dispatch_uid="adherence.periodic_jobs")
