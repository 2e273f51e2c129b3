"""The hot paths run a fixed number of statements, whatever the data (issue 22)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import RateLimit
from api.tests.helpers import CONFIRMATIONS, REMINDERS
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders.models import ConfirmationLog, Dose
from reminders.tests.factories import DoseFactory, MedicationFactory

T0 = datetime.datetime(2026, 3, 2, 8, 20, tzinfo=datetime.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0), pytest.mark.usefixtures("clock")]


def _due_doses(patient, count: int) -> list[Dose]:
    medication = MedicationFactory(patient=patient)
    return [
        DoseFactory(reminder=medication, scheduled_at=T0 - datetime.timedelta(minutes=minute + 1))
        for minute in range(count)
    ]


# A patient's confirmation: the session, its user, the rate limit, then in one transaction the
# dose with its medication and patient, the compare-and-set update, the log and one INSERT of
# both audit entries, the caregivers who asked to be told of it (notifications/confirmations.py);
# inside the test's transaction, the action's and the service's savepoints.
CONFIRM_STATEMENTS = 12


def test_it_confirms_a_dose_in_a_fixed_number_of_statements(ann, ann_api, django_assert_num_queries):
    first, *others = _due_doses(ann, 20)
    for dose in others[:10]:
        assert ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)}).status_code == 201

    with django_assert_num_queries(CONFIRM_STATEMENTS):
        response = ann_api.post(CONFIRMATIONS, {"dose": str(first.object_id)})

    assert response.status_code == 201
    assert response.json()["dose"] == str(first.object_id)
    assert ConfirmationLog.objects.filter(dose=first).count() == 1


def test_it_answers_a_second_confirmation_in_as_few(ann, ann_api, django_assert_num_queries):
    (dose,) = _due_doses(ann, 1)
    created = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)}).json()

    # The standing log is read instead of one written, and nobody is told again: one fewer.
    with django_assert_num_queries(CONFIRM_STATEMENTS - 1):
        again = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert again.status_code == 200
    assert again.json() == created


def test_it_lists_one_or_twenty_reminders_in_the_same_statements(ann, ann_api, django_assert_num_queries):
    MedicationFactory(patient=ann, medication_name="Pill 00")
    with CaptureQueriesContext(connection) as queries:
        one = ann_api.get(REMINDERS)
    for number in range(1, 20):
        MedicationFactory(patient=ann, medication_name=f"Pill {number:02}")

    with django_assert_num_queries(len(queries.captured_queries)):
        twenty = ann_api.get(REMINDERS)

    assert [row["medicationName"] for row in one.json()["results"]] == ["Pill 00"]
    assert len(twenty.json()["results"]) == 20
    assert twenty.json()["count"] == 20
    # The session, its user, the rate limit and the page (savepoints aside): no COUNT for a list
    # that fits on one page.
    assert not any("COUNT(" in query["sql"] for query in queries.captured_queries)


def _others(count: int, caregiver=None) -> None:
    """`count` more patients, each with a medication and ten doses due; linked to `caregiver` if given."""
    for _ in range(count):
        patient = PatientFactory()
        _due_doses(patient, 10)
        if caregiver is not None:
            CareLinkFactory(patient=patient, caregiver=caregiver, can_confirm_doses=True)


@pytest.mark.parametrize("others", [0, 30])
def test_a_confirmation_costs_the_same_with_1_or_31_patients(others, ann, ann_api, django_assert_num_queries):
    _others(others)
    doses = _due_doses(ann, 1 + others)

    with django_assert_num_queries(CONFIRM_STATEMENTS):
        response = ann_api.post(CONFIRMATIONS, {"dose": str(doses[0].object_id)})

    assert response.status_code == 201
    assert Dose.objects.get(pk=doses[0].pk).status == Dose.Status.TAKEN


# A caregiver's confirmation: one statement more than the patient's, for their care link.
@pytest.mark.parametrize("others", [0, 30])
def test_a_caregivers_confirmation_costs_the_same_whatever_they_care_for(
    others, ann, carl, api_for, django_assert_num_queries
):
    _others(others, caregiver=carl)
    (dose,) = _due_doses(ann, 1)
    carl_api = api_for(carl)

    with django_assert_num_queries(CONFIRM_STATEMENTS + 1):
        response = carl_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 201
    assert ConfirmationLog.objects.get(dose=dose).confirmed_by == carl


# The session, its user, the rate limit and the page: a read has no BEGIN/COMMIT of its own.
LIST_STATEMENTS = 4


@pytest.mark.parametrize(("others", "medications"), [(0, 1), (30, 20)])
def test_the_reminder_list_costs_the_same_whatever_the_data(
    others, medications, ann, ann_api, django_assert_num_queries
):
    _others(others)
    for number in range(medications):
        MedicationFactory(patient=ann, medication_name=f"Pill {number:02}")

    with django_assert_num_queries(LIST_STATEMENTS):
        response = ann_api.get(REMINDERS)

    assert [row["medicationName"] for row in response.json()["results"]] == [
        f"Pill {number:02}" for number in range(medications)
    ]


def test_it_keeps_one_rate_limit_row_per_user(ann, ann_api, bob, api_for):
    for _ in range(3):
        ann_api.get(REMINDERS)
    api_for(bob.user).get(REMINDERS)

    assert RateLimit.objects.count() == 2
    assert RateLimit.objects.get(caller=f"throttle_user_{ann.user.pk}").used_until > T0.timestamp()
