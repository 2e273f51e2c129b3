from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from adherence.jsonbody import error_response, is_json_path
from adherence.models import Heartbeat
from adherence.tasks import SCHEDULER_HEARTBEAT

logger = logging.getLogger(__name__)

# The heartbeat job runs every minute; after this long without one, the
# scheduler is reported late (a report, not a failure: see healthz).
HEARTBEAT_LATE_AFTER_SECONDS = 5 * 60


# The site's error views (handler400 and the others in adherence.urls): a program calling a JSON
# endpoint (the REST API, allauth's headless API, push subscriptions) gets its error in JSON, with
# no trace; a person gets the page.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path_info):
        return error_response(request.path_info, 400, "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path_info):
        return error_response(request.path_info, 403, "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path_info):
        return error_response(request.path_info, 404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_json_path(request.path_info):
        return error_response(
            request.path_info, 500, "Something went wrong on our side. It was logged; please try again later."
        )
    return defaults.server_error(request)


def not_here(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """An address a library routes but Adhere does not offer."""
    return JsonResponse({"status": 404, "errors": [{"message": "Not offered by Adhere."}]}, status=404)


@transaction.non_atomic_requests  # it must answer when the database does not
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: 200 while the database answers, else 503.

    The scheduler's heartbeat age is reported, not judged: a web process is
    still useful while the q2 cluster restarts, and monitoring can alert on
    `scheduler.status`.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat_at = Heartbeat.objects.filter(name=SCHEDULER_HEARTBEAT).values_list("beat_at", flat=True).first()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)

    scheduler: dict[str, Any]
    if beat_at is None:
        scheduler = {"status": "no heartbeat yet", "last_heartbeat": None, "age_seconds": None}
    else:
        age = max(0, round((timezone.now() - beat_at).total_seconds()))
        scheduler = {
            "status": "late" if age > HEARTBEAT_LATE_AFTER_SECONDS else "ok",
            "last_heartbeat": beat_at.isoformat(),
            "age_seconds": age,
        }
    return JsonResponse({"status": "ok", "database": "ok", "scheduler": scheduler})
