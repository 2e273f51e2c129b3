from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from patients.tests.factories import PatientFactory
from reminders.models import Dose, MedicationReminder
from reminders.schedule import MaxPerPeriod, Repeat, Schedule, Step


def daily(*times: str, start: datetime.date | None = None, **fields) -> dict:
    """A schedule's JSON: every day at these local times ("08:00"), from `start` (default: a year ago)."""
    start = start or datetime.date.today() - datetime.timedelta(days=365)
    steps = (Step(times=tuple(datetime.time.fromisoformat(at) for at in times), repeat=Repeat(kind="daily")),)
    return Schedule(start_date=start, steps=steps, **fields).to_json()


class MedicationFactory(factory.django.DjangoModelFactory):
    """A daily 08:00 medication, without doses (DoseFactory or services.doses_rebuild make them)."""

    class Meta:
        model = MedicationReminder

    patient = factory.SubFactory(PatientFactory)
    medication_name = factory.Sequence(lambda n: f"Medicine{n}")
    dosage = "1 tablet"
    schedule = factory.LazyFunction(lambda: daily("08:00"))
    home_time_zone = factory.LazyAttribute(lambda reminder: reminder.patient.time_zone)


class AsNeededFactory(MedicationFactory):
    schedule = factory.LazyFunction(
        lambda: Schedule(
            start_date=datetime.date(2020, 1, 1),
            as_needed=True,
            max_per_period=MaxPerPeriod(count=4, hours=24),
        ).to_json()
    )


class DoseFactory(factory.django.DjangoModelFactory):
    """A pending dose due in an hour, with the medication's one-hour window."""

    class Meta:
        model = Dose

    reminder = factory.SubFactory(MedicationFactory)
    patient = factory.LazyAttribute(lambda dose: dose.reminder.patient)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=1))
    window_ends_at = factory.LazyAttribute(lambda dose: dose.scheduled_at + datetime.timedelta(minutes=60))
    dosage = factory.LazyAttribute(lambda dose: dose.reminder.dosage)


# What a person types into the medication form: Metformin 500 mg, every day at 08:00.
MEDICATION_FORM = {
    "medication_name": "Metformin",
    "dosage": "500 mg",
    "instructions": "with food",
    "kind": "scheduled",
    "repeat": "daily",
    "time_1": "08:00",
    "start_date": "2026-06-01",
    "end": "none",
    "grace_minutes": "60",
    "time_zone_mode": "local",
}


def medication_form(**changes) -> dict:
    """The medication form as typed, with these fields changed (None: left empty)."""
    data = {**MEDICATION_FORM, **changes}
    return {name: value for name, value in data.items() if value is not None}
