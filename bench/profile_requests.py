"""Python CPU, statements and the top costs of one request on the hot paths, in-process.

Usage (PostgreSQL; --seed drops and makes the database again, whose name must contain "bench"):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf_bench \\
        .venv/bin/python bench/profile_requests.py --seed --patients 1000
    DATABASE_URL=... .venv/bin/python bench/profile_requests.py --requests 300 --top 25

Production settings (DEBUG off, HTTPS redirect on: requests are sent as HTTPS), the whole
middleware stack through Django's test client in this one process, with:

* POST /api/v1/confirmations/: an app client (X-Session-Token from the headless login)
  confirming a different pending dose each time, of one of 50 signed-in patients;
* GET /api/v1/reminders/: the same clients listing their own three medications;
* GET /healthz, for scale: two statements through the same middleware;
* GET /caring/: the caregiver dashboard of a caregiver linked to 50 patients (browser session).

For each: CPU seconds of this process per request (Python, not the database), the SQL
statements of one request, and with --top N the N costliest functions by cProfile (own time
and cumulative). The end-to-end throughput against gunicorn is measured by wrk, not here.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import pstats
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adherence.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ["DEBUG"] = "0"
warnings.filterwarnings("ignore", message="No directory at")

PASSWORD = "bench-password-1"  # noqa: S105
CAREGIVER = "caregiver@bench.example.org"
SIGNED_IN = 50  # patients with an app client; each confirms its own doses
DASHBOARD_PATIENTS = 50


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", action="store_true", help="Drop, migrate and seed the database first.")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="Timed requests per path.")
    parser.add_argument("--top", type=int, default=0, help="Print the N costliest functions per path.")
    parser.add_argument("--only", choices=["healthz", "post", "get", "dashboard"], action="append")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    if args.seed:
        _fresh_database(url)

    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    # 50 sign-ins from one address in a second: allauth's login limit would refuse them.
    settings.ACCOUNT_RATE_LIMITS = False
    if args.seed:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        _seed(args.patients)

    paths = args.only or ["post", "get", "dashboard"]
    clients = _sign_in()
    for name in paths:
        make = {"healthz": _healthz, "post": _confirm, "get": _list, "dashboard": _dashboard}[name]
        request = make(clients)
        _measure(name, request, args.requests, args.top)


def _fresh_database(url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop {name!r}: the database name must contain 'bench'.")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _seed(count: int) -> None:
    """`count` patients with three medications each (doses for a week), a caregiver of 50 of them."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from accounts.models import User
    from audit.trail import acting_as_system
    from patients.models import CareLink, PatientProfile
    from reminders import services
    from reminders.models import Dose
    from reminders.schedule import Schedule

    started = time.perf_counter()
    zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "UTC"]
    plans = [("Metformin", "500 mg", ["08:00", "20:00"]), ("Lisinopril", "10 mg", ["09:00"])]
    plans.append(("Atorvastatin", "20 mg", ["21:00"]))
    now = timezone.now()
    with acting_as_system("bench seed"):
        caregiver = User.objects.create_user(CAREGIVER, PASSWORD, cares_for_others=True)
        EmailAddress.objects.create(user=caregiver, email=CAREGIVER, verified=True, primary=True)
        for number in range(count):
            email = f"patient{number}@bench.example.org"
            user = User.objects.create_user(email, PASSWORD)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            patient = PatientProfile.objects.create(
                user=user,
                display_name=f"Patient {number:04}",
                phone_number="+447911123456",
                time_zone=zones[number % len(zones)],
            )
            for name, dosage, times in plans:
                schedule = Schedule.from_json(
                    {
                        "start_date": (now - datetime.timedelta(days=30)).date().isoformat(),
                        "steps": [{"times": times, "repeat": {"kind": "daily"}}],
                    }
                )
                reminder = services.medication_create(
                    patient=patient, schedule=schedule, medication_name=name, dosage=dosage
                )
                if number < SIGNED_IN and name == "Metformin":
                    # Doses due now, to confirm one per request.
                    Dose.objects.bulk_create(
                        Dose(
                            reminder=reminder,
                            patient=patient,
                            scheduled_at=now - datetime.timedelta(minutes=minute + 1),
                            window_ends_at=now + datetime.timedelta(days=2),
                            dosage=dosage,
                        )
                        for minute in range(200)
                    )
            # The dashboard's patients are others than those with a backlog of doses due now.
            if SIGNED_IN <= number < SIGNED_IN + DASHBOARD_PATIENTS:
                CareLink.objects.create(
                    patient=patient,
                    caregiver=caregiver,
                    invited_email=CAREGIVER,
                    status=CareLink.Status.ACTIVE,
                    can_confirm_doses=number % 2 == 0,
                    invite_nonce=f"bench-{number}",
                    invite_expires_at=now,
                    responded_at=now,
                )
    print(f"seeded {count} patients in {time.perf_counter() - started:.0f} s", flush=True)


