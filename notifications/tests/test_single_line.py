"""Names, doses and notes are one line (issue 21, item 2), and no stored text can break a mail header.

A line break in a display name or a medication name was accepted by the pages and the API; then
the invitation mail and every missed-dose email failed (Django refuses a subject with a line
break). Now every single-line field refuses control characters with the same words, in the forms
and the API, and mail subjects are made one line, so text stored before the rule still goes out.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from adherence.tests.html import get, post
from adherence.text import SINGLE_LINE_MESSAGE, is_single_line, one_line, validate_single_line
from api.tests.helpers import PATIENTS, REMINDERS, Api, log_in
from audit.models import AuditEntry
from notifications.models import Kind, Notification
from notifications.sweep import sweep_missed
from notifications.tasks import deliver_notifications
from notifications.tests.world import at
from patients.models import CareLink, PatientProfile
from reminders.models import Dose, MedicationReminder
from reminders.tests.factories import medication_form

pytestmark = pytest.mark.django_db

BREAKS = [
    "Ann\nBcc: everyone@example.org",
    "Ann\r\nExample",
    "Ann\tExample",
    "Ann\x00",
    "Ann\u2028Example",
    "A\x85B",
]


def rows() -> tuple[int, ...]:
    return (
        PatientProfile.objects.count(),
        CareLink.objects.count(),
        MedicationReminder.objects.count(),
        Dose.objects.exclude(skip_note="").count(),
        AuditEntry.objects.count(),
    )


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --- The rule ----------------------------------------------------------------------------------------

# CharFields people never type into, or that have a stricter rule of their own.
NOT_TYPED_TEXT = {
    ("patients", "PatientProfile", "phone_number"),  # E.164 only
    ("patients", "PatientProfile", "time_zone"),  # a known zone only
    ("reminders", "MedicationReminder", "home_time_zone"),
    ("notifications", "NotificationSettings", "sms_number"),
    ("notifications", "NotificationSettings", "time_zone"),
    ("accounts", "User", "password"),  # a hash
    # Django's own name fields: Adhere asks for neither (the name people see is the profile's).
    ("accounts", "User", "first_name"),
    ("accounts", "User", "last_name"),
}
OUR_APPS = {"accounts", "patients", "reminders", "notifications"}


def test_every_field_people_type_one_line_into_refuses_control_characters():
    unguarded = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        for field in model._meta.get_fields():
            if (
                type(field) is not models.CharField
                or field.choices
                or not field.editable
                or (model._meta.app_label, model.__name__, field.name) in NOT_TYPED_TEXT
                or model._meta.app_label == "notifications"  # written by the app, not typed
            ):
                continue
            if validate_single_line not in field.validators:
                unguarded.append(f"{model.__name__}.{field.name}")
    assert unguarded == []


@pytest.mark.parametrize("text", BREAKS)
def test_one_line_keeps_the_words_and_drops_the_breaks(text):
    cleaned = one_line(text)
    assert is_single_line(cleaned)
    assert "  " not in cleaned
    assert cleaned.startswith("A")


# --- The pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BREAKS[:3])
def test_the_profile_page_refuses_a_name_on_two_lines_and_keeps_what_was_typed(ann, name):
    client = signed_in(ann.user)
    page = get(client, "/profile/")
    data = {
        "display_name": name,
        "date_of_birth": "",
        "phone_number": "",
        "time_zone": ann.time_zone,
        "is_active": "on",
    }
    before = rows()

    response = client.post("/profile/", data)

    assert response.status_code in (200, 400)
    assert SINGLE_LINE_MESSAGE in response.content.decode()
    ann.refresh_from_db()
    assert ann.display_name == "Ann Example"
    assert rows() == before
    assert page.h1  # the page itself shows


def test_the_medication_form_refuses_a_name_or_dose_on_two_lines(ann, clock):
    client = signed_in(ann.user)
    url = reverse("reminders:medication_new", args=[ann.pk])
    form = medication_form(
        medication_name="Metformin\nBcc: x@example.org",
        dosage="500\tmg",
        instructions="with food\r\n",
        start_date="2026-03-04",
    )
    before = rows()

    page = post(client, url, form)

    assert str(page.main).count(SINGLE_LINE_MESSAGE) >= 2
    assert page.value("medication_name") == "Metformin\nBcc: x@example.org"
    assert rows() == before


def test_the_invitation_form_refuses_a_name_on_two_lines(ann):
    client = signed_in(ann.user)
    before = rows()

    response = client.post(
        reverse("patients:care_team"), {"email": "bob@example.org", "caregiver_name": "Bob\nSon"}
    )

    assert SINGLE_LINE_MESSAGE in response.content.decode()
    assert rows() == before
    assert not Notification.objects.exists()


# --- The API -----------------------------------------------------------------------------------------


@pytest.fixture
def anns_api(ann) -> Api:
    client = Client(raise_request_exception=False)
    return Api(client, log_in(client, ann.user.email))


@pytest.mark.parametrize("name", BREAKS)
def test_the_api_refuses_a_display_name_on_two_lines(ann, anns_api, name):
    before = rows()

    response = anns_api.patch(f"{PATIENTS}{ann.object_id}/", {"displayName": name})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["displayName"]
    assert SINGLE_LINE_MESSAGE in response.json()["errors"]["displayName"]
    ann.refresh_from_db()
    assert ann.display_name == "Ann Example"
    assert rows() == before


@pytest.mark.parametrize("field", ["medicationName", "dosage", "instructions"])
def test_the_api_refuses_medication_text_on_two_lines(ann, anns_api, clock, field):
    body = {
        "medicationName": "Metformin",
        "dosage": "500 mg",
        "schedule": {
            "start_date": "2026-03-04",
            "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}],
        },
        field: "Two\nlines",
    }
    before = rows()

    response = anns_api.post(REMINDERS, body)

    assert response.status_code == 400
    assert response.json()["errors"] == {field: [SINGLE_LINE_MESSAGE]}
    assert rows() == before


def test_the_api_refuses_a_step_dose_on_two_lines(ann, anns_api, clock):
    step = {"times": ["08:00"], "repeat": {"kind": "daily"}, "dosage": "40 mg\r\nBcc: x"}
    body = {
        "medicationName": "Prednisolone",
        "dosage": "40 mg",
        "schedule": {"start_date": "2026-03-04", "steps": [step]},
    }
    before = rows()

    response = anns_api.post(REMINDERS, body)

    assert response.status_code == 400
    assert "no line breaks" in str(response.json()["errors"])
    assert rows() == before


# --- Mail built from text stored before the rule -------------------------------------------------------


def test_an_invitation_from_a_patient_whose_stored_name_has_a_line_break_is_still_mailed(ann, server, clock):
    PatientProfile.objects.filter(pk=ann.pk).update(display_name="Ann\r\nBcc: everyone@example.org")
    client = signed_in(ann.user)

    response = client.post(
        reverse("patients:care_team"), {"email": "bob@example.org", "caregiver_name": "Bob"}, follow=True
    )
    assert response.status_code == 200
    assert "Invitation sent to bob@example.org" in response.content.decode()
    deliver_notifications()

    [mail] = server.sent
    assert mail.subject == "Adhere: Ann Bcc: everyone@example.org invites you to their care team"
    assert "Bcc" not in str(mail.message()["Bcc"] or "")
    assert Notification.objects.get(kind=Kind.INVITATION).status == Notification.Status.SENT


def test_missed_dose_emails_go_out_when_a_stored_name_has_a_line_break(ann, carl, morning, server, clock):
    PatientProfile.objects.filter(pk=ann.pk).update(display_name="Ann\nExample")
    MedicationReminder.objects.filter(pk=morning.pk).update(medication_name="Metformin\r\nXR")
    clock.move_to(at(9))
    sweep_missed()

    deliver_notifications()

    subjects = sorted(mail.subject for mail in server.sent)
    assert len(subjects) == 2  # Ann and Carl, by email
    assert all("\n" not in subject and "\r" not in subject for subject in subjects)
    assert any("Metformin XR" in subject for subject in subjects)
    assert not Notification.objects.filter(kind__in=[Kind.INVITATION]).exists()
    assert Notification.objects.filter(channel="email").exclude(status=Notification.Status.SENT).count() == 0
