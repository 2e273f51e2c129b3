"""Fixtures of the notification tests: Ann's 08:00 pill, her care team, a flaky mail server.

The clock (06:00 on Wednesday 4 March 2026 unless a module says otherwise) and Ann are the
project's, in the root conftest.py.
"""

from __future__ import annotations

import smtplib

import pytest

from notifications.management.commands.vapid_keys import new_key_pair
from notifications.tests.world import FlakyBackend, medication
from patients.tests.factories import CareLinkFactory


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


@pytest.fixture
def vapid(settings) -> str:
    """A fresh VAPID key pair in the settings: push is offered. Returns the public key."""
    public, private = new_key_pair()
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_PRIVATE_KEY = private
    return public
