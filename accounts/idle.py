"""Automatic logoff after inactivity.

Staff are always signed out after SESSION_IDLE_TIMEOUT of no activity. So is
everybody else, unless they ticked "keep me signed in on this device" when
they signed in (a patient confirming doses on their own phone): their session
then lasts REMEMBER_DEVICE_DAYS. Requests from views marked @passive (for
example a badge that polls) do not count as activity, so an idle page that
polls still ends its session.

An app's session token (X-Session-Token, the REST API and allauth's app API)
is a session too, and keeps the same idle rule (token_session_refused), plus
an absolute lifetime, SESSION_TOKEN_MAX_AGE, that activity does not extend. So
a browser's session id sent as a token is refused once the browser's session
has been idle too long, as the browser itself would be.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

KEEP_SIGNED_IN_KEY = "adhere_keep_signed_in"
LAST_ACTIVITY_KEY = "adhere_last_activity"
# When the session was signed in (seconds since the epoch), for the token's absolute lifetime.
SIGNED_IN_AT_KEY = "adhere_signed_in_at"
# Whether its user was staff when signing in: the idle rule without loading the user.
STAFF_KEY = "adhere_staff"
# Seconds between writes of the activity time, so that a busy session is not
# saved on every request. The logoff can come this much late, never early.
ACTIVITY_WRITE_INTERVAL = 60


def idle_timeout_applies(request: HttpRequest) -> bool:
    if request.user.is_staff:
        return True
    return not request.session.get(KEEP_SIGNED_IN_KEY, False)


def passive[View: Callable](view: View) -> View:
    """Mark a view whose requests are not the user's activity (polling)."""
    view.passive_request = True  # type: ignore[attr-defined]
    return view


def token_session_refused(session: SessionBase, now: int | None = None) -> str:
    """Why a session may no longer be used as a session token ("idle", "too old"), or "" when it
    may; then the use is activity.

    Refused when it was signed in more than SESSION_TOKEN_MAX_AGE ago, however active, or when
    it has been idle longer than SESSION_IDLE_TIMEOUT and the idle rule applies to it (staff
    always; others unless they ticked "keep me signed in", which an app's sign-in never does).
    Cheap on purpose, as every API request comes through here: the activity time is written
    at most once a minute (ACTIVITY_WRITE_INTERVAL), so most requests write nothing.
    """
    now = int(time.time()) if now is None else now
    last_activity = session.get(LAST_ACTIVITY_KEY)
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    if signed_in_at is None:
        # A session signed in before this rule: its lifetime counts from when it is first seen.
        signed_in_at = session[SIGNED_IN_AT_KEY] = now if last_activity is None else min(last_activity, now)
    if now - signed_in_at > settings.SESSION_TOKEN_MAX_AGE:
        return "too old"
    idle_applies = bool(session.get(STAFF_KEY)) or not session.get(KEEP_SIGNED_IN_KEY, False)
    if idle_applies and last_activity is not None and now - last_activity > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    if last_activity is None or now - last_activity >= ACTIVITY_WRITE_INTERVAL:
        session[LAST_ACTIVITY_KEY] = now
    if session.modified:
        session.save()
    return ""
