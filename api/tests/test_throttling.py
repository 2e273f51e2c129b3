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
        "api.throttling.AnonRateThrottle",
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


# --- Behind proxies (issue 21, item 8): X-Forwarded-For is believed only as far as NUM_PROXIES --------


def schema_as(client: Client, forwarded_for: str | None, remote: str = "198.51.100.7") -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.get("/api/schema/", headers=headers, REMOTE_ADDR=remote).status_code


def test_with_no_proxy_a_made_up_forwarded_for_does_not_escape_the_anonymous_limit(rates, settings):
    settings.NUM_PROXIES = 0
    client = Client()

    statuses = [schema_as(client, f"203.0.113.{n}") for n in range(1, 4)]

    assert statuses == [200, 200, 429]
    # The limit is the connection's address: another one has its own.
    assert schema_as(client, None, remote="198.51.100.8") == 200


def test_behind_one_proxy_the_address_it_appended_is_the_client(rates, settings):
    settings.NUM_PROXIES = 1
    client = Client()

    # The client made up the first entry each time; our proxy appended the real address last.
    statuses = [schema_as(client, f"10.0.0.{n}, 203.0.113.5", remote="10.1.1.1") for n in range(1, 4)]

    assert statuses == [200, 200, 429]
    # Another client behind the same proxy is counted apart.
    assert schema_as(client, "10.0.0.1, 203.0.113.6", remote="10.1.1.1") == 200


def test_behind_one_proxy_a_request_without_forwarded_for_is_counted_by_its_connection(rates, settings):
    settings.NUM_PROXIES = 1
    client = Client()

    assert [schema_as(client, None) for _ in range(3)] == [200, 200, 429]
    assert schema_as(client, "not an address", remote="198.51.100.7") == 429


def logins(client: Client, addresses: list[str | None], remote: str = "198.51.100.7") -> list[int]:
    statuses = []
    for address in addresses:
        headers = {"X-Forwarded-For": address} if address else {}
        response = client.post(
            "/_allauth/app/v1/auth/login",
            {"email": "nobody@example.org", "password": "wrong password"},
            content_type="application/json",
            headers=headers,
            REMOTE_ADDR=remote,
        )
        statuses.append(response.status_code)
    return statuses


def test_with_no_proxy_a_made_up_forwarded_for_does_not_escape_the_sign_in_rate_limit(settings):
    settings.NUM_PROXIES = 0
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}

    statuses = logins(Client(), ["203.0.113.1", "203.0.113.2", "203.0.113.3"])

    assert statuses == [400, 400, 429]


def test_behind_one_proxy_the_sign_in_rate_limit_is_per_client(settings):
    settings.NUM_PROXIES = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    client = Client()

    assert logins(client, ["1.1.1.1, 203.0.113.5", "2.2.2.2, 203.0.113.5", "203.0.113.5"]) == [
        400,
        400,
        429,
    ]
    assert logins(client, ["203.0.113.6"]) == [400]