def _sign_in() -> list[tuple[object, str, list[str]]]:
    """App clients of the first patients: (client, session token, their pending doses' objectIds)."""
    from django.test import Client
    from django.utils import timezone

    from reminders.models import Dose

    clients = []
    for number in range(SIGNED_IN):
        client = Client(HTTP_HOST="localhost")
        response = client.post(
            "/_allauth/app/v1/auth/login",
            {"email": f"patient{number}@bench.example.org", "password": PASSWORD},
            content_type="application/json",
            secure=True,
        )
        assert response.status_code == 200, response.content
        token = response.json()["meta"]["session_token"]
        pending = Dose.objects.filter(
            patient__user__email=f"patient{number}@bench.example.org",
            status=Dose.Status.PENDING,
            scheduled_at__lte=timezone.now(),
        ).values_list("object_id", flat=True)
        clients.append((client, token, [str(object_id) for object_id in pending]))
    return clients


def _confirm(clients):
    state = {"turn": 0}

    def request() -> None:
        client, token, pending = clients[state["turn"] % len(clients)]
        state["turn"] += 1
        response = client.post(
            "/api/v1/confirmations/",
            {"dose": pending.pop()},
            content_type="application/json",
            secure=True,
            headers={"X-Session-Token": token},
        )
        assert response.status_code == 201, response.content

    return request


def _list(clients):
    state = {"turn": 0}

    def request() -> None:
        client, token, _ = clients[state["turn"] % len(clients)]
        state["turn"] += 1
        response = client.get("/api/v1/reminders/", secure=True, headers={"X-Session-Token": token})
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == 3, response.content

    return request


def _healthz(clients):
    """For scale: the cheapest page, through the same middleware."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost")

    def request() -> None:
        assert client.get("/healthz").status_code == 200

    return request


def _dashboard(clients):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    response = client.post("/accounts/login/", {"login": CAREGIVER, "password": PASSWORD}, secure=True)
    assert response.status_code == 302, response.content

    def request() -> None:
        response = client.get("/caring/", secure=True)
        assert response.status_code == 200, response.status_code
        request.size = len(response.content)

    return request


def _measure(name: str, request, count: int, top: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(10):
        request()
    with CaptureQueriesContext(connection) as queries:
        request()
    # Kept now: every request begins by emptying the connection's log.
    sql = [query["sql"] for query in queries.captured_queries]
    statements = len(sql)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        request()
    cpu, wall = (time.process_time() - cpu) / count, (time.perf_counter() - wall) / count
    size = getattr(request, "size", None)
    print(
        f"{name:10} {cpu * 1000:6.2f} ms CPU/request, {wall * 1000:6.2f} ms wall, {statements:3} statements"
        + (f", {size / 1024:.0f} KB" if size else ""),
        flush=True,
    )
    if os.environ.get("SHOW_SQL"):
        for statement in sql:
            print("   ", statement[:300], flush=True)
    if top:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(count):
            request()
        profile.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(top)
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])


if __name__ == "__main__":
    main()
