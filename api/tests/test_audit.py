"""GET /api/v1/audit/: the caller's own activity, and nobody else's."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from api.tests.helpers import AUDIT, CONFIRMATIONS, DOSES, PATIENTS, REMINDERS, detail, send
from audit.models import AuditEntry
from reminders.models import MedicationReminder
from reminders.tests.factories import DoseFactory, MedicationFactory

T0 = datetime.datetime(2026, 3, 2, 8, 20, tzinfo=datetime.UTC)
SCHEDULE = {"start_date": "2026-03-01", "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}]}

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0), pytest.mark.usefixtures("clock")]


def entries(api) -> list[dict]:
    return api.results(AUDIT)


def test_the_callers_sign_in_and_changes_to_their_data_are_listed_newest_first(ann, ann_api):
    made = ann_api.post(REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": SCHEDULE})
    assert made.status_code == 201
    reminder = MedicationReminder.objects.get()

    listed = entries(ann_api)

    kinds = [(entry["action"], entry["entityType"]) for entry in listed]
    assert ("login", "accounts.User") in kinds
    assert ("create", "reminders.MedicationReminder") in kinds
    assert ("create", "reminders.Dose") in kinds
    sign_in = next(entry for entry in listed if entry["action"] == "login")
    assert sign_in["actor"] == {"type": "user", "label": "ann@example.org"}
    created = next(entry for entry in listed if entry["entityType"] == "reminders.MedicationReminder")
    assert created["payload"]["changes"]["medication_name"] == [None, "Metformin"]
    assert created["entityId"] in (str(reminder.pk), str(reminder.object_id))
    moments = [entry["createdAt"] for entry in listed]
    assert moments == sorted(moments, reverse=True)
    assert all(entry["createdAt"] == "2026-03-02T08:20:00Z" for entry in listed)


def test_another_patients_activity_is_not_listed(ann, bob, ann_api, api_for):
    bob_api = api_for(bob.user)
    bob_api.patch(detail(PATIENTS, bob.object_id), {"displayName": "Bob Secret-Name"})
    bob_api.post(REMINDERS, {"medicationName": "Bobs-Pills", "dosage": "1", "schedule": SCHEDULE})
    assert AuditEntry.objects.filter(patient_id=bob.pk).count() >= 3

    listed = entries(ann_api)

    text = str(listed)
    assert "bob@example.org" not in text
    assert "Bob Secret-Name" not in text
    assert "Bobs-Pills" not in text
    mine = set(AuditEntry.objects.filter(patient_id=ann.pk).values_list("uid", flat=True)) | set(
        AuditEntry.objects.filter(actor_type="user", actor_id=ann.user.pk).values_list("uid", flat=True)
    )
    assert {entry["objectId"] for entry in listed} == {str(uid) for uid in mine}
    assert (
        ann_api.get(detail(AUDIT, AuditEntry.objects.filter(patient_id=bob.pk).first().uid)).status_code
        == 404
    )


def test_a_caregiver_sees_their_own_sign_in_but_not_the_patients_activity(ann, vera, ann_api, api_for):
    ann_api.patch(detail(PATIENTS, ann.object_id), {"displayName": "Ann Private-Change"})

    listed = entries(api_for(vera))

    assert [(entry["action"], entry["actor"]["label"]) for entry in listed] == [("login", "vera@example.org")]


def test_the_audit_trail_cannot_be_written_through_the_api(ann, ann_api):
    entry = AuditEntry.objects.filter(patient_id=ann.pk).first() or AuditEntry.objects.first()

    assert ann_api.post(AUDIT, {"action": "login"}).status_code == 405
    assert ann_api.request("DELETE", detail(AUDIT, entry.uid)).status_code == 405
    assert ann_api.patch(detail(AUDIT, entry.uid), {"action": "view"}).status_code == 405


def test_a_change_through_the_browser_session_names_the_user(ann):
    browser = Client()
    browser.force_login(ann.user)

    send(browser, "PATCH", detail(PATIENTS, ann.object_id), {"displayName": "Ann Browser"})

    change = AuditEntry.objects.get(entity_type="patients.PatientProfile", action="update")
    assert (change.actor_type, change.actor_id, change.actor_label) == (
        "user",
        ann.user.pk,
        "ann@example.org",
    )


def test_a_change_made_with_a_session_token_names_the_user(ann, ann_api):
    ann_api.patch(detail(PATIENTS, ann.object_id), {"displayName": "Ann App"})

    change = AuditEntry.objects.get(entity_type="patients.PatientProfile", action="update")
    assert (change.actor_type, change.actor_id, change.actor_label) == (
        "user",
        ann.user.pk,
        "ann@example.org",
    )


def test_a_caregivers_confirmation_is_in_the_caregivers_own_activity(ann, carl, api_for):
    dose = DoseFactory(
        reminder=MedicationFactory(patient=ann), scheduled_at=T0 - datetime.timedelta(minutes=20)
    )
    api = api_for(carl)
    assert api.post(CONFIRMATIONS, {"dose": str(dose.object_id)}).status_code == 201

    listed = entries(api)

    assert ("create", "reminders.ConfirmationLog") in [
        (entry["action"], entry["entityType"]) for entry in listed
    ]


def test_a_caregiver_reading_a_patients_doses_is_recorded_as_a_view(ann, vera, api_for):
    DoseFactory(reminder=MedicationFactory(patient=ann))
    api = api_for(vera)
    views_before = AuditEntry.objects.filter(action="view", patient_id=ann.pk).count()

    assert api.get(DOSES).json()["count"] == 1

    assert (
        AuditEntry.objects.filter(action="view", patient_id=ann.pk, actor_id=vera.pk).count() > views_before
    )


def test_an_entrys_entity_id_is_the_entitys_object_id(ann, ann_api):
    ann_api.post(REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": SCHEDULE})
    reminder = MedicationReminder.objects.get()

    created = next(
        entry for entry in entries(ann_api) if entry["entityType"] == "reminders.MedicationReminder"
    )

    assert created["entityId"] == str(reminder.object_id)
