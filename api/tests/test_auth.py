"""Signing in as the brief's flow does (email and password, then a session token), the second
factor, signing out, and the browser's own session with CSRF."""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from accounts.tests.factories import PASSWORD
from api.tests.helpers import (
    LISTS,
    LOGIN,
    MFA_AUTHENTICATE,
    PATIENTS,
    REMINDERS,
    SESSION,
    Api,
    detail,
    log_in,
    send,
    totp_code,
)
from reminders.models import MedicationReminder
from reminders.tests.factories import daily

pytestmark = pytest.mark.django_db

NEW_REMINDER = {"medicationName": "Metformin", "dosage": "500 mg", "schedule": daily("08:00")}


def test_logging_in_gives_a_session_token_that_opens_the_api(client, ann):
    response = send(client, "POST", LOGIN, {"email": "ann@example.org", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["is_authenticated"] is True
    assert body["data"]["user"]["email"] == "ann@example.org"
    token = body["meta"]["session_token"]
    assert len(token) >= 20

    patients = Client().get(PATIENTS, headers={"X-Session-Token": token})
    assert patients.status_code == 200
    assert [patient["displayName"] for patient in patients.json()["results"]] == ["Ann Example"]


@pytest.mark.parametrize(
    ("email", "password"),
    [("ann@example.org", "not the password"), ("nobody@example.org", PASSWORD)],
    ids=["wrong password", "unknown email"],
)
def test_a_wrong_password_gives_no_token(client, ann, email, password):
    response = send(client, "POST", LOGIN, {"email": email, "password": password})

    assert response.status_code in (400, 401)
    body = response.json()
    assert "session_token" not in body.get("meta", {})
    assert body["errors"][0]["code"] == "email_password_mismatch"
    assert client.get(PATIENTS).status_code == 401


@pytest.mark.parametrize("url", LISTS)
def test_no_credentials_answer_401_asking_for_the_session_token(client, ann, url):
    response = client.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'X-Session-Token realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_made_up_token_answers_401(client, ann):
    response = client.get(PATIENTS, headers={"X-Session-Token": "a" * 32})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'X-Session-Token realm="api"'
    assert "Ann" not in response.content.decode()


def test_a_detail_url_without_credentials_answers_401_not_404(client, ann):
    response = client.get(detail(PATIENTS, ann.object_id))

    assert response.status_code == 401
    assert "Ann" not in response.content.decode()


def test_an_account_with_an_authenticator_app_needs_the_code(client, ann):
    # One 30-second window throughout: the codes below stay the current ones.
    with time_machine.travel(time.time(), tick=False):
        secret = generate_totp_secret()
        TOTP.activate(ann.user, secret)

        response = send(client, "POST", LOGIN, {"email": "ann@example.org", "password": PASSWORD})
        assert response.status_code == 401
        body = response.json()
        assert body["meta"]["is_authenticated"] is False
        assert {"id": "mfa_authenticate", "is_pending": True, "types": ["totp"]} in body["data"]["flows"]
        pending = body["meta"]["session_token"]
        # A password alone opens nothing.
        assert client.get(PATIENTS, headers={"X-Session-Token": pending}).status_code == 401

        wrong_code = f"{(int(totp_code(secret)) + 500_000) % 1_000_000:06d}"
        wrong = send(client, "POST", MFA_AUTHENTICATE, {"code": wrong_code}, token=pending)
        assert wrong.status_code == 400
        assert wrong.json()["errors"][0]["code"] == "incorrect_code"
        assert client.get(PATIENTS, headers={"X-Session-Token": pending}).status_code == 401

        response = send(client, "POST", MFA_AUTHENTICATE, {"code": totp_code(secret)}, token=pending)
        assert response.status_code == 200, response.content.decode()
        assert response.json()["meta"]["is_authenticated"] is True
        token = response.json()["meta"].get("session_token", pending)

        patients = Client().get(PATIENTS, headers={"X-Session-Token": token})
        assert patients.status_code == 200
        assert patients.json()["results"][0]["displayName"] == "Ann Example"


def test_logging_out_ends_the_token_and_only_that_token(ann):
    phone, tablet = Client(), Client()
    phone_token, tablet_token = log_in(phone, ann.user.email), log_in(tablet, ann.user.email)
    assert phone.get(PATIENTS, headers={"X-Session-Token": phone_token}).status_code == 200

    response = send(phone, "DELETE", SESSION, token=phone_token)
    # allauth answers a signed-out session with 401 and the flows that sign in again.
    assert response.status_code == 401
    assert response.json()["meta"]["is_authenticated"] is False

    after = phone.get(PATIENTS, headers={"X-Session-Token": phone_token})
    assert after.status_code == 401
    assert after["WWW-Authenticate"] == 'X-Session-Token realm="api"'
    assert send(phone, "POST", REMINDERS, NEW_REMINDER, token=phone_token).status_code == 401
    assert not MedicationReminder.objects.exists()
    # The tablet signed in separately and stays signed in.
    assert tablet.get(PATIENTS, headers={"X-Session-Token": tablet_token}).status_code == 200


def test_a_deactivated_account_loses_its_token(client, ann):
    token = log_in(client, ann.user.email)
    ann.user.is_active = False
    ann.user.save()

    assert client.get(PATIENTS, headers={"X-Session-Token": token}).status_code == 401


def test_an_app_client_with_a_token_needs_no_csrf_token(ann):
    client = Client(enforce_csrf_checks=True)
    api = Api(client, log_in(client, ann.user.email))

    response = api.post(REMINDERS, NEW_REMINDER)

    assert response.status_code == 201, response.content.decode()
    assert response.json()["medicationName"] == "Metformin"


def test_the_browser_session_reads_the_api(ann):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ann.user)

    response = browser.get(PATIENTS)

    assert response.status_code == 200
    assert response.json()["results"][0]["displayName"] == "Ann Example"


def test_the_browser_session_needs_the_csrf_token_to_change_anything(ann):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ann.user)
    browser.get("/profile/")  # any page with a form sets the CSRF cookie
    csrf_token = browser.cookies["csrftoken"].value

    refused = send(browser, "POST", REMINDERS, NEW_REMINDER)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF Failed: CSRF token missing."}
    refused = send(browser, "PATCH", detail(PATIENTS, ann.object_id), {"displayName": "Changed"})
    assert refused.status_code == 403
    assert not MedicationReminder.objects.exists()
    ann.refresh_from_db()
    assert ann.display_name == "Ann Example"

    made = send(browser, "POST", REMINDERS, NEW_REMINDER, headers={"X-CSRFToken": csrf_token})
    assert made.status_code == 201, made.content.decode()
    assert made.json()["medicationName"] == "Metformin"
    changed = send(
        browser,
        "PATCH",
        detail(PATIENTS, ann.object_id),
        {"displayName": "Changed"},
        headers={"X-CSRFToken": csrf_token},
    )
    assert changed.status_code == 200
    assert changed.json()["displayName"] == "Changed"


def test_a_browser_session_that_signed_out_is_refused(ann):
    browser = Client()
    browser.force_login(ann.user)
    browser.logout()

    assert browser.get(PATIENTS).status_code == 401


def test_repeated_wrong_passwords_lock_the_app_login_too(ann):
    for _ in range(5):
        assert (
            send(Client(), "POST", LOGIN, {"email": "ann@example.org", "password": "guess"}).status_code
            == 400
        )

    response = send(Client(), "POST", LOGIN, {"email": "ann@example.org", "password": PASSWORD})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_login_attempts"
    assert "session_token" not in response.json().get("meta", {})


def test_api_answers_are_never_stored_by_caches(ann_api):
    response = ann_api.get(PATIENTS)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_idle_browser_session_gets_401_from_the_api_not_a_redirect(ann, settings):
    with time_machine.travel(time.time(), tick=False) as clock:
        browser = Client()
        browser.force_login(ann.user)
        assert browser.get(PATIENTS).status_code == 200
        clock.shift(settings.SESSION_IDLE_TIMEOUT + 60)

        response = browser.get(PATIENTS)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
