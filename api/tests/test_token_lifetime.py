"""Session tokens keep the idle sign-out and have a lifetime (issue 21, item 4).

An app's session token (X-Session-Token) works while it is used, ends after
SESSION_IDLE_TIMEOUT_MINUTES (30) without use, and ends SESSION_TOKEN_MAX_AGE_HOURS
(24) after signing in however much it is used. A browser's session id sent as a token
is held to the same rules. The clock starts at the shared moment (4 March 2026, 06:00 UTC).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.helpers import sign_in, signed_in_email
from api.tests.helpers import PATIENTS, SESSION, log_in, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def patients(token: str):
    return Client().get(PATIENTS, headers={"X-Session-Token": token})


def assert_refused(token: str) -> None:
    response = patients(token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'X-Session-Token realm="api"'
    assert "displayName" not in response.content.decode()


def test_a_token_works_until_it_is_left_idle_past_the_limit(ann, clock):
    token = log_in(Client(), ann.user.email)
    clock.shift(timedelta(minutes=29))
    response = patients(token)
    assert response.status_code == 200
    assert response.json()["results"][0]["displayName"] == "Ann Example"

    clock.shift(timedelta(minutes=31))

    assert_refused(token)
    assert not Session.objects.filter(session_key=token).exists(), "an idle token's session is ended"
    # allauth's own app API says the same: the session is gone.
    assert send(Client(), "GET", SESSION, token=token).status_code == 410


def test_using_a_token_keeps_it_until_its_lifetime_ends(ann, clock):
    token = log_in(Client(), ann.user.email)
    for _ in range(24 * 3):  # every 20 minutes for 24 hours
        clock.shift(timedelta(minutes=20))
        assert patients(token).status_code == 200

    clock.shift(timedelta(minutes=1))  # 24 hours and a minute after signing in

    assert_refused(token)


def test_the_lifetime_and_the_idle_limit_are_configured(ann, clock, settings):
    settings.SESSION_TOKEN_MAX_AGE = 2 * 60 * 60
    settings.SESSION_IDLE_TIMEOUT = 10 * 60
    token = log_in(Client(), ann.user.email)
    for _ in range(12):  # every 9 minutes: never idle for 10
        clock.shift(timedelta(minutes=9))
        assert patients(token).status_code == 200
    clock.shift(timedelta(minutes=9))  # 117 minutes
    assert patients(token).status_code == 200

    clock.shift(timedelta(minutes=4))  # 121 minutes

    assert_refused(token)

    other = log_in(Client(), ann.user.email)
    clock.shift(timedelta(minutes=11))
    assert_refused(other)


def test_a_browser_session_id_sent_as_a_token_keeps_the_browsers_idle_limit(ann, clock):
    browser = Client()
    sign_in(browser, ann.user.email)
    session_id = browser.cookies["sessionid"].value
    assert patients(session_id).status_code == 200

    clock.shift(timedelta(minutes=31))

    assert_refused(session_id)
    assert signed_in_email(browser) is None, "and the browser is signed out with it"


def test_a_browser_signed_out_for_idleness_leaves_no_token_behind(ann, clock):
    browser = Client()
    sign_in(browser, ann.user.email)
    session_id = browser.cookies["sessionid"].value
    clock.shift(timedelta(minutes=31))
    assert signed_in_email(browser) is None  # the browser comes back: signed out

    assert_refused(session_id)


def test_a_browser_kept_signed_in_is_not_ended_by_its_id_being_refused_as_a_token(ann, clock):
    browser = Client()
    sign_in(browser, ann.user.email, remember=True)
    session_id = browser.cookies["sessionid"].value
    clock.shift(timedelta(hours=20))
    assert patients(session_id).status_code == 200  # kept signed in: no idle limit

    clock.shift(timedelta(hours=5))

    assert_refused(session_id)  # past the token lifetime
    assert signed_in_email(browser) == ann.user.email


def test_a_busy_token_writes_its_session_at_most_once_a_minute(ann, clock):
    token = log_in(Client(), ann.user.email)
    clock.shift(timedelta(minutes=2))
    writes = []
    for _ in range(6):  # six requests in 50 seconds
        with CaptureQueriesContext(connection) as queries:
            assert patients(token).status_code == 200
        writes.append(
            sum("django_session" in q["sql"] and not q["sql"].startswith("SELECT") for q in queries)
        )
        clock.shift(timedelta(seconds=10))

    assert writes == [1, 0, 0, 0, 0, 0]
