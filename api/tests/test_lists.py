"""Lists: paged, filtered, ordered, and holding exactly what the caller may see."""

from __future__ import annotations

import datetime

import pytest

from api.tests.helpers import CONFIRMATIONS, DOSES, PATIENTS, REMINDERS
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.models import Dose
from reminders.tests.factories import DoseFactory, MedicationFactory

T0 = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0), pytest.mark.usefixtures("clock")]


def at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, 0, tzinfo=datetime.UTC)


def make_doses(reminder, count: int) -> list[Dose]:
    """`count` doses an hour apart, the first at midnight on 1 March."""
    return Dose.objects.bulk_create(
        Dose(
            reminder=reminder,
            patient=reminder.patient,
            scheduled_at=at(1, 0) + index * HOUR,
            window_ends_at=at(1, 1) + index * HOUR,
            dosage=reminder.dosage,
        )
        for index in range(count)
    )


# --- Pages -----------------------------------------------------------------------------------------


def test_every_list_is_a_page(ann, ann_api):
    for url in (PATIENTS, REMINDERS, DOSES, CONFIRMATIONS):
        body = ann_api.get(url).json()
        assert list(body) == ["count", "next", "previous", "results"], url
    assert ann_api.get(PATIENTS).json() | {"results": None} == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": None,
    }


def test_a_page_of_one_links_to_the_next_and_back(ann, ann_api):
    doses = make_doses(MedicationFactory(patient=ann), 3)

    first = ann_api.get(f"{DOSES}?pageSize=1").json()
    assert first["count"] == 3
    assert [item["objectId"] for item in first["results"]] == [str(doses[0].object_id)]
    assert first["next"] == "http://testserver/api/v1/doses/?page=2&pageSize=1"
    assert first["previous"] is None

    second = ann_api.get(first["next"].removeprefix("http://testserver")).json()
    assert [item["objectId"] for item in second["results"]] == [str(doses[1].object_id)]
    assert second["previous"] == "http://testserver/api/v1/doses/?pageSize=1"
    assert second["next"] == "http://testserver/api/v1/doses/?page=3&pageSize=1"

    last = ann_api.get(second["next"].removeprefix("http://testserver")).json()
    assert [item["objectId"] for item in last["results"]] == [str(doses[2].object_id)]
    assert last["next"] is None


def test_pages_hold_50_by_default_and_never_more_than_200(ann, ann_api):
    make_doses(MedicationFactory(patient=ann), 205)

    default = ann_api.get(DOSES).json()
    assert (default["count"], len(default["results"])) == (205, 50)

    capped = ann_api.get(f"{DOSES}?pageSize=1000").json()
    assert (capped["count"], len(capped["results"])) == (205, 200)
    assert capped["next"] == "http://testserver/api/v1/doses/?page=2&pageSize=1000"
    rest = ann_api.get("/api/v1/doses/?page=2&pageSize=1000").json()
    assert len(rest["results"]) == 5


@pytest.mark.parametrize("size", ["0", "-5", "many", ""])
def test_a_nonsense_page_size_is_refused_in_words(ann, ann_api, size):
    make_doses(MedicationFactory(patient=ann), 60)

    response = ann_api.get(f"{DOSES}?pageSize={size}")

    assert response.status_code == 400
    assert response.json()["errors"]["pageSize"] == ["A whole number from 1 to 200."]


