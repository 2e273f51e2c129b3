"""System checks of the API's settings (registered when the app is ready)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from patients.models import available_time_zones


@checks.register
def check_patient_default_time_zone(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """PATIENT_DEFAULT_TIME_ZONE must be a zone a patient may have (not a legacy alias like Etc/GMT+5)."""
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
