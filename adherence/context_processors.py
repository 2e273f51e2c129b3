from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.idle import idle_timeout_applies


def site(request: HttpRequest) -> dict:
    """What the base layout needs on every page."""
    user = getattr(request, "user", None)
    idle_logoff = None
    if user is not None and user.is_authenticated and idle_timeout_applies(request):
        idle_logoff = settings.SESSION_IDLE_TIMEOUT
    context: dict[str, Any] = {"site_name": settings.SITE_NAME, "idle_logoff_seconds": idle_logoff}
    # For the "My medications / People I care for" switch (patients.middleware).
    context["own_profile"] = getattr(request, "own_profile", None)
    return context
