"""Web push: the worker sending through a fake push service on 127.0.0.1, the subscription views,
the manifest and the service worker.

Nothing of pywebpush is mocked: the fake service gets the real encrypted, VAPID-signed request,
and the test decrypts it with the browser's keys, as a browser would.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.server
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from notifications import push_views
from notifications.channels.push import TTL, endpoint_problem
from notifications.delivery import deliver_due
from notifications.management.commands.vapid_keys import new_key_pair
from notifications.models import Channel, Kind, Notification, PushSubscription
from reminders.tests.factories import DoseFactory

pytestmark = pytest.mark.django_db

SITE = "https://adhere.example"
SUBJECT = "mailto:ops@adhere.example"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- A fake push service and a browser ------------------------------------------------------------


@dataclass
class FakePushService:
    """An HTTP server on 127.0.0.1 that records each POST and answers the scripted statuses in turn."""

    server: http.server.ThreadingHTTPServer
    requests: list[dict] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        self.answers.extend((status, headers or {}) for status in statuses)

    def next_answer(self) -> tuple[int, dict[str, str]]:
        return self.answers.pop(0) if self.answers else (201, {})


def _handler_for(service: FakePushService) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, headers = service.next_answer()
            service.requests.append(
                {
                    "path": self.path,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                    "body": body,
                    "answered": status,
                }
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args) -> None:  # quiet
            pass

    return Handler


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    service = FakePushService(server=None)  # type: ignore[arg-type]
    service.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(service))
    thread = threading.Thread(target=service.server.serve_forever, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()
    thread.join(timeout=5)


@dataclass
class Browser:
    """A browser's push keys: what PushManager.subscribe() makes, and what decrypts a push."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: uuid.uuid4().bytes)

    @property
    def keys(self) -> dict[str, str]:
        public = self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}

    def subscribe(self, user, endpoint: str) -> PushSubscription:
        return PushSubscription.objects.create(user=user, endpoint=endpoint, **self.keys)

    def read(self, body: bytes) -> dict:
        return json.loads(
            http_ece.decrypt(
                body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
            )
        )


def queue_push(patient, **fields) -> Notification:
    """A due-dose push to the patient, as the outbox writes it."""
    now = timezone.now()
    row = {
        "recipient": patient.user,
        "channel": Channel.PUSH,
        "kind": Kind.REMINDER,
        "patient": patient,
        "title": "Time for Metformin",
        "body": "1 tablet, due at 08:00.",
        "link": f"/patients/{patient.pk}/",
        "dedup_key": f"test:{uuid.uuid4()}",
        "status": Notification.Status.PENDING,
        "next_attempt_at": now,
        "created_at": now,
    }
    notification = Notification.objects.create(**{**row, **fields})
    notification.doses.add(DoseFactory(reminder__patient=patient))
    return notification


@pytest.fixture(autouse=True)
def push_site(settings) -> None:
    """The site and its push identity as these tests see them; the fake push service is local."""
    settings.VAPID_SUBJECT = SUBJECT
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = True
    settings.SITE_URL = SITE


