from __future__ import annotations

import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.test import Client

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import sign_in, signed_in_email

# allauth announces a new authenticator when its transaction commits, so
# these tests let transactions really commit.
pytestmark = pytest.mark.django_db(transaction=True)


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def turn_on_totp(client: Client) -> str:
    # Security settings ask for the password again first.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    client.post(asked["Location"], {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret


def test_any_user_can_turn_on_an_authenticator_app_and_gets_recovery_codes(client):
    user = UserFactory(email="ann@example.org")
    sign_in(client, user.email)
    turn_on_totp(client)
    kinds = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


def test_signing_in_then_asks_for_the_code(client):
    user = UserFactory(email="ann@example.org")
    sign_in(client, user.email)
    secret = turn_on_totp(client)
    client.post("/accounts/logout/")

    fresh = Client()
    response = sign_in(fresh, user.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_email(fresh) is None, "a password alone must not be enough"
    # A code is good once; the next 30-second window brings a new one.
    with time_machine.travel(time.time() + 30):
        fresh.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
        assert signed_in_email(fresh) == user.email


def test_turning_mfa_on_ends_every_other_session(client):
    user = UserFactory(email="ann@example.org")
    laptop = Client()
    sign_in(client, user.email)
    sign_in(laptop, user.email, PASSWORD)
    assert signed_in_email(laptop) == user.email

    turn_on_totp(client)
    assert signed_in_email(client) == user.email
    assert signed_in_email(laptop) is None
