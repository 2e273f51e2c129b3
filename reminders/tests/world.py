"""The moment and the doses the Today page, history and dashboard tests share.

It is Monday 1 June 2026, 11:00 UTC, which is 12:00 in London (BST): each test module
stops the clock there (`pytest.mark.clock(NOW)`). The people (the `world` fixture: Ann in
London, Carl who may confirm her doses, Vera who may only look) are the project's, from
adherence/tests/world.py through the root conftest.py.
"""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reminders.models import Dose
from reminders.tests.factories import DoseFactory, MedicationFactory

NOW = datetime.datetime(2026, 6, 1, 11, 0, tzinfo=UTC)  # Monday, 12:00 in London
TODAY = datetime.date(2026, 6, 1)


def local(patient, day: datetime.date, hhmm: str) -> datetime.datetime:
    """A wall-clock time in the patient's zone, as the UTC instant stored."""
    at = datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm), tzinfo=patient.zone)
    return at.astimezone(UTC)


def dose_at(medication, hhmm: str, day: datetime.date = TODAY, **fields) -> Dose:
    """A dose of `medication` at a local time, with the usual one-hour window."""
    scheduled_at = local(medication.patient, day, hhmm)
    return DoseFactory(
        reminder=medication,
        scheduled_at=scheduled_at,
        window_ends_at=scheduled_at + timedelta(minutes=medication.grace_minutes),
        **fields,
    )


def taken(medication, hhmm: str, taken_hhmm: str, day: datetime.date = TODAY, **fields) -> Dose:
    at = local(medication.patient, day, taken_hhmm)
    return dose_at(medication, hhmm, day, status=Dose.Status.TAKEN, taken_at=at, resolved_at=at, **fields)


def medication(patient, name: str, **fields):
    return MedicationFactory(patient=patient, medication_name=name, **fields)


def count_queries(client, url: str) -> int:
    client.get(url)  # first request of a session may write to it: warm up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)
