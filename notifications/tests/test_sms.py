"""Text messages: the worker sending through a fake Twilio on 127.0.0.1, and the console backend."""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications.channels import DeliveryError
from notifications.channels.sms import (
    MAX_LENGTH,
    ConsoleSmsBackend,
    TwilioSmsBackend,
    get_backend,
    message_text,
)
from notifications.delivery import deliver_due
from notifications.models import Channel, Kind, Notification, NotificationSettings
from patients.models import PatientProfile
from reminders.tests.factories import DoseFactory

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token"
FROM = "+15005550006"
NUMBER = "+447700900123"
SITE = "https://adhere.example"
NOT_A_NUMBER = "The 'To' number +447700900123 is not a valid phone number."


# --- A fake Twilio ---------------------------------------------------------------------------------

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


@dataclass
class Answer:
    status: int
    payload: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeTwilio:
    """An HTTP server on 127.0.0.1 that records each request and gives the scripted answers in turn."""

    server: http.server.ThreadingHTTPServer
    thread: threading.Thread
    requests: list[dict] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    stopped: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def next_answer(self) -> Answer:
        if self.answers:
            return self.answers.pop(0)
        return Answer(201, {"sid": "SM" + "0" * 32, "status": "queued"})

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)


def handler_for(fake: list[FakeTwilio]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            twilio = fake[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            twilio.requests.append(
                {
                    "method": "POST",
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "form": {key: values[0] for key, values in parse_qs(raw.decode()).items()},
                }
            )
            answer = twilio.next_answer()
            if answer.delay:
                time.sleep(answer.delay)
            body = json.dumps(answer.payload).encode() if answer.payload is not None else b""
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    holder: list[FakeTwilio] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(holder))
    # A short poll interval: shutdown() waits for the loop's next look.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    twilio = FakeTwilio(server=server, thread=thread)
    holder.append(twilio)
    thread.start()
    yield twilio
    twilio.stop()


@pytest.fixture
def twilio(settings, fake_twilio) -> FakeTwilio:
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_API_URL = fake_twilio.url
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM_NUMBER = FROM
    settings.SITE_URL = SITE
    return fake_twilio


def queued_text(
    patient: PatientProfile,
    *,
    sms_number: str | None = NUMBER,
    by_sms: bool = True,
    body: str = "Metformin 500 mg is due at 09:30.",
    link: str = "/today/",
) -> Notification:
    """A pending text message about a pending dose, due now, as the outbox queues it."""
    if sms_number is not None:
        NotificationSettings.objects.create(user=patient.user, by_sms=by_sms, sms_number=sms_number)
    dose = DoseFactory(reminder__patient=patient)
    notification = Notification.objects.create(
        recipient=patient.user,
        channel=Channel.SMS,
        kind=Kind.REMINDER,
        patient=patient,
        title="Time for your medicine",
        body=body,
        link=link,
        dedup_key=f"reminder:{dose.pk}:{patient.user.pk}:sms",
        status=Notification.Status.PENDING,
        next_attempt_at=NOW,
        created_at=NOW,
    )
    notification.doses.add(dose)
    return notification


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- Through the worker --------------------------------------------------------------------------------


def test_it_sends_a_queued_text_through_twilio(twilio, ann):
    notification = queued_text(ann)

    assert deliver_due() == {"sent": 1}

    assert len(twilio.requests) == 1
    request = twilio.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["headers"]["Authorization"] == basic_auth(SID, TOKEN)
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "To": NUMBER,
        "From": FROM,
        "Body": f"Time for your medicine\nMetformin 500 mg is due at 09:30.\n{SITE}/today/",
    }
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert notification.sent_at == NOW
    assert notification.last_error == ""


def test_it_retries_server_errors_and_sends_once(twilio, ann, clock):
    notification = queued_text(ann)
    twilio.script(Answer(500, {"message": "Internal error"}), Answer(500))

    assert deliver_due() == {"retrying": 1}
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.next_attempt_at == NOW + timedelta(minutes=1)
    assert "HTTP 500" in notification.last_error
    assert "Internal error" in notification.last_error

    clock.move_to(NOW + timedelta(seconds=59))
    assert deliver_due() == {}  # not yet: the backoff holds it
    assert len(twilio.requests) == 1

    clock.move_to(NOW + timedelta(minutes=1))
    assert deliver_due() == {"retrying": 1}
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert notification.next_attempt_at == NOW + timedelta(minutes=6)

    clock.move_to(NOW + timedelta(minutes=6))
    assert deliver_due() == {"sent": 1}
    clock.move_to(NOW + timedelta(hours=3))
    assert deliver_due() == {}

    assert len(twilio.requests) == 3
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 3
    assert notification.last_error == ""


def test_it_fails_at_once_when_twilio_refuses_the_number(twilio, ann):
    notification = queued_text(ann)
    twilio.script(Answer(400, {"code": 21211, "message": NOT_A_NUMBER, "status": 400}))

    assert deliver_due() == {"failed": 1}

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1
    assert notification.next_attempt_at is None
    assert NOT_A_NUMBER in notification.last_error
    assert "21211" in notification.last_error
    assert len(twilio.requests) == 1


def test_it_retries_when_twilio_cannot_be_reached(twilio, ann):
    notification = queued_text(ann)
    twilio.stop()

    assert deliver_due() == {"retrying": 1}

    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1
    assert notification.next_attempt_at == NOW + timedelta(minutes=1)
    assert "could not be reached" in notification.last_error


