from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from api.tests.helpers import Api, log_in


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, allauth's login rate limits and used TOTP codes all live in the cache."""
    cache.clear()
    yield
    cache.clear()


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
