"""Fixtures of the notification tests: a clock stopped at 06:00 on 4 March 2026, Ann and her 08:00 pill."""

from __future__ import annotations

import pytest
import time_machine

from notifications.tests.world import at, medication
from patients.tests.factories import PatientFactory


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
