"""Dose confirmations per second with the audit trail on and off, several clients at once.

Usage (PostgreSQL; the database, whose name must contain "bench", is dropped
and made again on every run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/adhere_bench \\
        .venv/bin/python bench/audit_throughput.py --clients 8 --doses 3000

Each client is a separate process with its own connection, confirming its
share of pending doses:

* --through web (the default): as a signed-in person taps "Taken" on the
  Today page, an htmx POST to the dose's URL through Django's whole request
  stack (sessions, the access policy, the view, one transaction per request,
  the updated row rendered), with Django's test client in each process, as
  each gunicorn worker would serve it;
* --through service: reminders.services.dose_confirm called directly, the
  bare write path: a compare-and-set UPDATE of the dose and a
  ConfirmationLog INSERT in one transaction.

With the audit trail on, each confirmation also writes its two audit entries
(the dose's change and the new log) in one INSERT in the same transaction. The sealer runs in the
background during the audited rounds, every half second, as its job would.
Rounds alternate off/on and the best of each is printed, with the ratio the
issue asks for (at least 80%).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adherence.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
# The web rounds serve no static files; whitenoise's note about collectstatic is noise here.
warnings.filterwarnings("ignore", message="No directory at")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--doses", type=int, default=3000, help="Confirmations per round.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds of each mode (off, on, off, on, ...).")
    parser.add_argument("--through", choices=["web", "service"], default="web")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is created if missing).")
    _fresh_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results: dict[bool, list[float]] = {False: [], True: []}
    for round_number in range(args.rounds):
        for audited in (False, True):
            settings.AUDIT_ENABLED = audited
            dose_ids, user_id = _seed(args.doses, tag=f"r{round_number}{'a' if audited else 'n'}")
            rate = _run(dose_ids, user_id, clients=args.clients, sealing=audited, through=args.through)
            results[audited].append(rate)
            print(
                f"round {round_number + 1}, audit {'on ' if audited else 'off'}: {rate:8.0f} confirmations/s"
            )
    settings.AUDIT_ENABLED = True
    off, on = max(results[False]), max(results[True])
    print()
    print(
        f"through: {args.through}, clients: {args.clients}, confirmations per round: {args.doses}, "
        f"rounds: {args.rounds}"
    )
    median_off, median_on = statistics.median(results[False]), statistics.median(results[True])
    print(f"without the audit trail: {off:8.0f} confirmations/s (median {median_off:.0f})")
    print(f"with the audit trail:    {on:8.0f} confirmations/s (median {median_on:.0f})")
    print(f"with / without:          {on / off:8.1%}  best of each (the issue asks for at least 80%)")
    print(f"                         {median_on / median_off:8.1%}  medians")
    from audit.integrity import seal, verify

    seal()
    report = verify()
    outcome = "intact" if report.ok else report.problem
    print(f"verify after the run:    {outcome}, {report.checked} entries checked")


def _fresh_database(url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop {name!r}: the benchmark's database name must contain 'bench'.")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _seed(count: int, *, tag: str) -> tuple[list[int], int]:
    """One patient with one medication and `count` pending doses due now."""
    from django.utils import timezone

    from accounts.models import User
    from patients.models import PatientProfile
    from reminders.models import Dose, MedicationReminder
    from reminders.tests.factories import daily

    user = User.objects.create_user(f"bench-{tag}-{time.time_ns()}@example.org", "bench-password")
    patient = PatientProfile.objects.create(
        user=user, display_name="Bench Patient", phone_number="+447911123456", time_zone="Europe/London"
    )
    reminder = MedicationReminder.objects.create(
        patient=patient,
        medication_name="Benchmark",
        dosage="1 tablet",
        schedule=daily("08:00"),
        home_time_zone="Europe/London",
        is_active=False,  # the make-doses job must not touch it
    )
    now = timezone.now()
    doses = [
        Dose(
            reminder=reminder,
            patient=patient,
            scheduled_at=now - datetime.timedelta(seconds=index + 1),
            window_ends_at=now + datetime.timedelta(hours=1),
            dosage="1 tablet",
        )
        for index in range(count)
    ]
    Dose.objects.bulk_create(doses, batch_size=1000)
    ids = list(Dose.objects.filter(reminder=reminder).values_list("pk", flat=True))
    return ids, user.pk


def _client(share: list[int], user_id: int, audited: bool, through: str, start, done) -> None:
    """One client process: confirm each dose of its share, one transaction each."""
    from django.conf import settings
    from django.db import connections

    settings.AUDIT_ENABLED = audited
    connections.close_all()  # never share the parent's connection
    if through == "web":
        _confirm_through_the_web(share, user_id, start)
    else:
        _confirm_through_the_service(share, user_id, start)
    done.wait()
    connections.close_all()


def _confirm_through_the_service(share: list[int], user_id: int, start) -> None:
    from accounts.models import User
    from audit.trail import acting_as, actor_for
    from reminders import services
    from reminders.models import ConfirmationLog, Dose

    user = User.objects.get(pk=user_id)
    with acting_as(actor_for(user)):
        start.wait()
        for dose_id in share:
            dose = Dose.objects.select_related("reminder", "patient").get(pk=dose_id)
            services.dose_confirm(dose=dose, by=user, method=ConfirmationLog.Method.API)


def _confirm_through_the_web(share: list[int], user_id: int, start) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from reminders.models import Dose

    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    user = User.objects.get(pk=user_id)
    client = Client()
    client.force_login(user)
    patient_of = dict(Dose.objects.filter(pk__in=share).values_list("pk", "patient_id"))
    urls = [reverse("reminders:dose_taken", args=[patient_of[dose_id], dose_id]) for dose_id in share]
    start.wait()
    for url in urls:
        # A tap on "Taken" as the Today page makes it: htmx, answered with the updated row.
        response = client.post(url, secure=True, headers={"HX-Request": "true"})
        assert response.status_code == 200, f"{url} answered {response.status_code}"


def _sealer(stop) -> None:
    from django.db import connections

    from audit.integrity import seal

    connections.close_all()
    while not stop.wait(0.5):
        seal()
    connections.close_all()


def _run(dose_ids: list[int], user_id: int, *, clients: int, sealing: bool, through: str) -> float:
    import multiprocessing

    from django.db import connections

    from reminders.models import ConfirmationLog

    context = multiprocessing.get_context("fork")
    shares = [dose_ids[index::clients] for index in range(clients)]
    start, done = context.Barrier(clients + 1), context.Barrier(clients + 1)
    stop_sealing = context.Event()
    connections.close_all()
    workers = [
        context.Process(target=_client, args=(share, user_id, sealing, through, start, done))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    background = context.Process(target=_sealer, args=(stop_sealing,)) if sealing else None
    start.wait()
    began = time.perf_counter()
    if background:
        background.start()
    done.wait()
    elapsed = time.perf_counter() - began
    stop_sealing.set()
    for worker in [*workers, *([background] if background else [])]:
        worker.join()
    confirmed = ConfirmationLog.objects.filter(dose_id__in=dose_ids).count()
    assert confirmed == len(dose_ids), f"{confirmed} of {len(dose_ids)} doses were confirmed"
    return len(dose_ids) / elapsed


if __name__ == "__main__":
    main()
