"""Text messages: a small backend interface, a console backend for development, and Twilio.

`send(notification)` is the channel's sender (see notifications.channels): it
finds the recipient's number, writes a short text and hands it to the backend
chosen by settings.SMS_BACKEND ("console", "twilio", or the dotted path of a
class). A backend returns when the provider accepted the message and raises
DeliveryError otherwise, saying whether trying again could help.

Twilio is reached with the standard library only (urllib): one POST per message.
A timeout after the request went out may mean Twilio took it anyway; the worker
then tries again, so a text can (rarely) arrive twice. A late reminder repeated
is better than one lost.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from notifications.channels import DeliveryError

logger = logging.getLogger("notifications.sms")

# Ten SMS segments of GSM text; fewer when the text needs Unicode. Twilio itself takes up to 1,600.
MAX_LENGTH = 640
ELLIPSIS = "…"


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None:
        """Hand one text to `to` (E.164) over, or raise DeliveryError."""
        ...


class ConsoleSmsBackend:
    """Development: print each text to stdout (as Django's console email backend does) and log it."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def send(self, *, to: str, body: str) -> None:
        # sys.stdout is looked up now, not at construction: test runners swap it.
        stream = self.stream or sys.stdout
        block = f"Text message to: {to}\nLength: {len(body)} characters\n\n{body}\n{'-' * 79}\n"
        with self._lock:
            stream.write(block)
            stream.flush()
        logger.info("Text message to %s: %s", to, body)


class TwilioSmsBackend:
    """Twilio's Messages API: POST {api_url}/2010-04-01/Accounts/{sid}/Messages.json."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_url: str = "https://api.twilio.com",
        timeout: float = 10.0,
    ) -> None:
        if not api_url.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"TWILIO_API_URL must be an http(s) address, not {api_url!r}.")
        account = urllib.parse.quote(account_sid, safe="")
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account}/Messages.json"
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self.authorization = f"Basic {credentials}"
        self.from_number = from_number
        self.timeout = timeout
        # No redirects: urllib would replay the Authorization header to wherever they point.
        self.opener = urllib.request.build_opener(_RefuseRedirects)

    def send(self, *, to: str, body: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=urllib.parse.urlencode({"To": to, "From": self.from_number, "Body": body}).encode(),
            method="POST",
            headers={
                "Authorization": self.authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "User-Agent": "Adhere",
            },
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                answer = _json(response.read(65536))
        except urllib.error.HTTPError as error:
            try:
                answer = _json(error.read(65536))
            except OSError:
                answer = {}
            finally:
                error.close()
            raise _refusal(error.code, answer) from error
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", None) or error
            raise DeliveryError(f"Twilio could not be reached: {reason}") from error
        logger.info("Twilio accepted a text message to %s (%s)", to, answer.get("sid", "no sid"))


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx then comes back as an HTTPError


def _json(raw: bytes) -> dict:
    try:
        answer = json.loads(raw)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _refusal(status: int, answer: dict) -> DeliveryError:
    """Twilio's error answer as a DeliveryError: its own words, and whether a retry can help."""
    detail = f"HTTP {status}"
    if answer.get("code"):
        detail += f", Twilio error {answer['code']}"
    text = f"Twilio refused the message ({detail})"
    if isinstance(answer.get("message"), str) and answer["message"]:
        text += f": {answer['message']}"
    # Busy, slow or broken on their side: later may work. Anything else (a bad number,
    # bad credentials, an unexpected redirect) will be refused again.
    transient = status in (408, 429) or status >= 500
    return DeliveryError(text, permanent=not transient)


def is_configured() -> bool:
    """Whether this server sends text messages at all (SMS_BACKEND set); if not, none are offered."""
    return bool(settings.SMS_BACKEND)


def get_backend() -> SmsBackend:
    """The backend settings.SMS_BACKEND names: "console", "twilio", or a dotted path to a class."""
    choice = settings.SMS_BACKEND
    if choice == "console":
        return ConsoleSmsBackend()
    if choice == "twilio":
        names = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "TWILIO_API_URL"]
        missing = [name for name in names if not getattr(settings, name, "")]
        if missing:
            raise ImproperlyConfigured(f"SMS_BACKEND is 'twilio' but {', '.join(missing)} is not set.")
        return TwilioSmsBackend(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            from_number=settings.TWILIO_FROM_NUMBER,
            api_url=settings.TWILIO_API_URL,
        )
    try:
        backend_class = import_string(choice)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"SMS_BACKEND must be 'console', 'twilio' or the dotted path of a class, not {choice!r}."
        ) from error
    return backend_class()


def message_text(notification) -> str:
    """Title, body and the link into the app, within MAX_LENGTH: the body is cut, never the link."""
    url = settings.SITE_URL + (notification.link or "/")
    words = f"{notification.title}\n{notification.body}".strip()
    text = f"{words}\n{url}"
    if len(text) <= MAX_LENGTH:
        return text
    room = MAX_LENGTH - len(url) - len("\n") - len(ELLIPSIS)
    if room <= 0:  # a link longer than a whole text: nothing else fits
        return url[:MAX_LENGTH]
    return f"{words[:room].rstrip()}{ELLIPSIS}\n{url}"


def number_for(user) -> str:
    """The recipient's number for text messages, or raise a permanent DeliveryError."""
    from notifications.models import NotificationSettings

    chosen = NotificationSettings.objects.filter(user=user).first()
    if chosen is None or not chosen.texts_to:
        raise DeliveryError("The recipient has no number for text messages.", permanent=True)
    # Queued while text messages were on; since then the person may have turned them off.
    if not chosen.by_sms:
        raise DeliveryError("The recipient has turned text messages off.", permanent=True)
    return chosen.texts_to


def send(notification) -> None:
    if not is_configured():
        raise DeliveryError("Text messages are not set up on this server (SMS_BACKEND).", permanent=True)
    number = number_for(notification.recipient)
    get_backend().send(to=number, body=message_text(notification))
