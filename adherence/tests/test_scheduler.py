from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.scheduler import scheduler

from adherence.models import Heartbeat
from adherence.scheduler import PERIODIC_JOBS, SCHEDULE_PREFIX, PeriodicJob, sync_periodic_jobs
from adherence.tasks import SCHEDULER_HEARTBEAT

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def our_schedules() -> dict[str, tuple[str, int]]:
    rows = Schedule.objects.filter(name__startswith=SCHEDULE_PREFIX)
    return {row.name: (row.func, row.minutes) for row in rows}


def test_it_registers_every_periodic_job_when_migrate_runs():
    # The test database was built by `migrate`, whose post_migrate hook did this.
    assert our_schedules() == {job.schedule_name: (job.func, job.every_minutes) for job in PERIODIC_JOBS}


def test_it_is_safe_to_run_again():
    sync_periodic_jobs()
    sync_periodic_jobs()
    assert Schedule.objects.filter(name__startswith=SCHEDULE_PREFIX).count() == len(PERIODIC_JOBS)


def test_it_updates_a_changed_job_and_removes_one_the_code_dropped():
    sync_periodic_jobs((PeriodicJob("old job", "adherence.tasks.heartbeat", every_minutes=5),))
    changed = (PeriodicJob("old job", "adherence.tasks.heartbeat", every_minutes=2),)
    sync_periodic_jobs(changed)
    assert our_schedules() == {"adhere: old job": ("adherence.tasks.heartbeat", 2)}


def test_it_leaves_schedules_added_in_the_admin_alone():
    Schedule.objects.create(
        name="made by hand", func="adherence.tasks.heartbeat", schedule_type=Schedule.DAILY
    )
    sync_periodic_jobs(())
    assert Schedule.objects.filter(name="made by hand").exists()
    assert our_schedules() == {}


def test_the_q2_scheduler_runs_the_heartbeat_every_minute(monkeypatch):
    # Run django-q2's own scheduler loop; SYNC makes it execute each task it
    # enqueues at once instead of handing it to a worker process.
    monkeypatch.setattr(Conf, "SYNC", True)
    broker = get_broker()
    with time_machine.travel(T0, tick=False) as clock:
        Schedule.objects.filter(name__startswith=SCHEDULE_PREFIX).update(next_run=T0 - timedelta(seconds=1))
        scheduler(broker=broker)
        assert Heartbeat.objects.get(name=SCHEDULER_HEARTBEAT).beat_at == T0

        clock.move_to(T0 + timedelta(seconds=30))
        scheduler(broker=broker)
        assert Heartbeat.objects.get(name=SCHEDULER_HEARTBEAT).beat_at == T0, "ran before it was due"

        clock.move_to(T0 + timedelta(seconds=61))
        scheduler(broker=broker)
        assert Heartbeat.objects.get(name=SCHEDULER_HEARTBEAT).beat_at == T0 + timedelta(seconds=61)
