from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last time the scheduler ran a job of its own.

    The heartbeat job (adherence.tasks.heartbeat) touches this row every
    minute, so its age is how long the q2 cluster has been silent; /healthz
    reports it. One row per name keeps it a single indexed lookup.
    """

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
