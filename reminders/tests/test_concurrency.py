"""Two requests (or two job runs) at the same moment; see adherence/tests/threads.py for how they race."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import pytest
from django.db.models import Count

from adherence.tests.threads import at_once
from patients.tests.factories import PatientFactory
from reminders import services
from reminders.models import ConfirmationLog, Dose
from reminders.schedule import MaxPerPeriod, Repeat, Schedule, Step

# Sunday 1 March 2026: London is on GMT, so local times equal UTC.
MORNING = datetime.datetime(2026, 3, 1, 8, 10, tzinfo=UTC)
DAY = timedelta(days=1)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock(MORNING - timedelta(hours=2))]


def daily(*times: str) -> Schedule:
    steps = (Step(times=tuple(datetime.time.fromisoformat(at) for at in times), repeat=Repeat(kind="daily")),)
    return Schedule(start_date=datetime.date(2026, 1, 1), steps=steps)


def medication(patient, *times: str):
    return services.medication_create(
        patient=patient, schedule=daily(*times), medication_name="Metformin", dosage="500 mg"
    )


def test_two_confirmations_of_the_same_dose_at_once_make_one_log(clock):
    patients = [PatientFactory() for _ in range(5)]
    reminders = [medication(patient, "08:00") for patient in patients]
    clock.move_to(MORNING)

    # Five doses, each confirmed twice at the same moment (a double tap, or phone and laptop).
    for patient, reminder in zip(patients, reminders, strict=True):
        dose = reminder.doses.get(scheduled_at=datetime.datetime(2026, 3, 1, 8, tzinfo=UTC))
        first, second = at_once(
            [
                lambda dose=dose, user=patient.user: services.dose_confirm(dose=dose, by=user, method="web"),
                lambda dose=dose, user=patient.user: services.dose_confirm(dose=dose, by=user, method="api"),
            ]
        )

        assert first.pk == second.pk
        assert ConfirmationLog.objects.filter(dose=dose).count() == 1
        dose.refresh_from_db()
        assert (dose.status, dose.taken_at) == (Dose.Status.TAKEN, MORNING)


def test_two_as_needed_taps_at_once_make_one_dose(clock):
    patients = [PatientFactory() for _ in range(5)]
    prns = [
        services.medication_create(
            patient=patient,
            schedule=Schedule(
                start_date=datetime.date(2026, 1, 1), as_needed=True, max_per_period=MaxPerPeriod(4, 24)
            ),
            medication_name="Ibuprofen",
            dosage="400 mg",
        )
        for patient in patients
    ]
    clock.move_to(MORNING)

    for patient, prn in zip(patients, prns, strict=True):
        first, second = at_once(
            [
                lambda prn=prn, user=patient.user: services.as_needed_take(
                    reminder=prn, by=user, method="web"
                ),
                lambda prn=prn, user=patient.user: services.as_needed_take(
                    reminder=prn, by=user, method="web"
                ),
            ]
        )

        assert first.pk == second.pk
        assert list(prn.doses.values_list("status", "taken_at")) == [(Dose.Status.TAKEN, MORNING)]
        assert ConfirmationLog.objects.filter(reminder=prn).count() == 1


def test_two_make_doses_runs_at_once_make_no_duplicates(clock):
    clock.move_to(MORNING - DAY)
    reminders = [medication(PatientFactory(), "08:00", "20:00") for _ in range(20)]
    clock.move_to(MORNING)

    at_once([services.doses_make_ahead, services.doses_make_ahead, services.doses_make_ahead])

    # Made on 28 February at 08:10: the 08:00 dose (its window still open) and 7 days on, 15 doses;
    # a day later two more each (7 March 20:00, 8 March 08:00).
    assert Dose.objects.count() == 20 * 17
    duplicates = Dose.objects.values("reminder", "scheduled_at").annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists()
    for reminder in reminders:
        reminder.refresh_from_db()
        assert reminder.doses_until == MORNING + 7 * DAY
    # Nothing is left for another run.
    assert services.doses_make_ahead() == 0
