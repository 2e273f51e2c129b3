"""The people and doses the Today page, history and dashboard tests share.

Ann lives in London; Carl cares for her and may confirm doses; Vera may only
look. It is Monday 1 June 2026, 11:00 UTC, which is 12:00 in London (BST).
Each test module stops its clock at NOW and builds the world with make_world().
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from patients.models import PatientProfile
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders.models import Dose
from reminders.tests.factories import DoseFactory, MedicationFactory

NOW = datetime.datetime(2026, 6, 1, 11, 0, tzinfo=UTC)  # Monday, 12:00 in London
TODAY = datetime.date(2026, 6, 1)


@dataclass
class World:
    ann: PatientProfile
    carl: User
    vera: User

    @property
    def today_url(self) -> str:
        return reverse("patients:detail", args=[self.ann.pk])

    def url(self, name: str, *args) -> str:
        return reverse(f"reminders:{name}", args=[self.ann.pk, *args])


def make_world() -> World:
    ann = PatientFactory(display_name="Ann Example", user__email="ann@example.org", time_zone="Europe/London")
    carl = CareLinkFactory(
        patient=ann,
        caregiver=UserFactory(email="carl@example.org", cares_for_others=True),
        caregiver_name="Carl the nurse",
        can_confirm_doses=True,
    ).caregiver
    vera = CareLinkFactory(
        patient=ann, caregiver=UserFactory(email="vera@example.org", cares_for_others=True)
    ).caregiver
    return World(ann=ann, carl=carl, vera=vera)


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