@pytest.mark.parametrize("page", ["0", "99", "last-but-one", "-1", ""])
def test_a_page_that_does_not_exist_answers_404(ann, ann_api, page):
    make_doses(MedicationFactory(patient=ann), 3)

    response = ann_api.get(f"{DOSES}?page={page}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_page_last_is_the_last_page(ann, ann_api):
    doses = make_doses(MedicationFactory(patient=ann), 3)

    response = ann_api.get(f"{DOSES}?page=last&pageSize=2")

    assert [item["objectId"] for item in response.json()["results"]] == [str(doses[2].object_id)]


# --- Filters and ordering of doses ---------------------------------------------------------------


@pytest.fixture
def timeline(ann):
    """Ann's doses on 1-3 March at 08:00 and 20:00 of two medications, some taken and missed."""
    metformin = MedicationFactory(patient=ann, medication_name="Metformin")
    ramipril = MedicationFactory(patient=ann, medication_name="Ramipril")
    doses = {}
    for day in (1, 2, 3):
        for hour in (8, 20):
            doses["metformin", day, hour] = DoseFactory(
                reminder=metformin, scheduled_at=at(day, hour), window_ends_at=at(day, hour) + HOUR
            )
    doses["ramipril", 2, 9] = DoseFactory(
        reminder=ramipril, scheduled_at=at(2, 9), window_ends_at=at(2, 10), status="missed"
    )
    services.dose_confirm(dose=doses["metformin", 1, 8], by=ann.user, method="web", taken_at=at(1, 8))
    services.dose_confirm(dose=doses["metformin", 2, 8], by=ann.user, method="web", taken_at=at(2, 8))
    return {"metformin": metformin, "ramipril": ramipril, **{key: dose for key, dose in doses.items()}}


def scheduled(ann_api, query: str) -> list[str]:
    response = ann_api.get(f"{DOSES}?{query}")
    assert response.status_code == 200, response.content.decode()
    return [(dose["scheduledAt"], dose["status"]) for dose in response.json()["results"]]


def test_doses_come_oldest_first(ann_api, timeline):
    assert scheduled(ann_api, "") == [
        ("2026-03-01T08:00:00Z", "taken"),
        ("2026-03-01T20:00:00Z", "pending"),
        ("2026-03-02T08:00:00Z", "taken"),
        ("2026-03-02T09:00:00Z", "missed"),
        ("2026-03-02T20:00:00Z", "pending"),
        ("2026-03-03T08:00:00Z", "pending"),
        ("2026-03-03T20:00:00Z", "pending"),
    ]


def test_doses_newest_first(ann_api, timeline):
    assert [moment for moment, _ in scheduled(ann_api, "ordering=-scheduledAt")] == [
        "2026-03-03T20:00:00Z",
        "2026-03-03T08:00:00Z",
        "2026-03-02T20:00:00Z",
        "2026-03-02T09:00:00Z",
        "2026-03-02T08:00:00Z",
        "2026-03-01T20:00:00Z",
        "2026-03-01T08:00:00Z",
    ]


def test_doses_from_a_moment_until_before_another(ann_api, timeline):
    assert scheduled(ann_api, "from=2026-03-02T00:00:00Z&to=2026-03-02T20:00:00Z") == [
        ("2026-03-02T08:00:00Z", "taken"),
        ("2026-03-02T09:00:00Z", "missed"),
    ]
    # An offset other than Z is the same moment: 09:00+01:00 is 08:00Z, included from there on.
    assert scheduled(ann_api, "from=2026-03-02T09:00:00%2B01:00&to=2026-03-02T09:00:01Z") == [
        ("2026-03-02T08:00:00Z", "taken"),
        ("2026-03-02T09:00:00Z", "missed"),
    ]


def test_doses_by_status(ann_api, timeline):
    assert scheduled(ann_api, "status=taken") == [
        ("2026-03-01T08:00:00Z", "taken"),
        ("2026-03-02T08:00:00Z", "taken"),
    ]
    assert scheduled(ann_api, "status=missed") == [("2026-03-02T09:00:00Z", "missed")]
    assert scheduled(ann_api, "status=skipped") == []


def test_doses_of_one_medication(ann_api, timeline):
    response = ann_api.get(f"{DOSES}?reminder={timeline['ramipril'].object_id}")

    assert [dose["reminder"] for dose in response.json()["results"]] == [str(timeline["ramipril"].object_id)]


def test_filters_combine(ann_api, timeline):
    query = (
        f"reminder={timeline['metformin'].object_id}&status=pending"
        "&from=2026-03-01T12:00:00Z&to=2026-03-03T12:00:00Z&ordering=-scheduledAt"
    )
    assert scheduled(ann_api, query) == [
        ("2026-03-03T08:00:00Z", "pending"),
        ("2026-03-02T20:00:00Z", "pending"),
        ("2026-03-01T20:00:00Z", "pending"),
    ]


def test_a_filter_on_another_patients_medication_finds_nothing(ann_api, bob, timeline):
    bobs = MedicationFactory(patient=bob)
    DoseFactory(reminder=bobs)

    assert scheduled(ann_api, f"reminder={bobs.object_id}") == []


DATE_FORMAT = ["Give a date and time with its offset, e.g. 2026-11-25T08:00:00Z."]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("from=yesterday", {"from": DATE_FORMAT}),
        ("from=2026-03-02", {"from": DATE_FORMAT}),
        ("from=2026-03-02T08:00:00", {"from": DATE_FORMAT}),
        ("to=2026-13-45T08:00:00Z", {"to": DATE_FORMAT}),
        ("to=2026-02-30T08:00:00Z", {"to": DATE_FORMAT}),
        ("status=lost", {"status": ["One of pending, taken, skipped, missed."]}),
        ("status=TAKEN", {"status": ["One of pending, taken, skipped, missed."]}),
        ("reminder=42", {"reminder": ["Not an objectId."]}),
        ("reminder=not-a-uuid", {"reminder": ["Not an objectId."]}),
    ],
)
def test_bad_filter_values_answer_400_naming_the_filter(ann_api, timeline, query, errors):
    response = ann_api.get(f"{DOSES}?{query}")

    assert response.status_code == 400
    assert response.json() == {"detail": "Some of what was sent is not valid.", "errors": errors}


