from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from accounts.tests.helpers import sign_in, signed_in_email

pytestmark = pytest.mark.django_db


def test_a_user_sees_their_signed_in_devices_and_signs_the_others_out(client):
    user = UserFactory(email="ann@example.org")
    stranger = UserFactory(email="someone.else@example.org")
    laptop = Client(HTTP_USER_AGENT="Ann's laptop")
    strangers_phone = Client(HTTP_USER_AGENT="Stranger's phone")
    sign_in(client, user.email)
    sign_in(laptop, user.email)
    sign_in(strangers_phone, stranger.email)

    page = client.get("/accounts/sessions/").content.decode()
    assert "Ann&#x27;s laptop" in page
    assert "Stranger" not in page, "only one's own sessions are listed"

    client.post("/accounts/sessions/")
    assert signed_in_email(client) == user.email
    assert signed_in_email(laptop) is None
    assert signed_in_email(strangers_phone) == stranger.email
