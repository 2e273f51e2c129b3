from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class ApiConfig(AppConfig):
    """The REST API: the brief's schema over our models, through the same access policy and services."""

    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from api import schema  # noqa: F401 (registers the authentication scheme with drf-spectacular)

        checks.register(check_patient_default_time_zone)


def check_patient_default_time_zone(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """PATIENT_DEFAULT_TIME_ZONE must be a zone a patient may have (not a legacy alias like Etc/GMT+5)."""
    from django.conf import settings

    from patients.models import available_time_zones

    zone = settings.PATIENT_DEFAULT_TIME_ZONE
    if zone in available_time_zones():
        return []
    return [
        checks.Error(
            f"PATIENT_DEFAULT_TIME_ZONE={zone!r} is not a zone a patient profile may have.",
            hint="Use an IANA name such as Europe/London, or UTC.",
            id="api.E001",
        )
    ]
