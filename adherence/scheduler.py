"""The one place where periodic jobs are registered.

Each entry becomes a django-q2 Schedule row when `migrate` runs (see
AdherenceConfig.ready), so nobody adds schedules by hand in the admin. A
feature that needs a periodic job adds one line to PERIODIC_JOBS. Rows this
module made and the code no longer lists are removed; schedules someone
added in the admin (without the prefix) are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

SCHEDULE_PREFIX = "adhere: "


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: str  # dotted path of a function in some app's tasks.py
    every_minutes: int

    @property
    def schedule_name(self) -> str:
        return SCHEDULE_PREFIX + self.name


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("scheduler heartbeat", "adherence.tasks.heartbeat", every_minutes=1),
    PeriodicJob("make doses ahead", "reminders.tasks.make_doses", every_minutes=60),
    PeriodicJob("seal the audit trail", "audit.tasks.seal_trail", every_minutes=1),
    PeriodicJob("send due reminders", "notifications.tasks.send_due_reminders", every_minutes=1),
    PeriodicJob("sweep missed doses", "notifications.tasks.sweep_missed_doses", every_minutes=1),
    PeriodicJob("deliver notifications", "notifications.tasks.deliver_notifications", every_minutes=1),
)


def sync_periodic_jobs(
    jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS, *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Make the Schedule table say exactly what `jobs` says. Safe to run again."""
    from django_q.models import Schedule

    with transaction.atomic(using=using):
        ours = {
            schedule.name: schedule
            for schedule in Schedule.objects.using(using).filter(name__startswith=SCHEDULE_PREFIX)
        }
        for job in jobs:
            schedule = ours.pop(job.schedule_name, None)
            if schedule is None:
                Schedule.objects.using(using).create(
                    name=job.schedule_name,
                    func=job.func,
                    schedule_type=Schedule.MINUTES,
                    minutes=job.every_minutes,
                    repeats=-1,
                    next_run=timezone.now(),
                )
            elif (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) != (
                job.func,
                Schedule.MINUTES,
                job.every_minutes,
                -1,
            ):
                schedule.func = job.func
                schedule.schedule_type = Schedule.MINUTES
                schedule.minutes = job.every_minutes
                schedule.repeats = -1
                schedule.save(using=using)
        for stale in ours.values():
            stale.delete()


def register_periodic_jobs(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver; does nothing until django-q2's tables exist."""
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return
    sync_periodic_jobs(using=using)
