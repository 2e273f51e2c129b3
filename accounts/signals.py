"""Receivers for account security events (connected in AccountsConfig.ready)."""

from __future__ import annotations

import time

from allauth.usersessions.models import UserSession

from accounts.idle import LAST_ACTIVITY_KEY, SIGNED_IN_AT_KEY, STAFF_KEY


def start_activity_clock(sender, request, user, **kwargs) -> None:
    """Signing in is activity: the idle logoff counts from here, and a session token's lifetime."""
    now = int(time.time())
    request.session[LAST_ACTIVITY_KEY] = now
    request.session[SIGNED_IN_AT_KEY] = now
    request.session[STAFF_KEY] = bool(user.is_staff)


def end_other_sessions(sender, request, user, **kwargs) -> None:
    """Turning MFA on or off, or new recovery codes: sign out everywhere else.

    A password change needs no receiver: Django ties sessions to the password
    hash, so every other session ends when it changes.
    """
    for session in UserSession.objects.purge_and_list(user):
        if session.session_key != request.session.session_key:
            session.end()
