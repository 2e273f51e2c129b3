from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest

from notifications.channels.push import is_configured
from notifications.selectors import unread_count


def badge(request: HttpRequest) -> dict:
    """The header's notification badge (counted only when a page shows it) and how often it polls."""
    context: dict = {"notification_poll_seconds": settings.NOTIFICATION_POLL_SECONDS}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread"] = lambda: unread_count(user)
    return context


def push(request: HttpRequest) -> dict:
    """Web push for the page head and the push toggle (notifications/_pwa_head.html, _push_toggle.html).

    `push_public_key` is empty when push is not set up. `push_endpoint_hashes` is
    called by the template only where the toggle is shown (no query elsewhere): the
    SHA-256 of each endpoint this user subscribed, so that the toggle can tell
    whether this browser's subscription is theirs (a shared device) without the
    page carrying the endpoints themselves.
    """

    def endpoint_hashes() -> list[str]:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        endpoints = user.push_subscriptions.values_list("endpoint", flat=True)
        return [hashlib.sha256(endpoint.encode()).hexdigest() for endpoint in endpoints]

    return {
        "push_public_key": settings.VAPID_PUBLIC_KEY if is_configured() else "",
        "push_endpoint_hashes": endpoint_hashes,
    }
