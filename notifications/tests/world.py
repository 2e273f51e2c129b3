"""What the notification tests share: Wednesday 4 March 2026, and medications made as the app makes them.

London is on GMT that day, so its local times equal UTC. The fixtures (clock, ann, morning) are in
conftest.py beside this module.
"""

from __future__ import annotations

import datetime
import smtplib
from datetime import UTC, timedelta

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from notifications.models import Channel, Notification
from reminders import services
from reminders.models import Dose, MedicationReminder
from reminders.schedule import Schedule
from reminders.tests.factories import daily

DAY = datetime.date(2026, 3, 4)
MINUTE = timedelta(minutes=1)


def at(hour: int, minute: int = 0, day: datetime.date = DAY) -> datetime.datetime:
    """An instant on 4 March 2026 (or `day`), UTC (and London time)."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UTC)


def medication(patient, *times: str, grace: int = 60, name: str = "Metformin") -> MedicationReminder:
    """A daily 500 mg medication made as the app makes it, with its doses."""
    return services.medication_create(
        patient=patient,
        schedule=Schedule.from_json(daily(*times, start=datetime.date(2026, 1, 1))),
        medication_name=name,
        dosage="500 mg",
        grace_minutes=grace,
    )


def dose_at(reminder: MedicationReminder, instant: datetime.datetime) -> Dose:
    return reminder.doses.get(scheduled_at=instant)


def told(user, channel: str = Channel.IN_APP) -> list[tuple[str, str]]:
    """What the person was told by this channel, oldest first: (kind, title)."""
    return list(
        Notification.objects.filter(recipient=user, channel=channel)
        .order_by("created_at", "pk")
        .values_list("kind", "title")
    )


class FlakyBackend(BaseEmailBackend):
    """A mail server that drops the connection `failures` times, then accepts.

    What it accepted is in `sent`; `tries` is when each attempt was made and to whom.
    `on_send`, when set, runs during a send (another worker running meanwhile).
    """

    failures = 0
    error: BaseException = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    refuse: frozenset[str] = frozenset()
    on_send = None
    sent: list = []
    tries: list = []

    def send_messages(self, messages):
        cls = type(self)
        for message in messages:
            cls.tries.append((timezone.now(), message.to[0]))
            if cls.on_send is not None:
                cls.on_send()
            if message.to[0] in cls.refuse:
                raise cls.error
            if cls.failures > 0:
                cls.failures -= 1
                raise cls.error
            message.message()  # headers are valid
            cls.sent.append(message)
        return len(messages)