def vapid_claims(authorization: str, public_key: str) -> dict:
    """The claims of a `vapid t=<jwt>, k=<key>` header, after checking the JWT's ES256 signature."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert parts["k"] == public_key
    header, claims, signature = parts["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    signer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    signer.verify(  # raises InvalidSignature
        encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    return json.loads(unb64url(claims))


# --- Sending -----------------------------------------------------------------------------------------


def test_it_delivers_an_encrypted_signed_push(vapid, push_service, patient):
    browser = Browser()
    subscription = browser.subscribe(patient.user, f"{push_service.origin}/push/abc123")
    notification = queue_push(patient)

    assert deliver_due() == {"sent": 1}

    [request] = push_service.requests
    assert request["path"] == "/push/abc123"
    assert browser.read(request["body"]) == {
        "title": "Time for Metformin",
        "body": "1 tablet, due at 08:00.",
        "url": f"{SITE}/patients/{patient.pk}/",
        "tag": f"adhere-{notification.pk}",
    }
    headers = request["headers"]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(int(TTL.total_seconds()))
    assert headers["urgency"] == "high"
    claims = vapid_claims(headers["authorization"], vapid)
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    subscription.refresh_from_db()
    assert subscription.last_used_at is not None


def test_it_sends_the_site_root_when_there_is_no_link(vapid, push_service, patient):
    browser = Browser()
    browser.subscribe(patient.user, f"{push_service.origin}/push/1")
    queue_push(patient, link="")

    deliver_due()

    assert browser.read(push_service.requests[0]["body"])["url"] == f"{SITE}/"


def test_it_pushes_to_every_device_and_removes_a_gone_one(vapid, push_service, patient):
    phone, laptop = Browser(), Browser()
    phone.subscribe(patient.user, f"{push_service.origin}/push/phone")
    laptop.subscribe(patient.user, f"{push_service.origin}/push/laptop")
    push_service.script(410)  # whichever goes first has expired
    notification = queue_push(patient)

    assert deliver_due() == {"sent": 1}

    assert len(push_service.requests) == 2
    gone_path = push_service.requests[0]["path"]
    remaining = PushSubscription.objects.get(user=patient.user)
    assert remaining.endpoint != f"{push_service.origin}{gone_path}"
    assert remaining.last_used_at is not None
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


def test_it_removes_a_gone_subscription_and_fails_for_good(vapid, push_service, patient):
    Browser().subscribe(patient.user, f"{push_service.origin}/push/gone")
    push_service.script(410)
    notification = queue_push(patient)

    assert deliver_due() == {"failed": 1}

    assert not PushSubscription.objects.exists()
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1
    assert "404/410" in notification.last_error


def test_it_retries_after_a_server_error_and_delivers_once(vapid, push_service, patient):
    browser = Browser()
    browser.subscribe(patient.user, f"{push_service.origin}/push/1")
    push_service.script(500)
    notification = queue_push(patient)

    assert deliver_due() == {"retrying": 1}

    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert "answered 500" in notification.last_error
    assert notification.next_attempt_at > timezone.now()
    assert deliver_due() == {}  # not before the backoff

    with time_machine.travel(notification.next_attempt_at + datetime.timedelta(seconds=1)):
        assert deliver_due() == {"sent": 1}
        assert deliver_due() == {}

    assert [request["answered"] for request in push_service.requests] == [500, 201]
    assert browser.read(push_service.requests[1]["body"])["title"] == "Time for Metformin"
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 2


def test_it_retries_when_the_push_service_cannot_be_reached(vapid, patient):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    Browser().subscribe(patient.user, f"http://127.0.0.1:{port}/push/1")
    notification = queue_push(patient)

    assert deliver_due() == {"retrying": 1}

    notification.refresh_from_db()
    assert "could not reach the push service" in notification.last_error
    assert PushSubscription.objects.count() == 1


def test_it_does_not_follow_a_redirect(vapid, push_service, patient):
    Browser().subscribe(patient.user, f"{push_service.origin}/push/1")
    push_service.script(307, headers={"Location": f"{push_service.origin}/elsewhere"})
    notification = queue_push(patient)

    assert deliver_due() == {"retrying": 1}

    assert [request["path"] for request in push_service.requests] == ["/push/1"]
    notification.refresh_from_db()
    assert "answered 307" in notification.last_error


def test_it_fails_for_good_without_subscriptions(vapid, patient):
    notification = queue_push(patient)

    assert deliver_due() == {"failed": 1}

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.last_error == "The recipient has no device with push notifications turned on."


@pytest.mark.parametrize("missing", ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"])
def test_it_fails_for_good_without_vapid_keys(vapid, settings, push_service, patient, missing):
    Browser().subscribe(patient.user, f"{push_service.origin}/push/1")
    setattr(settings, missing, "")
    notification = queue_push(patient)

    assert deliver_due() == {"failed": 1}

    assert push_service.requests == []
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert "not set up" in notification.last_error


def test_it_fails_for_good_when_the_vapid_keys_are_not_a_pair(vapid, settings, push_service, patient):
    Browser().subscribe(patient.user, f"{push_service.origin}/push/1")
    settings.VAPID_PRIVATE_KEY = new_key_pair()[1]
    notification = queue_push(patient)

    assert deliver_due() == {"failed": 1}

    assert push_service.requests == []
    notification.refresh_from_db()
    assert "not the private half" in notification.last_error


def test_it_refuses_a_stored_private_endpoint_at_send_time(vapid, settings, patient):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    Browser().subscribe(patient.user, "https://10.0.0.7/push/1")
    notification = queue_push(patient)

    assert deliver_due() == {"failed": 1}

    notification.refresh_from_db()
    assert "is refused" in notification.last_error


def test_it_shortens_a_long_body(vapid, push_service, patient):
    browser = Browser()
    browser.subscribe(patient.user, f"{push_service.origin}/push/1")
    queue_push(patient, body="é" * 5000)

    assert deliver_due() == {"sent": 1}

    body = browser.read(push_service.requests[0]["body"])["body"]
    assert len(body) == 500
    assert body.endswith("…")


# --- Which endpoints we send to ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.com/x",
        "ftp://push.example.com/x",
        "https://localhost/x",
        "https://push.localhost/x",
        "https://127.0.0.1/x",
        "https://127.1/x",
        "https://2130706433/x",
        "https://0x7f000001/x",
        "https://10.1.2.3/x",
        "https://172.16.0.1/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/x",
        "https://0.0.0.0/x",
        "https://[::1]/x",
        "https://[fe80::1]/x",
        "https://[fd00::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://intranet/x",
        "https:///x",
    ],
)
def test_it_refuses_endpoints_that_are_not_public_https(settings, endpoint):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    assert endpoint_problem(endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://web.push.apple.com/QGuQ",
        "https://8.8.8.8/x",
    ],
)
def test_it_accepts_public_https_endpoints(settings, endpoint):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False
    assert endpoint_problem(endpoint) == ""


# --- Subscribing and unsubscribing ---------------------------------------------------------------------


@pytest.fixture
def person(vapid) -> Client:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Test) Firefox/140.0")
    client.user = UserFactory()
    client.force_login(client.user)
    return client


def subscription_json(endpoint: str = "https://fcm.googleapis.com/fcm/send/device-1", **keys) -> dict:
    return {"endpoint": endpoint, "expirationTime": None, "keys": {**Browser().keys, **keys}}


def post_json(client: Client, name: str, data: object, **extra):
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(reverse(name), body, content_type="application/json", **extra)


def test_it_stores_a_subscription(person):
    data = subscription_json()

    response = post_json(person, "push_subscribe", data)

    assert response.status_code == 201
    assert response.json()["detail"] == "Notifications are on for this device."
    stored = PushSubscription.objects.get()
    assert stored.user == person.user
    assert stored.info() == {"endpoint": data["endpoint"], "keys": data["keys"]}
    assert stored.user_agent == "Mozilla/5.0 (Test) Firefox/140.0"


def test_it_keeps_one_row_for_the_same_endpoint(person):
    data = subscription_json()
    post_json(person, "push_subscribe", data)
    renewed = {**data, "keys": Browser().keys}

    response = post_json(person, "push_subscribe", renewed)

    assert response.status_code == 200
    stored = PushSubscription.objects.get()
    assert stored.p256dh == renewed["keys"]["p256dh"]


def test_it_moves_a_shared_device_to_whoever_turns_it_on(person):
    data = subscription_json()
    post_json(person, "push_subscribe", data)
    other = Client()
    other.force_login(UserFactory())

    response = post_json(other, "push_subscribe", data)

    assert response.status_code == 200
    assert PushSubscription.objects.get().user != person.user


def test_subscribing_needs_a_signed_in_person(vapid):
    response = post_json(Client(), "push_subscribe", subscription_json())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_the_csrf_token(person):
    person.handler.enforce_csrf_checks = True
    token = "a" * 32
    person.cookies[django_settings.CSRF_COOKIE_NAME] = token

    refused = post_json(person, "push_subscribe", subscription_json())
    accepted = post_json(person, "push_subscribe", subscription_json(), headers={"X-CSRFToken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 201


def test_subscribing_is_post_only(person):
    assert person.get(reverse("push_subscribe")).status_code == 405


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("{not json", "The request body is not valid JSON."),
        ("[]", "The request body must be a JSON object."),
        ('"https://fcm.googleapis.com/x"', "The request body must be a JSON object."),
    ],
)
def test_it_refuses_a_body_that_is_not_a_json_object(person, body, detail):
    response = post_json(person, "push_subscribe", body)

    assert response.status_code == 400
    assert response.json() == {"detail": detail, "errors": {}}
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"keys": Browser().keys}, "endpoint"),
        ({"endpoint": 42, "keys": Browser().keys}, "endpoint"),
        (subscription_json("http://fcm.googleapis.com/fcm/send/1"), "endpoint"),
        (subscription_json("https://127.0.0.1:8443/push/1"), "endpoint"),
        (subscription_json("https://192.168.0.10/push/1"), "endpoint"),
        (subscription_json("https://localhost/push/1"), "endpoint"),
        (subscription_json("https://fcm.googleapis.com/" + "x" * 1000), "endpoint"),
        ({"endpoint": "https://fcm.googleapis.com/fcm/send/1"}, "keys"),
        ({"endpoint": "https://fcm.googleapis.com/fcm/send/1", "keys": "p256dh"}, "keys"),
        (subscription_json(p256dh=None), "keys.p256dh"),
        (subscription_json(p256dh="not base64!"), "keys.p256dh"),
        (subscription_json(p256dh=b64url(b"\x04" + b"\x01" * 64)), "keys.p256dh"),  # not on the curve
        (subscription_json(p256dh=b64url(b"\x02" + b"\x01" * 32)), "keys.p256dh"),  # compressed
        (subscription_json(auth=""), "keys.auth"),
        (subscription_json(auth=b64url(b"short")), "keys.auth"),
    ],
)
def test_it_refuses_a_bad_subscription_with_words(settings, person, data, field):
    settings.PUSH_ALLOW_LOCAL_ENDPOINTS = False

    response = post_json(person, "push_subscribe", data)

    assert response.status_code == 400
    answer = response.json()
    assert answer["detail"] == "The subscription was not stored."
    assert list(answer["errors"]) == [field]
    assert all(isinstance(message, str) and message for message in answer["errors"][field])
    assert not PushSubscription.objects.exists()


def test_it_refuses_subscriptions_when_push_is_not_set_up(settings, person):
    settings.VAPID_PUBLIC_KEY = ""

    response = post_json(person, "push_subscribe", subscription_json())

    assert response.status_code == 400
    assert "not set up" in response.json()["detail"]
    assert not PushSubscription.objects.exists()


def test_it_removes_a_subscription(person):
    data = subscription_json()
    post_json(person, "push_subscribe", data)

    response = post_json(person, "push_unsubscribe", {"endpoint": data["endpoint"]})

    assert response.status_code == 204
    assert not PushSubscription.objects.exists()


def test_it_cannot_remove_another_persons_subscription(person):
    theirs = Browser().subscribe(UserFactory(), "https://fcm.googleapis.com/fcm/send/theirs")

    response = post_json(person, "push_unsubscribe", {"endpoint": theirs.endpoint})

    assert response.status_code == 404
    assert PushSubscription.objects.get() == theirs


def test_removing_needs_an_endpoint(person):
    response = post_json(person, "push_unsubscribe", {})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["endpoint"]


def test_removing_needs_a_signed_in_person(vapid):
    theirs = Browser().subscribe(UserFactory(), "https://fcm.googleapis.com/fcm/send/theirs")

    response = post_json(Client(), "push_unsubscribe", {"endpoint": theirs.endpoint})

    assert response.status_code == 302
    assert PushSubscription.objects.exists()


# --- The installable app --------------------------------------------------------------------------------


def png_size(path: str) -> tuple[int, int]:
    with open(path, "rb") as png:
        head = png.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_it_serves_the_manifest(client):
    response = client.get(reverse("manifest"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == manifest["short_name"] == "Adhere"
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"].startswith("#")
    assert manifest["background_color"].startswith("#")
    sizes = set()
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        assert "maskable" in icon["purpose"].split()
        path = finders.find(icon["src"].removeprefix(django_settings.STATIC_URL))
        assert path, f"{icon['src']} is not a static file"
        width, height = png_size(path)
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(icon["sizes"])
    assert sizes == {"192x192", "512x512"}


def test_it_serves_the_service_worker_from_the_root(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assert 'addEventListener("push"' in script
    assert 'addEventListener("notificationclick"' in script
    assert "/static/icons/icon-192.png" in script.encode().decode("unicode_escape")  # escapejs
    assert "{{" not in script


def test_the_browser_fetching_them_is_not_activity():
    assert push_views.manifest.passive_request
    assert push_views.service_worker.passive_request
    assert not getattr(push_views.subscribe, "passive_request", False)


def test_pages_link_the_manifest_and_the_push_key(client, vapid):
    page = client.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<link rel="apple-touch-icon" href="/static/icons/icon-192.png">' in page
    assert 'src="/static/js/push.js"' in page
    assert f'<meta name="vapid-public-key" content="{vapid}">' in page


def test_pages_have_no_push_key_when_push_is_not_set_up(client, settings):
    settings.VAPID_PUBLIC_KEY = ""

    page = client.get("/").content.decode()

    assert 'src="/static/js/push.js"' in page  # the service worker is registered anyway
    assert "vapid-public-key" not in page


def test_the_toggle_knows_this_persons_devices(rf, vapid):
    user = UserFactory()
    mine = Browser().subscribe(user, "https://fcm.googleapis.com/fcm/send/mine")
    Browser().subscribe(UserFactory(), "https://fcm.googleapis.com/fcm/send/theirs")
    request = rf.get("/notifications/settings/")
    request.user, request.session = user, {}

    html = render_to_string("notifications/_push_toggle.html", request=request)

    assert "data-push-toggle" in html
    assert "Turn on notifications on this device" in html
    assert 'role="status"' in html
    assert f'data-push-endpoints="{hashlib.sha256(mine.endpoint.encode()).hexdigest()}"' in html


def test_the_toggle_says_when_push_is_not_set_up(rf, settings):
    settings.VAPID_PUBLIC_KEY = ""
    request = rf.get("/notifications/settings/")
    request.user, request.session = UserFactory(), {}

    html = render_to_string("notifications/_push_toggle.html", request=request)

    assert "data-push-toggle" not in html
    assert "not set up on this server" in html


# --- The key pair -----------------------------------------------------------------------------------------


def test_it_prints_a_vapid_key_pair(capsys):
    call_command("vapid_keys")

    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    public, private = unb64url(lines["VAPID_PUBLIC_KEY"]), unb64url(lines["VAPID_PRIVATE_KEY"])
    assert len(public) == 65
    assert public[0] == 4
    assert len(private) == 32
    derived = ec.derive_private_key(int.from_bytes(private), ec.SECP256R1()).public_key()
    assert derived.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint) == public


# --- In a real browser ------------------------------------------------------------------------------------

# Headless Chromium has no push service (and none in a fresh, incognito-like context), so only
# PushManager is replaced: push.js, the service worker, CSRF and the views run for real.
FAKE_PUSH_MANAGER = """
(() => {
  const subscription = {
    endpoint: ENDPOINT,
    options: { applicationServerKey: null },
    toJSON() { return { endpoint: ENDPOINT, expirationTime: null, keys: KEYS }; },
    unsubscribe() { localStorage.removeItem("subscribed-with"); return Promise.resolve(true); },
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(localStorage.getItem("subscribed-with") ? subscription : null);
  };
  PushManager.prototype.subscribe = function (options) {
    const key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)));
    localStorage.setItem("subscribed-with", key);
    return Promise.resolve(subscription);
  };
})();
"""


def show_toggle(page, user) -> None:
    """Put the toggle on the page as the notification settings page includes it (a colleague's page)."""
    request = RequestFactory().get("/")
    request.user, request.session = user, {}
    markup = render_to_string("notifications/_push_toggle.html", request=request)
    page.evaluate(
        """(markup) => {
            const box = document.createElement("div");
            box.innerHTML = markup;
            document.querySelector("main").append(box);
            box.dispatchEvent(new CustomEvent("htmx:load", { bubbles: true, detail: { elt: box } }));
        }""",
        markup,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_turns_push_on_and_off_in_the_browser(open_page, vapid):
    user = UserFactory()
    browser = Browser()
    endpoint = "https://fcm.googleapis.com/fcm/send/browser-test"
    script = FAKE_PUSH_MANAGER.replace("ENDPOINT", json.dumps(endpoint)).replace(
        "KEYS", json.dumps(browser.keys)
    )
    with open_page("push_toggle", permissions=["notifications"]) as page:
        page.add_init_script(script)
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
        scope = page.evaluate("navigator.serviceWorker.ready.then((worker) => worker.scope)")
        assert scope == page.evaluate("location.origin + '/'")

        show_toggle(page, user)
        toggle = page.get_by_role("button", name="Turn on notifications on this device")
        expect(page.get_by_role("status").filter(has_text="this device")).to_have_text(
            "Notifications are off for this device."
        )
        toggle.click()
        expect(page.get_by_role("status").filter(has_text="this device")).to_have_text(
            "Notifications are on for this device."
        )
        stored = PushSubscription.objects.get()
        assert (stored.user, stored.endpoint, stored.p256dh) == (user, endpoint, browser.keys["p256dh"])
        sent_key = base64.b64decode(page.evaluate("localStorage.getItem('subscribed-with')"))
        assert sent_key == unb64url(vapid)

        page.reload()  # the server says whose this browser's subscription is
        show_toggle(page, user)
        page.get_by_role("button", name="Turn off on this device").click()
        expect(page.get_by_role("status").filter(has_text="this device")).to_have_text(
            "Notifications are off for this device."
        )
        assert not PushSubscription.objects.exists()
        expect(page.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
