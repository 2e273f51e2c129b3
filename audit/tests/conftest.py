from __future__ import annotations

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from patients.models import PatientProfile
from patients.tests.factories import CareLinkFactory, PatientFactory


@pytest.fixture
def ann() -> PatientProfile:
    return PatientFactory(display_name="Ann Example", user__email="ann@example.org")


@pytest.fixture
def carl(ann) -> User:
    """Carl cares for Ann and may confirm her doses."""
    return CareLinkFactory(
        patient=ann,
        caregiver=UserFactory(email="carl@example.org", cares_for_others=True),
        can_confirm_doses=True,
    ).caregiver
