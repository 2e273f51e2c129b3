from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.template.defaultfilters import pluralize
from django_htmx.http import HttpResponseClientRedirect

from accounts.http import HtmxRequest
from accounts.idle import ACTIVITY_WRITE_INTERVAL, LAST_ACTIVITY_KEY, idle_timeout_applies


class IdleTimeoutMiddleware:
    """Sign out a session that has been idle too long (see accounts.idle)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HtmxRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not request.user.is_authenticated or not idle_timeout_applies(request):
            return None
        now = int(time.time())
        last_activity = request.session.get(LAST_ACTIVITY_KEY)
        if last_activity is not None and now - last_activity > settings.SESSION_IDLE_TIMEOUT:
            return self._sign_out(request)
        is_activity = not getattr(view_func, "passive_request", False)
        if is_activity and (last_activity is None or now - last_activity >= ACTIVITY_WRITE_INTERVAL):
            request.session[LAST_ACTIVITY_KEY] = now
        return None

    def _sign_out(self, request: HtmxRequest) -> HttpResponse:
        next_path = request.get_full_path() if request.method == "GET" and not request.htmx else "/"
        logout(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Signed out after a time without activity. Sign in again."}, status=401
            )
        minutes = max(1, settings.SESSION_IDLE_TIMEOUT // 60)
        messages.info(
            request,
            f"You were signed out after {minutes} minute{pluralize(minutes)} without activity, to keep "
            "your health information private. Please sign in again.",
        )
        login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: next_path})}"
        if request.htmx:
            return HttpResponseClientRedirect(login_url)
        return HttpResponseRedirect(login_url)
