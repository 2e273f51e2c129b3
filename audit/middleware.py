from __future__ import annotations

from audit.trail import serving


class AuditActorMiddleware:
    """Everything written while a request is served names its user (or "anonymous") as the actor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with serving(request):
            return self.get_response(request)