def test_a_bad_patient_filter_on_reminders_answers_400(ann_api, ann):
    response = ann_api.get(f"{REMINDERS}?patient=ann")

    assert response.status_code == 400
    assert response.json()["errors"] == {"patient": ["Not an objectId."]}


def test_reminders_of_one_patient(ann, ann_api, timeline):
    response = ann_api.get(f"{REMINDERS}?patient={ann.object_id}")

    assert [item["medicationName"] for item in response.json()["results"]] == ["Metformin", "Ramipril"]


# --- What a caregiver's lists hold ----------------------------------------------------------------


@pytest.fixture
def carls_patients(ann, bob, carl):
    """Carl cares for Ann and for Eve (view only); Bob and Fay are patients he has nothing to do with."""
    eve = PatientFactory(display_name="Eve Linked")
    fay = PatientFactory(display_name="Fay Invited")
    CareLinkFactory(patient=eve, caregiver=carl)
    CareLinkFactory(patient=fay, caregiver=carl, status=CareLink.Status.PENDING)
    CareLinkFactory(patient=bob, caregiver=carl, status=CareLink.Status.REVOKED)
    for patient in (ann, bob, eve, fay):
        reminder = MedicationFactory(patient=patient, medication_name=f"Pills of {patient.display_name}")
        dose = DoseFactory(reminder=reminder, scheduled_at=T0 - HOUR)
        services.dose_confirm(dose=dose, by=patient.user, method="web")
    return {"carl": carl, "ann": ann, "bob": bob, "eve": eve, "fay": fay}


def test_a_caregiver_lists_exactly_the_patients_linked_to_them(carls_patients, api_for):
    api = api_for(carls_patients["carl"])
    linked = {str(carls_patients["ann"].object_id), str(carls_patients["eve"].object_id)}

    assert {item["displayName"] for item in api.results(PATIENTS)} == {"Ann Example", "Eve Linked"}
    assert {item["patient"] for item in api.results(REMINDERS)} == linked
    assert {item["medicationName"] for item in api.results(REMINDERS)} == {
        "Pills of Ann Example",
        "Pills of Eve Linked",
    }
    assert {item["patient"] for item in api.results(DOSES)} == linked
    reminders = {str(carls_patients[name].medications.get().object_id) for name in ("ann", "eve")}
    assert {item["reminder"] for item in api.results(CONFIRMATIONS)} == reminders


def test_a_patient_lists_only_themself(carls_patients, api_for):
    api = api_for(carls_patients["bob"].user)

    assert [item["displayName"] for item in api.results(PATIENTS)] == ["Bob Other"]
    assert [item["medicationName"] for item in api.results(REMINDERS)] == ["Pills of Bob Other"]
    assert {item["patient"] for item in api.results(DOSES)} == {str(carls_patients["bob"].object_id)}
    assert len(api.results(CONFIRMATIONS)) == 1


def test_a_caregiver_filtering_by_an_unlinked_patient_gets_nothing(carls_patients, api_for):
    api = api_for(carls_patients["carl"])

    response = api.get(f"{REMINDERS}?patient={carls_patients['bob'].object_id}")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_link_that_ends_empties_the_caregivers_lists_at_once(carls_patients, api_for):
    api = api_for(carls_patients["carl"])
    CareLink.objects.filter(patient=carls_patients["ann"]).update(status=CareLink.Status.LEFT)

    assert [item["displayName"] for item in api.results(PATIENTS)] == ["Eve Linked"]
    assert {item["patient"] for item in api.results(DOSES)} == {str(carls_patients["eve"].object_id)}


def test_a_caregiver_who_is_also_a_patient_sees_themself_and_those_they_care_for(ann, api_for):
    dan = PatientFactory(display_name="Dan Both")
    CareLinkFactory(patient=ann, caregiver=dan.user)

    names = [item["displayName"] for item in api_for(dan.user).results(PATIENTS)]

    assert names == ["Ann Example", "Dan Both"]
