"""The installable app (manifest, service worker) and the browser's push subscriptions.

The service worker is served from the site root so that its scope is the
whole site. The subscription views take the JSON of the browser's
PushSubscription.toJSON() from static/js/push.js and answer in JSON.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from accounts.http import SignedInRequest
from accounts.idle import passive
from adherence import jsonbody
from notifications import services
from notifications.channels.push import decode_base64url, endpoint_problem, is_configured
from notifications.models import PushSubscription

THEME_COLOUR = "#0b5394"  # --primary in static/css/app.css
BACKGROUND_COLOUR = "#f5f6f8"  # --page
# A CharField always has its max_length.
ENDPOINT_MAX_LENGTH: int = PushSubscription._meta.get_field("endpoint").max_length  # type: ignore[assignment]


# The browser fetches these two by itself, not the person: not activity.
@passive
@require_safe
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    icons = [
        {
            "src": static(f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in (192, 512)
    ]
    return JsonResponse(
        {
            "id": "/",
            "name": settings.SITE_NAME,
            "short_name": settings.SITE_NAME,
            "description": "Medication reminders for patients and the people who care for them.",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": BACKGROUND_COLOUR,
            "theme_color": THEME_COLOUR,
            "icons": icons,
        },
        content_type="application/manifest+json",
    )


@passive
@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    script = render_to_string("notifications/sw.js", {"icon_url": static("icons/icon-192.png")})
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers look for a new worker on their own schedule; each look must reach us.
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_POST
def subscribe(request: SignedInRequest) -> JsonResponse:
    """Store this browser's subscription for the signed-in person; a shared device's moves to them."""
    if not is_configured():
        return _refused("Push notifications are not set up on this server.")
    data, problem = _json_object(request)
    if problem:
        return _refused(problem)
    fields, errors = _subscription_fields(data)
    if errors:
        return _refused("The subscription was not stored.", errors)
    _, created = services.push_subscription_save(
        user=request.user, **fields, user_agent=request.headers.get("User-Agent", "")
    )
    return JsonResponse({"detail": "Notifications are on for this device."}, status=201 if created else 200)


@login_required
@require_POST
def unsubscribe(request: SignedInRequest) -> HttpResponse:
    """Forget this browser's subscription. Only its owner may; another's answers 404."""
    data, problem = _json_object(request)
    if problem:
        return _refused(problem)
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return _refused(
            "The subscription was not removed.", {"endpoint": ["Send the subscription's endpoint."]}
        )
    if not services.push_subscription_delete(user=request.user, endpoint=endpoint):
        return JsonResponse({"detail": "You have no push subscription with this endpoint."}, status=404)
    return HttpResponse(status=204)


def _refused(detail: str, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": errors or {}}, status=400)


def _json_object(request: HttpRequest) -> tuple[dict, str]:
    """The request's JSON object, or a problem in words."""
    try:
        data = jsonbody.loads(request.body)
    except jsonbody.JSONTooDeep as too_deep:
        return {}, str(too_deep)
    except ValueError:
        return {}, "The request body is not valid JSON."
    if not isinstance(data, dict):
        return {}, "The request body must be a JSON object."
    return data, ""


def _subscription_fields(data: dict) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The fields of PushSubscription.toJSON() ({endpoint, keys: {p256dh, auth}}) and the errors by field."""
    errors: dict[str, list[str]] = {}
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        errors["endpoint"] = ["Send the subscription's endpoint address."]
    elif len(endpoint) > ENDPOINT_MAX_LENGTH:
        errors["endpoint"] = [f"It must be at most {ENDPOINT_MAX_LENGTH} characters long."]
    elif problem := endpoint_problem(endpoint):
        errors["endpoint"] = [problem]

    keys = data.get("keys")
    p256dh = auth = ""
    if not isinstance(keys, dict):
        errors["keys"] = ["Send the subscription's keys (p256dh and auth)."]
    else:
        p256dh, auth = keys.get("p256dh"), keys.get("auth")  # type: ignore[assignment]  # checked below
        if problem := _browser_key_problem(p256dh):
            errors["keys.p256dh"] = [problem]
        if problem := _auth_secret_problem(auth):
            errors["keys.auth"] = [problem]
    if errors:
        return {}, errors
    # Without errors, each value was checked to be a str.
    return {"endpoint": endpoint, "p256dh": p256dh.rstrip("="), "auth": auth.rstrip("=")}, {}  # type: ignore[dict-item]


def _decoded(value: object, max_length: int) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > max_length:
        return None
    try:
        return decode_base64url(value)
    except ValueError:
        return None


def _browser_key_problem(value: object) -> str:
    key = _decoded(value, max_length=200)
    if key is None:
        return "Send the browser's public key, base64url-encoded."
    if len(key) != 65:  # the uncompressed point, as browsers send it
        return "It is not an uncompressed P-256 public key (65 bytes)."
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key)
    except ValueError:
        return "It is not a point on the P-256 curve."
    return ""


def _auth_secret_problem(value: object) -> str:
    secret = _decoded(value, max_length=100)
    if secret is None:
        return "Send the subscription's authentication secret, base64url-encoded."
    if len(secret) != 16:
        return "It must be 16 bytes."
    return ""
