"""Automatic logoff after inactivity.

Staff are always signed out after SESSION_IDLE_TIMEOUT of no activity. So is
everybody else, unless they ticked "keep me signed in on this device" when
they signed in (a patient confirming doses on their own phone): their session
then lasts REMEMBER_DEVICE_DAYS. Requests from views marked @passive (for
example a badge that polls) do not count as activity, so an idle page that
polls still ends its session.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

KEEP_SIGNED_IN_KEY = "adhere_keep_signed_in"
LAST_ACTIVITY_KEY = "adhere_last_activity"
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
