"""Web push: the message, encrypted for each of the recipient's browsers, through their push service.

A browser that turned notifications on handed us a PushSubscription: an
endpoint at its push service (Google's, Mozilla's, Apple's, ...) and the keys
to encrypt for it (RFC 8291). Each request is signed with our VAPID key
(RFC 8292), so the push service knows it comes from the server the browser
subscribed to. The service keeps the message for up to TTL while the device is
offline. A 404 or 410 means the subscription is gone (notifications turned
off in the browser, or expired): it is deleted.

The server POSTs to whatever endpoint a browser handed over, so endpoints are
checked (endpoint_problem) when stored and again before each send, and a push
service may not redirect us elsewhere.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

import http_ece
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from py_vapid import Vapid, VapidException
from pywebpush import WebPushException, webpush

from notifications.channels import DeliveryError
from notifications.models import PushSubscription

logger = logging.getLogger(__name__)

# A reminder that arrives half a day late is no use; the push service drops it after this.
TTL = datetime.timedelta(hours=12)
# How long one push service may take to answer.
TIMEOUT_SECONDS = 10
# The push service no longer knows the subscription.
GONE = frozenset({404, 410})
# Push services accept about 4 KB; a notification shows a few lines anyway.
BODY_LIMIT = 500


def is_configured() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def decode_base64url(text: str) -> bytes:
    """Base64url with or without padding, as browsers and VAPID keys write it. ValueError if it is not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def endpoint_problem(endpoint: str) -> str:
    """Why we must not POST to this endpoint, in words; '' when it is fine.

    Only https, and not this machine or a private network: the address comes
    from a browser, and the server sends to it. PUSH_ALLOW_LOCAL_ENDPOINTS
    (tests only) lifts both rules.
    """
    parts = urlsplit(endpoint)
    local_allowed = settings.PUSH_ALLOW_LOCAL_ENDPOINTS
    if parts.scheme != "https" and not (local_allowed and parts.scheme == "http"):
        return "It must be an https:// address."
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "It must name the push service's host."
    if local_allowed:
        return ""
    if host == "localhost" or host.endswith(".localhost"):
        return "It must be a push service on the internet, not this machine."
    address = _ip_literal(host)
    if address is not None:
        if not address.is_global or address.is_multicast:
            return "It must be a push service on the internet, not a private or local address."
    elif "." not in host:
        return "It must be a push service's full host name."
    return ""


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address if `host` is one, in any form the resolver would accept ("127.1", "2130706433" too)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def payload_for(notification) -> str:
    """What the service worker shows (notifications/templates/notifications/sw.js)."""
    body = notification.body
    if len(body) > BODY_LIMIT:
        body = body[: BODY_LIMIT - 1].rstrip() + "…"
    return json.dumps(
        {
            "title": notification.title,
            "body": body,
            "url": settings.SITE_URL + (notification.link or "/"),
            "tag": f"adhere-{notification.pk}",
        }
    )


def send(notification) -> None:
    """Push to every device of the recipient. Delivered when at least one push service took it."""
    signing_key = _signing_key()
    subscriptions = list(PushSubscription.objects.filter(user_id=notification.recipient_id))
    if not subscriptions:
        raise DeliveryError("The recipient has no device with push notifications turned on.", permanent=True)
    payload = payload_for(notification)
    delivered: list[int] = []
    gone: list[int] = []
    problems: list[str] = []
    permanent = True
    with _NoRedirects() as session:
        for subscription in subscriptions:
            try:
                _push_to(subscription, payload, signing_key, session)
            except _Gone:
                gone.append(subscription.pk)
            except DeliveryError as error:
                problems.append(str(error))
                permanent = permanent and error.permanent
            else:
                delivered.append(subscription.pk)
    if gone:
        with transaction.atomic():  # each deletion with its audit entry
            PushSubscription.objects.filter(pk__in=gone).delete()
    if delivered:
        PushSubscription.objects.filter(pk__in=delivered).update(last_used_at=timezone.now())
        return
    if gone:
        problems.append(f"{_devices(len(gone))} no longer subscribed (404/410), removed")
    raise DeliveryError("No device took the push: " + "; ".join(problems) + ".", permanent=permanent)


def _devices(count: int) -> str:
    return "1 device" if count == 1 else f"{count} devices"


class _Gone(Exception):
    """The push service no longer knows this subscription."""


class _NoRedirects(requests.Session):
    """A push service that redirects is refused: the redirect could lead into our own network."""

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def _signing_key() -> Vapid:
    """Our VAPID key, checked against the public key browsers subscribed with."""
    if not is_configured():
        raise DeliveryError(
            "Web push is not set up on this server (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY).", permanent=True
        )
    try:
        key = Vapid.from_string(settings.VAPID_PRIVATE_KEY)
        public = key.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        matches = public == decode_base64url(settings.VAPID_PUBLIC_KEY)
    except (ValueError, TypeError, AttributeError, VapidException):
        raise DeliveryError("VAPID_PRIVATE_KEY is not a valid key.", permanent=True) from None
    if not isinstance(key.private_key, ec.EllipticCurvePrivateKey) or not matches:
        # Browsers would refuse every push signed with it (401/403).
        raise DeliveryError(
            "VAPID_PRIVATE_KEY is not the private half of VAPID_PUBLIC_KEY "
            "(make a pair with manage.py vapid_keys).",
            permanent=True,
        )
    return key


def _push_to(
    subscription: PushSubscription, payload: str, signing_key: Vapid, session: requests.Session
) -> None:
    """One device. Raises _Gone, or DeliveryError for any other failure."""
    host = urlsplit(subscription.endpoint).hostname or "?"
    problem = endpoint_problem(subscription.endpoint)
    if problem:
        logger.warning("Push subscription %s has an endpoint we do not send to: %s", subscription.pk, problem)
        raise DeliveryError(f"the endpoint at {host} is refused: {problem}", permanent=True)
    try:
        webpush(
            subscription.info(),
            data=payload,
            vapid_private_key=signing_key,
            # A new dict each time: webpush writes the audience (the endpoint's origin) into it.
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=int(TTL.total_seconds()),
            headers={"Urgency": "high"},
            timeout=TIMEOUT_SECONDS,
            requests_session=session,
        )
    except WebPushException as error:
        status = error.status_code
        if status in GONE:
            raise _Gone from error
        if status is None:  # refused before sending: the stored keys
            raise DeliveryError(
                f"the subscription's keys are not valid ({error.message})", permanent=True
            ) from error
        reason = getattr(error.response, "reason", "") or ""
        raise DeliveryError(f"the push service at {host} answered {status} {reason}".rstrip()) from error
    except VapidException as error:
        raise DeliveryError(f"VAPID_SUBJECT is not accepted: {error}", permanent=True) from error
    except requests.RequestException as error:
        raise DeliveryError(f"could not reach the push service at {host} ({type(error).__name__})") from error
    except (ValueError, TypeError, http_ece.ECEException) as error:  # base64 and key decoding
        raise DeliveryError(f"the subscription's keys are not valid ({error})", permanent=True) from error
