"""Patients and care teams in the admin: changed through the patient's own form and services, read audited."""

from __future__ import annotations

import datetime
from datetime import UTC

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from adherence.tests.html import Page
from audit.models import Action, AuditEntry
from patients import access
from patients.models import CareLink, PatientProfile
from patients.tests.factories import CareLinkFactory
from reminders import services as reminder_services
from reminders.schedule import Repeat, Schedule, Step

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


def change_url(profile: PatientProfile) -> str:
    return reverse("admin:patients_patientprofile_change", args=[profile.pk])


def change_form(admin_client, profile: PatientProfile, **changes) -> dict:
    """The change form as the admin page fills it, with these fields changed."""
    values = Page(admin_client.get(change_url(profile))).root.find("form", id="patientprofile_form").values()
    values.pop("_save", None)
    return values | {name: [value] for name, value in changes.items()}


def test_a_new_time_zone_saved_in_the_admin_moves_the_doses_to_come(admin_client, admin_user, ann):
    reminder = reminder_services.medication_create(
        patient=ann,
        schedule=Schedule(
            start_date=datetime.date(2026, 11, 1),
            steps=(Step(times=(datetime.time(20),), repeat=Repeat("daily")),),
        ),
        medication_name="Metformin",
        dosage="500 mg",
    )

    response = admin_client.post(
        change_url(ann), change_form(admin_client, ann, time_zone="America/New_York")
    )

    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.time_zone == "America/New_York"
    first = reminder.doses.order_by("scheduled_at").first()
    assert f"{first.scheduled_at.astimezone(ann.zone):%a %H:%M}" == "Mon 20:00"
    assert first.scheduled_at == datetime.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    change = AuditEntry.objects.get(action=Action.UPDATE, entity_type="patients.PatientProfile")
    assert (change.actor_id, change.payload["changes"]["time_zone"]) == (
        admin_user.pk,
        ["Europe/London", "America/New_York"],
    )


def test_the_admin_refuses_what_the_profile_page_refuses(admin_client, ann):
    response = admin_client.post(
        change_url(ann),
        change_form(admin_client, ann, phone_number="not a number", date_of_birth="2030-01-01"),
    )

    assert response.status_code == 200
    errors = [item.text for item in Page(response).root.find_all("ul", cls="errorlist")]
    assert "The date of birth cannot be in the future." in errors
    assert any("phone" in error.lower() or "number" in error.lower() for error in errors), errors
    ann.refresh_from_db()
    assert (ann.phone_number, ann.date_of_birth) == ("+447911123456", None)


def test_profiles_are_neither_added_nor_deleted_in_the_admin(admin_client, ann):
    assert admin_client.get(reverse("admin:patients_patientprofile_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:patients_patientprofile_delete", args=[ann.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_opening_a_profile_is_a_view_the_patient_reads_on_their_activity(
    client, admin_client, admin_user, ann
):
    admin_client.get(change_url(ann))

    view = AuditEntry.objects.get(action=Action.VIEW)
    assert (view.actor_id, view.patient_id, view.entity_type) == (
        admin_user.pk,
        ann.pk,
        "patients.PatientProfile",
    )
    client.force_login(ann.user)
    row = Page(client.get("/activity/")).root.find("tbody").find("tr")
    assert [cell.text for cell in row.find_all("td")[1:]] == [
        "Clinic staff member admin@example.com",
        "Viewed your profile",
    ]


def test_care_links_are_read_only_and_revoking_one_ends_the_caregivers_access(admin_client, ann):
    link = CareLinkFactory(patient=ann)
    url = reverse("admin:patients_carelink_change", args=[link.pk])

    assert (
        admin_client.post(url, {"status": CareLink.Status.ACTIVE, "can_confirm_doses": "on"}).status_code
        == 403
    )
    assert access.access_to(link.caregiver, ann.pk) is not None

    admin_client.post(
        reverse("admin:patients_carelink_changelist"), {"action": "revoke", ACTION_CHECKBOX_NAME: [link.pk]}
    )

    link.refresh_from_db()
    assert link.status == CareLink.Status.REVOKED
    assert access.access_to(link.caregiver, ann.pk) is None
