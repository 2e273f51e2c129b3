"""What django-q2 runs for reminders, missed doses and the outbox. Thin: the work is elsewhere."""

from __future__ import annotations

import logging

from audit.trail import acting_as_system
from notifications.delivery import deliver_due
from notifications.due import remind_due
from notifications.sweep import sweep_missed

logger = logging.getLogger(__name__)


def send_due_reminders() -> int:
    with acting_as_system("send due reminders"):
        reminded = remind_due()
    if reminded:
        logger.info("Reminded %d doses", reminded)
    return reminded


def sweep_missed_doses() -> int:
    with acting_as_system("sweep missed doses"):
        marked = sweep_missed()
    if marked:
        logger.info("Marked %d doses missed", marked)
    return marked


def deliver_notifications() -> dict:
    with acting_as_system("deliver notifications"):
        outcomes = deliver_due()
    if outcomes:
        logger.info("Delivered notifications: %s", dict(outcomes))
    return dict(outcomes)
