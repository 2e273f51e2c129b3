"""Running a periodic job in a test, as the scheduler runs it: its registered function, by name."""

from __future__ import annotations

from django.utils.module_loading import import_string

from adherence.scheduler import PERIODIC_JOBS


def run_job(name: str):
    """Run the periodic job called `name` (see adherence/scheduler.py) now, and return its result."""
    job = next(job for job in PERIODIC_JOBS if job.name == name)
    return import_string(job.func)()
