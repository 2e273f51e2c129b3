"""POST /api/v1/confirmations/: the brief's ConfirmationLog, made by confirming a dose, once."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from api.tests.helpers import CONFIRMATIONS, DOSES, REMINDERS, detail, is_uuid, log_in
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory
from reminders import services
from reminders.models import ConfirmationLog, Dose
from reminders.tests.factories import AsNeededFactory, DoseFactory, MedicationFactory

# Monday 2 March 2026, 08:20 UTC (London is on GMT): the 08:00 dose is due.
T0 = datetime.datetime(2026, 3, 2, 8, 20, tzinfo=datetime.UTC)
T0_JSON = "2026-03-02T08:20:00Z"
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0), pytest.mark.usefixtures("clock")]


@pytest.fixture
def medication(ann):
    return MedicationFactory(patient=ann, medication_name="Metformin")


@pytest.fixture
def dose(medication):
    """The 08:00 dose, due twenty minutes ago; its window closes at 09:00."""
    return DoseFactory(
        reminder=medication, scheduled_at=datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    )


def test_the_patient_confirms_a_dose(ann, ann_api, medication, dose):
    response = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    log = ConfirmationLog.objects.get()
    assert is_uuid(body["objectId"])
    assert body == {
        "objectId": str(log.object_id),
        "reminder": str(medication.object_id),
        "dose": str(dose.object_id),
        "confirmedAt": T0_JSON,
        "confirmedBy": str(ann.user.object_id),
        "role": "patient",
        "method": "api",
        "late": False,
        "undoneAt": None,
        "createdAt": T0_JSON,
        "updatedAt": T0_JSON,
    }
    taken = ann_api.get(detail(DOSES, dose.object_id)).json()
    assert (taken["status"], taken["takenAt"], taken["resolvedAt"]) == ("taken", T0_JSON, T0_JSON)
    assert ann_api.get(detail(REMINDERS, medication.object_id)).json()["isConfirmed"] is True


def test_confirming_again_answers_200_with_the_same_confirmation(ann_api, dose):
    first = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    with time_machine.travel(T0 + 5 * MINUTE, tick=False):
        again = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ConfirmationLog.objects.count() == 1
    listed = ann_api.get(CONFIRMATIONS).json()
    assert listed["count"] == 1
    assert listed["results"][0]["objectId"] == first.json()["objectId"]


def test_a_time_taken_can_be_given(ann_api, dose):
    response = ann_api.post(
        CONFIRMATIONS, {"dose": str(dose.object_id), "confirmedAt": "2026-03-02T08:05:00Z"}
    )

    assert response.status_code == 201
    assert response.json()["confirmedAt"] == "2026-03-02T08:05:00Z"
    assert ann_api.get(detail(DOSES, dose.object_id)).json()["takenAt"] == "2026-03-02T08:05:00Z"


def test_a_dose_taken_after_its_window_is_confirmed_as_late(ann_api, dose):
    with time_machine.travel(T0 + 2 * HOUR, tick=False):
        ann_api.token = log_in(ann_api.client, dose.patient.user.email)  # hours later: signed in again
        response = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 201
    assert response.json()["late"] is True
    assert response.json()["confirmedAt"] == "2026-03-02T10:20:00Z"


def test_a_time_still_to_come_is_refused(ann_api, dose):
    response = ann_api.post(
        CONFIRMATIONS, {"dose": str(dose.object_id), "confirmedAt": "2026-03-02T09:00:00Z"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some of what was sent is not valid.",
        "errors": {"dose": ["That time is still to come. Give the time you took it."]},
    }
    assert Dose.objects.get(pk=dose.pk).status == "pending"
    assert not ConfirmationLog.objects.exists()


def test_a_time_long_before_the_dose_was_due_is_refused(ann_api, dose):
    response = ann_api.post(
        CONFIRMATIONS, {"dose": str(dose.object_id), "confirmedAt": "2026-03-01T12:00:00Z"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "dose": ["That is more than 12 hours before this dose was due. Check the time."]
    }
    assert not ConfirmationLog.objects.exists()


def test_a_skipped_dose_must_be_unskipped_first(ann, ann_api, dose):
    services.dose_skip(dose=dose, by=ann.user, reason="unwell")

    response = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 400
    assert response.json()["errors"] == {"dose": ["This dose was skipped. Undo the skip first."]}
    assert Dose.objects.get(pk=dose.pk).status == "skipped"


def test_another_patients_dose_answers_404(ann_api, bob):
    bobs = DoseFactory(reminder=MedicationFactory(patient=bob), scheduled_at=T0 - 10 * MINUTE)

    response = ann_api.post(CONFIRMATIONS, {"dose": str(bobs.object_id)})

    assert response.status_code == 404
    assert response.json() == {"detail": "No Dose matches the given query."}
    assert Dose.objects.get(pk=bobs.pk).status == "pending"
    assert not ConfirmationLog.objects.exists()


def test_an_unknown_dose_answers_404(ann_api):
    response = ann_api.post(CONFIRMATIONS, {"dose": "7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11"})

    assert response.status_code == 404


def test_a_caregiver_who_may_only_view_is_refused_with_403(vera, api_for, dose):
    response = api_for(vera).post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 403
    assert response.json() == {"detail": "Your link to this patient does not allow confirming doses."}
    assert Dose.objects.get(pk=dose.pk).status == "pending"
    assert not ConfirmationLog.objects.exists()


def test_a_caregiver_whose_link_allows_confirms_as_caregiver(carl, api_for, ann_api, dose):
    response = api_for(carl).post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert (body["role"], body["confirmedBy"], body["method"]) == ("caregiver", str(carl.object_id), "api")
    assert Dose.objects.get(pk=dose.pk).status == "taken"
    # The patient sees the same confirmation, and confirming again changes nothing.
    again = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})
    assert again.status_code == 200
    assert again.json() == body


def test_a_caregiver_whose_link_ended_sees_no_dose(carl, api_for, dose):
    link = CareLink.objects.get(caregiver=carl)
    api = api_for(carl)
    link.status = CareLink.Status.REVOKED
    link.save()

    response = api.post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 404
    assert not ConfirmationLog.objects.exists()


def test_a_pending_invitation_grants_nothing(ann, api_for, dose):
    invited = CareLinkFactory(patient=ann, status=CareLink.Status.PENDING, can_confirm_doses=True).caregiver

    response = api_for(invited).post(CONFIRMATIONS, {"dose": str(dose.object_id)})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"dose": "not-a-uuid"}, {"dose": ["Must be a valid UUID."]}),
        ({"dose": ["7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11"]}, {"dose": ["Must be a valid UUID."]}),
        ({"dose": None}, {"dose": ["This field may not be null."]}),
        ({}, {"dose": ["Give the dose that was taken, or the medication (reminder) whose dose is due now."]}),
        (
            {"dose": "7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11", "confirmedAt": "yesterday"},
            {
                "confirmedAt": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
    ],
    ids=["malformed uuid", "a list", "null", "nothing", "a bad time"],
)
def test_a_malformed_confirmation_answers_400(ann_api, dose, payload, errors):
    response = ann_api.post(CONFIRMATIONS, payload)

    assert response.status_code == 400
    assert response.json() == {"detail": "Some of what was sent is not valid.", "errors": errors}
    assert not ConfirmationLog.objects.exists()


def test_a_confirmation_cannot_be_changed_or_deleted(ann_api, dose):
    made = ann_api.post(CONFIRMATIONS, {"dose": str(dose.object_id)}).json()

    for method in ("PUT", "PATCH", "DELETE"):
        response = ann_api.request(method, detail(CONFIRMATIONS, made["objectId"]), {"confirmedAt": T0_JSON})
        assert response.status_code == 405, method
    assert ConfirmationLog.objects.get().undone_at is None


def test_confirmations_are_listed_newest_first(ann_api, medication):
    older = DoseFactory(reminder=medication, scheduled_at=T0 - 4 * HOUR)
    newer = DoseFactory(reminder=medication, scheduled_at=T0 - HOUR)
    ann_api.post(CONFIRMATIONS, {"dose": str(older.object_id), "confirmedAt": "2026-03-02T04:30:00Z"})
    ann_api.post(CONFIRMATIONS, {"dose": str(newer.object_id), "confirmedAt": "2026-03-02T07:30:00Z"})

    results = ann_api.get(CONFIRMATIONS).json()["results"]

    assert [(item["dose"], item["confirmedAt"]) for item in results] == [
        (str(newer.object_id), "2026-03-02T07:30:00Z"),
        (str(older.object_id), "2026-03-02T04:30:00Z"),
    ]


def test_an_undone_as_needed_confirmation_stays_listed_without_its_dose(ann, ann_api):
    reminder = AsNeededFactory(patient=ann, medication_name="Paracetamol")
    log = services.as_needed_take(reminder=reminder, by=ann.user, method="web")
    services.dose_undo(dose=log.dose, by=ann.user)

    response = ann_api.get(detail(CONFIRMATIONS, log.object_id))

    assert response.status_code == 200
    body = response.json()
    assert (body["reminder"], body["dose"], body["undoneAt"]) == (str(reminder.object_id), None, T0_JSON)
    assert ann_api.get(CONFIRMATIONS).json()["count"] == 1


def test_a_confirmation_by_a_deleted_account_has_no_confirmed_by(ann, carl, api_for, dose):
    made = api_for(carl).post(CONFIRMATIONS, {"dose": str(dose.object_id)}).json()
    carl.delete()

    response = api_for(ann.user).get(detail(CONFIRMATIONS, made["objectId"]))

    assert response.status_code == 200
    assert (response.json()["confirmedBy"], response.json()["role"]) == (None, "caregiver")


def test_who_what_and_when_recorded_cannot_be_sent(ann, bob, carl, api_for, medication, dose):
    # (A `reminder` other than the dose's is refused: api/tests/test_brief_shapes.py.)
    bobs_reminder = MedicationFactory(patient=bob)

    response = api_for(carl).post(
        CONFIRMATIONS,
        {
            "dose": str(dose.object_id),
            "objectId": "7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11",
            "patient": str(bob.object_id),
            "confirmedBy": str(ann.user.object_id),
            "role": "patient",
            "method": "link",
            "late": True,
            "undoneAt": T0_JSON,
            "createdAt": "2000-01-01T00:00:00Z",
        },
    )

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["objectId"] != "7d0b6c4e-2f1a-4f55-9a58-0e6a4a3d9b11"
    assert body["reminder"] == str(medication.object_id)
    assert (body["confirmedBy"], body["role"], body["method"]) == (str(carl.object_id), "caregiver", "api")
    assert (body["late"], body["undoneAt"], body["createdAt"]) == (False, None, T0_JSON)
    assert not bobs_reminder.confirmations.exists()
