"""Talking to the API as an app client does: JSON in and out, a session token from the headless login."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.http import HttpResponse
from django.test import Client

from accounts.tests.factories import PASSWORD

LOGIN = "/_allauth/app/v1/auth/login"
SESSION = "/_allauth/app/v1/auth/session"
MFA_AUTHENTICATE = "/_allauth/app/v1/auth/2fa/authenticate"

PATIENTS = "/api/v1/patients/"
REMINDERS = "/api/v1/reminders/"
DOSES = "/api/v1/doses/"
CONFIRMATIONS = "/api/v1/confirmations/"
AUDIT = "/api/v1/audit/"
LISTS = [PATIENTS, REMINDERS, DOSES, CONFIRMATIONS, AUDIT]


def send(
    client: Client,
    method: str,
    url: str,
    data: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """One JSON request; `data` is sent as JSON unless it is already a str (sent as it is)."""
    headers = dict(headers or {})
    if token is not None:
        headers["X-Session-Token"] = token
    body = "" if data is None else data if isinstance(data, str) else json.dumps(data)
    return client.generic(method, url, body, content_type="application/json", headers=headers)


def log_in(client: Client, email: str, password: str = PASSWORD) -> str:
    """Sign in through the headless app API and return the session token."""
    response = send(client, "POST", LOGIN, {"email": email, "password": password})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["meta"]["is_authenticated"] is True
    return body["meta"]["session_token"]


def totp_code(secret: str) -> str:
    """The authenticator app's code now (as accounts/tests/test_mfa.py makes it)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def detail(collection: str, object_id: object) -> str:
    return f"{collection}{object_id}/"


def is_uuid(value: object) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


class Api:
    """An app client signed in with a session token: api.get(url), api.post(url, data), api.patch(...)."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.token = token

    def request(self, method: str, url: str, data: Any = None) -> HttpResponse:
        return send(self.client, method, url, data, token=self.token)

    def get(self, url: str) -> HttpResponse:
        return self.request("GET", url)

    def post(self, url: str, data: Any = None) -> HttpResponse:
        return self.request("POST", url, data)

    def patch(self, url: str, data: Any = None) -> HttpResponse:
        return self.request("PATCH", url, data)

    def results(self, url: str) -> list[dict]:
        """Every result of a list, following its pages."""
        found: list[dict] = []
        while url:
            response = self.get(url)
            assert response.status_code == 200, response.content.decode()
            page = response.json()
            found.extend(page["results"])
            url = page["next"] and page["next"].removeprefix("http://testserver")
        return found
