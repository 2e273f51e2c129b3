"""reminders.selectors.dose_due_now: which dose "I took my medication" means (issue 13).

The rule, in its docstring: the earliest pending dose whose window is open; else the nearest dose
within 12 hours either side, so a dose not yet due is meant only when no dose is nearer; a
resolved dose that is meant is answered again rather than reaching for the next one.
Doses here: 08:00 and 12:00 UTC on Wednesday 4 March 2026, each with a one-hour window.
"""

from __future__ import annotations

import datetime

import pytest

from reminders.models import Dose
from reminders.selectors import dose_due_now
from reminders.tests.factories import AsNeededFactory, DoseFactory, MedicationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(hour: int, minute: int = 0, day: int = 4) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def due_medication(ann):
    return MedicationFactory(patient=ann)


@pytest.fixture
def dose_at_eight(due_medication):
    return DoseFactory(reminder=due_medication, scheduled_at=at(8))


@pytest.fixture
def dose_at_noon(due_medication):
    return DoseFactory(reminder=due_medication, scheduled_at=at(12))


def test_the_dose_whose_window_is_open(due_medication, dose_at_eight, dose_at_noon):
    assert dose_due_now(due_medication, at(8, 20)) == dose_at_eight


def test_an_open_dose_already_taken_is_answered_again_not_the_next(
    due_medication, dose_at_eight, dose_at_noon
):
    Dose.objects.filter(pk=dose_at_eight.pk).update(status=Dose.Status.TAKEN, taken_at=at(8, 5))

    assert dose_due_now(due_medication, at(8, 20)) == dose_at_eight


def test_of_two_open_windows_the_earliest_pending(due_medication):
    first = DoseFactory(reminder=due_medication, scheduled_at=at(8), window_ends_at=at(10))
    second = DoseFactory(reminder=due_medication, scheduled_at=at(8, 30), window_ends_at=at(10))

    assert dose_due_now(due_medication, at(8, 40)) == first
    Dose.objects.filter(pk=first.pk).update(status=Dose.Status.TAKEN)
    assert dose_due_now(due_medication, at(8, 40)) == second
    Dose.objects.filter(pk=second.pk).update(status=Dose.Status.TAKEN)
    assert dose_due_now(due_medication, at(8, 40)) == second


def test_an_open_window_wins_over_a_nearer_dose_not_yet_due(due_medication):
    open_one = DoseFactory(reminder=due_medication, scheduled_at=at(8), window_ends_at=at(12))
    DoseFactory(reminder=due_medication, scheduled_at=at(11, 30))

    assert dose_due_now(due_medication, at(11)) == open_one


def test_with_no_window_open_a_late_dose_nearer_than_the_next(due_medication, dose_at_eight, dose_at_noon):
    assert dose_due_now(due_medication, at(9, 30)) == dose_at_eight  # 1.5 hours late, 2.5 hours early


def test_a_dose_not_yet_due_is_meant_only_when_it_is_the_nearest(due_medication, dose_at_eight, dose_at_noon):
    assert dose_due_now(due_medication, at(11)) == dose_at_noon  # 3 hours late, 1 hour early


def test_a_tie_means_the_earlier_dose(due_medication, dose_at_eight, dose_at_noon):
    assert dose_due_now(due_medication, at(10)) == dose_at_eight


def test_a_nearest_dose_already_taken_is_answered_again(due_medication, dose_at_eight, dose_at_noon):
    Dose.objects.filter(pk=dose_at_eight.pk).update(status=Dose.Status.TAKEN, taken_at=at(9, 10))

    assert dose_due_now(due_medication, at(9, 15)) == dose_at_eight


def test_the_next_dose_alone_within_12_hours_is_meant(due_medication, dose_at_noon):
    assert dose_due_now(due_medication, at(0, 1)) == dose_at_noon
    assert dose_due_now(due_medication, at(23, 59, day=3)) is None  # 12 hours and a minute ahead


def test_nothing_within_12_hours_either_side(due_medication, dose_at_eight):
    assert dose_due_now(due_medication, at(20, 1)) is None
    assert dose_due_now(due_medication, at(20)) == dose_at_eight  # a late dose, 12 hours on


def test_another_medications_doses_are_not_meant(ann, due_medication, dose_at_eight):
    other = MedicationFactory(patient=ann)

    assert dose_due_now(other, at(8, 20)) is None


def test_an_as_needed_medication_has_no_dose_due(ann):
    painkiller = AsNeededFactory(patient=ann)
    DoseFactory(reminder=painkiller, scheduled_at=at(8), as_needed=True, status=Dose.Status.TAKEN)

    assert dose_due_now(painkiller, at(8, 5)) is None
