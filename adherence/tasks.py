"""What django-q2 runs for the project itself. Thin: the work lives elsewhere."""

from __future__ import annotations

from django.utils import timezone

from adherence.models import Heartbeat

SCHEDULER_HEARTBEAT = "scheduler"


def heartbeat() -> None:
    Heartbeat.objects.update_or_create(name=SCHEDULER_HEARTBEAT, defaults={"beat_at": timezone.now()})
