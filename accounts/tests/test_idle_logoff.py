from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.tests.factories import UserFactory
from accounts.tests.helpers import sign_in, signed_in_email

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0)]


def is_signed_in(client, email: str) -> bool:
    return signed_in_email(client) == email


def test_a_session_left_idle_for_30_minutes_is_signed_out_with_a_reason(client, clock):
    user = UserFactory()
    sign_in(client, user.email)
    assert is_signed_in(client, user.email)

    clock.shift(timedelta(minutes=31))
    response = client.get("/accounts/email/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Faccounts%2Femail%2F"
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert not is_signed_in(client, user.email)


def test_activity_keeps_the_session(client, clock):
    user = UserFactory()
    sign_in(client, user.email)
    for _ in range(4):
        clock.shift(timedelta(minutes=20))
        assert is_signed_in(client, user.email)


def test_the_timeout_can_be_configured(client, clock, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    user = UserFactory()
    sign_in(client, user.email)
    clock.shift(timedelta(minutes=4))
    assert is_signed_in(client, user.email)
    clock.shift(timedelta(minutes=6))
    response = client.get("/", follow=True)
    assert "signed out after 5 minutes without activity" in response.content.decode()
    assert not is_signed_in(client, user.email)


def test_a_patient_who_keeps_this_device_signed_in_stays_for_days(client, clock):
    user = UserFactory()
    sign_in(client, user.email, remember=True)
    clock.shift(timedelta(hours=20))
    assert is_signed_in(client, user.email)
    assert client.session.get_expiry_age() == 30 * 24 * 60 * 60


def test_without_the_tick_the_session_ends_with_the_browser(client, clock):
    user = UserFactory()
    sign_in(client, user.email)
    assert client.session.get_expire_at_browser_close()


def test_staff_are_signed_out_when_idle_even_if_they_ticked_the_box(client, clock):
    staff = UserFactory(is_staff=True)
    sign_in(client, staff.email, remember=True)
    clock.shift(timedelta(minutes=31))
    assert not is_signed_in(client, staff.email)


@pytest.mark.urls("accounts.tests.urls_passive")
def test_polling_does_not_count_as_activity(client, clock):
    user = UserFactory()
    sign_in(client, user.email)
    client.get("/")
    for _ in range(31):
        clock.shift(timedelta(minutes=1))
        client.get("/badge")
    assert not is_signed_in(client, user.email)


def test_an_htmx_request_after_the_timeout_sends_the_whole_page_to_the_login(client, clock):
    user = UserFactory()
    sign_in(client, user.email)
    clock.shift(timedelta(minutes=31))
    response = client.get("/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/accounts/login/?next=%2F"
