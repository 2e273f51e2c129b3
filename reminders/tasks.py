"""What django-q2 runs for medications and doses. Thin: the work is in services."""

from __future__ import annotations

import logging

from audit.trail import acting_as_system
from reminders import services

logger = logging.getLogger(__name__)


def make_doses() -> int:
    """Top up dose rows to the horizon for every medication that needs more (decision 1)."""
    with acting_as_system("make doses ahead"):
        made = services.doses_make_ahead()
    if made:
        logger.info("Made %d doses ahead", made)
    return made
