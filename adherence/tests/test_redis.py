"""With REDIS_URL set, the cache and the django-q2 broker move to Redis."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from adherence.tests.fresh_process import run_django_script

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")

ROUND_TRIP = """
import uuid
from django.conf import settings
from django.core.cache import cache
from django_q.brokers import get_broker
from django_q.tasks import async_task
from django_q.signing import SignedPackage

marker = uuid.uuid4().hex
cache.set("adhere-ci-check", marker, 30)
broker = get_broker()
broker.purge_queue()
async_task("adherence.tasks.heartbeat", task_name=marker, broker=broker)
queued = broker.dequeue()
task = SignedPackage.loads(queued[0][1])
broker.acknowledge(queued[0][0])
print(json.dumps({
    "broker": type(broker).__name__,
    "cache_backend": settings.CACHES["default"]["BACKEND"],
    "cache_round_trip": cache.get("adhere-ci-check") == marker,
    "queued_task": task["name"] == marker and task["func"] == "adherence.tasks.heartbeat",
}))
"""


def redis_is_up() -> bool:
    url = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((url.hostname, url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason=f"No Redis at {REDIS_URL} (set REDIS_TEST_URL).")
def test_the_cache_and_the_task_queue_use_redis_when_it_is_configured():
    outcome = run_django_script(ROUND_TRIP, env={"DEBUG": "1", "REDIS_URL": REDIS_URL})
    assert outcome == {
        "broker": "Redis",
        "cache_backend": "django.core.cache.backends.redis.RedisCache",
        "cache_round_trip": True,
        "queued_task": True,
    }
