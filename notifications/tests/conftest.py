"""Fixtures of the notification tests: a clock stopped at 06:00 on 4 March 2026, Ann and her 08:00 pill."""

from __future__ import annotations

import smtplib

import pytest
import time_machine

from notifications.tests.world import FlakyBackend, at, medication
from patients.tests.factories import CareLinkFactory, PatientFactory


@pytest.fixture
def clock():
    with time_machine.travel(at(6), tick=False) as traveller:
        yield traveller


@pytest.fixture
def ann():
    return PatientFactory(display_name="Ann", user__email="ann@example.org", time_zone="Europe/London")


@pytest.fixture
def morning(ann, clock):
    """Ann's 08:00 Metformin, with an hour's grace: missed from 09:00."""
    return medication(ann, "08:00")


@pytest.fixture
def care_team(ann):
    """Anna is told at once, Ben after an hour."""
    anna = CareLinkFactory(patient=ann, caregiver_name="Anna", alert_delay_minutes=0).caregiver
    ben = CareLinkFactory(patient=ann, caregiver_name="Ben", alert_delay_minutes=60).caregiver
    return anna, ben


@pytest.fixture
def server(settings):
    settings.MAILERS = {"default": {"BACKEND": "notifications.tests.world.FlakyBackend"}}
    FlakyBackend.failures = 0
    FlakyBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    FlakyBackend.refuse = frozenset()
    FlakyBackend.on_send = None
    FlakyBackend.sent = []
    FlakyBackend.tries = []
    return FlakyBackend
