from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.tests.factories import UserFactory
from api.tests.helpers import Api, log_in
from patients.models import PatientProfile
from patients.tests.factories import CareLinkFactory, PatientFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, allauth's login rate limits and used TOTP codes all live in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ann(db) -> PatientProfile:
    return PatientFactory(display_name="Ann Example", user__email="ann@example.org")


@pytest.fixture
def bob(db) -> PatientProfile:
    """Another patient, who nobody in these tests is linked to."""
    return PatientFactory(display_name="Bob Other", user__email="bob@example.org")


@pytest.fixture
def api_for(db) -> Callable[..., Api]:
    """api_for(user): a fresh app client, signed in through the headless login."""

    def make(user) -> Api:
        client = Client()
        return Api(client, log_in(client, user.email))

    return make


@pytest.fixture
def ann_api(ann, api_for) -> Api:
    return api_for(ann.user)


@pytest.fixture
def carl(ann):
    """Carl cares for Ann; his link lets him view only."""
    return CareLinkFactory(patient=ann, caregiver=UserFactory(email="carl@example.org")).caregiver


@pytest.fixture
def cara(ann):
    """Cara cares for Ann; her link lets her confirm doses."""
    return CareLinkFactory(
        patient=ann, caregiver=UserFactory(email="cara@example.org"), can_confirm_doses=True
    ).caregiver
