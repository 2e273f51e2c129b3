"""Per-user throttling: the N+1th call within the period answers 429, for that user only.

DRF reads DEFAULT_THROTTLE_RATES once, into SimpleRateThrottle.THROTTLE_RATES, when
rest_framework.throttling is imported; overriding the setting later changes nothing, so the
tests set the class attribute (monkeypatch puts it back).
"""

from __future__ import annotations

import time

import pytest
import time_machine
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from api.tests.helpers import DOSES, PATIENTS, REMINDERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "2/minute"})


def test_the_settings_name_a_user_and_an_anonymous_rate(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "api.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ]
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {"user", "anon"}


def test_the_fourth_call_in_a_minute_answers_429(rates, ann_api):
    statuses = [ann_api.get(url).status_code for url in (PATIENTS, REMINDERS, DOSES)]
    assert statuses == [200, 200, 200]

    refused = ann_api.get(PATIENTS)

    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Writes count too, and are refused before anything is done.
    assert ann_api.post(REMINDERS, {"medicationName": "x"}).status_code == 429


def test_the_limit_is_per_user(rates, ann_api, bob, api_for):
    for _ in range(3):
        ann_api.get(PATIENTS)
    assert ann_api.get(PATIENTS).status_code == 429

    bob_api = api_for(bob.user)
    assert bob_api.get(PATIENTS).status_code == 200


def test_a_users_limit_holds_across_their_devices(rates, ann, ann_api, api_for):
    tablet = api_for(ann.user)
    for _ in range(3):
        ann_api.get(PATIENTS)

    assert tablet.get(PATIENTS).status_code == 429


def test_the_limit_lifts_after_the_period(rates, ann_api):
    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(3):
            assert ann_api.get(PATIENTS).status_code == 200
        assert ann_api.get(PATIENTS).status_code == 429
        clock.shift(61)
        assert ann_api.get(PATIENTS).status_code == 200


def test_anonymous_callers_are_limited_on_the_public_schema(rates):
    client = Client()

    statuses = [client.get("/api/schema/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
