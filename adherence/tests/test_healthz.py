from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from adherence.tasks import heartbeat
from adherence.tests.fresh_process import run_django_script

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_it_reports_a_scheduler_that_has_not_beaten_yet(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "scheduler": {"status": "no heartbeat yet", "last_heartbeat": None, "age_seconds": None},
    }


@pytest.mark.django_db
def test_it_reports_the_age_of_the_last_heartbeat(client):
    with time_machine.travel(T0, tick=False) as clock:
        heartbeat()
        clock.move_to(T0 + timedelta(seconds=90))
        body = client.get("/healthz").json()
    assert body["scheduler"] == {"status": "ok", "last_heartbeat": T0.isoformat(), "age_seconds": 90}


@pytest.mark.django_db
def test_it_calls_a_silent_scheduler_late_but_stays_up(client):
    with time_machine.travel(T0, tick=False) as clock:
        heartbeat()
        clock.move_to(T0 + timedelta(minutes=10))
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["scheduler"]["status"] == "late"
    assert response.json()["scheduler"]["age_seconds"] == 600


@pytest.mark.django_db
def test_it_is_never_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_over_plain_http_when_pages_redirect_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200


# The database going away is real here: a fresh process is pointed at a
# PostgreSQL port nobody listens on, and at an SQLite file that cannot exist.
HEALTHZ = """
response = Client().get("/healthz")
print(json.dumps({"status_code": response.status_code, "body": response.json()}))
"""


@pytest.mark.parametrize(
    "database_url",
    ["postgres://postgres@127.0.0.1:9/nowhere", "sqlite:////nonexistent-directory/adhere.sqlite3"],
    ids=["postgresql-down", "sqlite-unopenable"],
)
def test_it_answers_503_when_the_database_is_unreachable(database_url):
    outcome = run_django_script(
        HEALTHZ, env={"DATABASE_URL": database_url, "DEBUG": "1", "LOG_LEVEL": "CRITICAL"}
    )
    assert outcome == {"status_code": 503, "body": {"status": "error", "database": "unreachable"}}