@pytest.mark.parametrize("sms_number", [None, ""], ids=["no settings", "no number"])
def test_it_fails_for_good_without_a_number(twilio, ann, sms_number):
    PatientProfile.objects.filter(pk=ann.pk).update(phone_number="")  # none on the profile either
    notification = queued_text(ann, sms_number=sms_number)

    assert deliver_due() == {"failed": 1}

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1
    assert "no number" in notification.last_error
    assert twilio.requests == []


def test_it_does_not_text_someone_who_turned_texts_off_since(twilio, ann):
    notification = queued_text(ann, by_sms=False)

    assert deliver_due() == {"failed": 1}

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "turned text messages off" in notification.last_error
    assert twilio.requests == []


def test_it_prints_with_the_console_backend(settings, ann, capsys, caplog):
    settings.SMS_BACKEND = "console"
    settings.SITE_URL = SITE
    notification = queued_text(ann)

    with caplog.at_level("INFO", logger="notifications.sms"):
        assert deliver_due() == {"sent": 1}

    printed = capsys.readouterr().out
    assert f"Text message to: {NUMBER}" in printed
    assert f"Time for your medicine\nMetformin 500 mg is due at 09:30.\n{SITE}/today/\n" in printed
    assert "-" * 79 in printed
    logged = [r for r in caplog.records if r.name == "notifications.sms"]
    assert len(logged) == 1
    assert logged[0].levelname == "INFO"
    assert NUMBER in logged[0].getMessage()
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


# --- The Twilio backend on its own ----------------------------------------------------------------------


def backend_for(twilio: FakeTwilio, **options) -> TwilioSmsBackend:
    return TwilioSmsBackend(
        account_sid=SID, auth_token=TOKEN, from_number=FROM, api_url=twilio.url, **options
    )


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (401, True), (404, True), (408, False), (429, False), (500, False), (503, False)],
)
def test_it_tells_lasting_refusals_from_passing_ones(fake_twilio, status, permanent):
    fake_twilio.script(Answer(status, {"code": 20003, "message": "Twilio says no"}))

    with pytest.raises(DeliveryError) as raised:
        backend_for(fake_twilio).send(to=NUMBER, body="Hello")

    assert raised.value.permanent is permanent
    assert f"HTTP {status}" in str(raised.value)
    assert "Twilio says no" in str(raised.value)


def test_it_copes_with_an_error_answer_that_is_not_json(fake_twilio):
    fake_twilio.script(Answer(502))

    with pytest.raises(DeliveryError) as raised:
        backend_for(fake_twilio).send(to=NUMBER, body="Hello")

    assert raised.value.permanent is False
    assert str(raised.value) == "Twilio refused the message (HTTP 502)"


def test_a_timeout_can_be_tried_again(fake_twilio):
    fake_twilio.script(Answer(201, {"sid": "SMslow"}, delay=0.5))

    with pytest.raises(DeliveryError) as raised:
        backend_for(fake_twilio, timeout=0.1).send(to=NUMBER, body="Hello")

    assert raised.value.permanent is False
    assert "could not be reached" in str(raised.value)


def test_it_does_not_follow_a_redirect_with_the_credentials(fake_twilio):
    fake_twilio.script(Answer(302, headers={"Location": f"{fake_twilio.url}/elsewhere"}))

    with pytest.raises(DeliveryError) as raised:
        backend_for(fake_twilio).send(to=NUMBER, body="Hello")

    assert raised.value.permanent is True
    assert [request["path"] for request in fake_twilio.requests] == [
        f"/2010-04-01/Accounts/{SID}/Messages.json"
    ]


# --- Choosing the backend, writing the text -------------------------------------------------------------


def test_it_chooses_the_backend_from_the_settings(settings):
    settings.SMS_BACKEND = "console"
    assert isinstance(get_backend(), ConsoleSmsBackend)

    settings.SMS_BACKEND = "notifications.channels.sms.ConsoleSmsBackend"
    assert isinstance(get_backend(), ConsoleSmsBackend)

    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = SID, TOKEN, FROM
    settings.TWILIO_API_URL = "https://api.twilio.com"
    backend = get_backend()
    assert isinstance(backend, TwilioSmsBackend)
    assert backend.url == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"


def test_twilio_without_its_settings_is_a_configuration_error(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = SID, "", FROM

    with pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN"):
        get_backend()


def test_an_unknown_backend_is_a_configuration_error(settings):
    settings.SMS_BACKEND = "carrier.pigeon.Backend"

    with pytest.raises(ImproperlyConfigured, match=re.escape("carrier.pigeon.Backend")):
        get_backend()


def test_a_long_text_is_cut_before_the_link(settings):
    settings.SITE_URL = SITE
    notification = Notification(title="Time for your medicine", body="word " * 300, link="/today/")

    text = message_text(notification)

    assert len(text) == MAX_LENGTH
    assert text.endswith(f"…\n{SITE}/today/")
    assert text.startswith("Time for your medicine\nword word")


def test_a_short_text_is_left_whole_and_links_home_without_a_link(settings):
    settings.SITE_URL = SITE
    notification = Notification(title="Missed dose", body="Ann missed Metformin at 08:00.", link="")

    assert message_text(notification) == f"Missed dose\nAnn missed Metformin at 08:00.\n{SITE}/"
