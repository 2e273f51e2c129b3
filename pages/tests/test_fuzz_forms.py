"""The pages' forms against generated input (hypothesis): no server error, nothing half-saved.

Signed in as Ann, each form is posted with the fields a person fills in, some of them replaced by
odd values (huge numbers, impossible dates, control characters, other scripts, markup, very long
text) or left out. Whatever comes in, the answer is never a 5xx; a submission that is refused
(the form shown again, or any 4xx) leaves every table as it was. Each form's field names are read
from the form class, so a field added later is fuzzed too. Deterministic (derandomize) for CI;
HYPOTHESIS_EXAMPLES raises the number of cases per form when run by hand.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEntry
from notifications.forms import NotificationSettingsForm
from notifications.models import Notification, NotificationSettings
from notifications.tests.world import medication
from patients.forms import CareLinkPermissionsForm, InviteCaregiverForm, PatientProfileForm
from patients.models import CareLink, PatientProfile
from reminders.forms import MedicationForm, SkipForm, TakenAtForm
from reminders.models import ConfirmationLog, Dose, MedicationReminder
from reminders.tests.factories import medication_form

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "30")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD = [
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "9" * 40,
    "NaN",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "24:00",
    "23:59:60",
    "-00:01",
    "\x00",
    "a\r\nBcc: x@example.org",
    "\u2028",
    "<script>alert(1)</script>",
    "on",
    "Mars/Olympus",
    "../../etc/passwd",
    "x" * 5000,
    "\u0661\u0662",  # Arabic-Indic digits
    "\u00b2",  # a superscript two: isdigit() but not int()
    "\U0001f48a",
]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)  # UTF-8 can carry it
VALUE = st.one_of(st.sampled_from(ODD), TEXT, st.integers(-(10**20), 10**20).map(str))
VALUES = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))  # a field sent more than once


def changes(fields: list[str]):
    """Some of the form's fields replaced by odd values, or left out (None)."""
    return st.dictionaries(st.sampled_from(fields), st.one_of(st.none(), VALUES), max_size=5)


def rows() -> dict[str, int]:
    tables = [
        PatientProfile,
        CareLink,
        MedicationReminder,
        Dose,
        ConfirmationLog,
        Notification,
        NotificationSettings,
        AuditEntry,
    ]
    counts = {model.__name__: model.objects.count() for model in tables}
    counts["changed doses"] = Dose.objects.exclude(status=Dose.Status.PENDING).count()
    return counts


def submit(client: Client, url: str, base: dict, change: dict) -> int:
    data = {**base, **change}
    data = {name: value for name, value in data.items() if value is not None}
    before = rows()

    response = client.post(url, data)

    assert response.status_code < 500
    if response.status_code != 302:  # refused: the form again, or a 4xx
        assert rows() == before, f"refused ({response.status_code}) but saved something: {data!r}"
        if response.status_code in (200, 400):  # the form again: saying why, in words
            assert 'class="errorlist' in response.content.decode(), f"refused without a word why: {data!r}"
    return response.status_code


@pytest.fixture
def anns_browser(ann, clock) -> Client:
    client = Client()
    client.force_login(ann.user)
    return client


@pytest.fixture
def anns_pill(ann, clock) -> MedicationReminder:
    return medication(ann, "08:00", "20:00")


# --- Each form: a valid submission is accepted (so the fuzz reaches the saving path), then fuzz -------


MEDICATION = medication_form(start_date="2026-03-04")
MEDICATION_FIELDS = sorted(MedicationForm().fields)


def test_the_medication_form_takes_a_valid_medication(ann, anns_browser):
    url = reverse("reminders:medication_new", args=[ann.pk])
    assert submit(anns_browser, url, MEDICATION, {}) == 302


@FUZZ
@given(change=changes(MEDICATION_FIELDS))
def test_the_new_medication_form_never_fails_nor_half_saves(ann, anns_browser, change):
    submit(anns_browser, reverse("reminders:medication_new", args=[ann.pk]), MEDICATION, change)


@FUZZ
@given(change=changes(MEDICATION_FIELDS))
def test_the_medication_edit_form_never_fails_nor_half_saves(ann, anns_browser, anns_pill, change):
    url = reverse("reminders:medication_edit", args=[ann.pk, anns_pill.pk])
    submit(anns_browser, url, {**MEDICATION, "time_2": "20:00"}, change)


PROFILE = {
    "display_name": "Ann Example",
    "date_of_birth": "1950-03-14",
    "phone_number": "+447911123456",
    "time_zone": "Europe/London",
    "is_active": "on",
}


def test_the_profile_form_takes_a_valid_profile(anns_browser):
    assert submit(anns_browser, reverse("patients:profile"), PROFILE, {}) == 302


@FUZZ
@given(change=changes(sorted(PatientProfileForm.base_fields)))
def test_the_profile_form_never_fails_nor_half_saves(anns_browser, change):
    submit(anns_browser, reverse("patients:profile"), PROFILE, change)


INVITE = {"email": "bob@example.org", "caregiver_name": "Bob", "receives_missed_dose_alerts": "on"}


def test_the_invitation_form_takes_a_valid_invitation(anns_browser):
    assert submit(anns_browser, reverse("patients:care_team"), INVITE, {}) == 302


@FUZZ
@given(change=changes(sorted(InviteCaregiverForm.base_fields)))
def test_the_invitation_form_never_fails_nor_half_saves(anns_browser, change):
    submit(anns_browser, reverse("patients:care_team"), INVITE, change)


@FUZZ
@given(change=changes(sorted(CareLinkPermissionsForm.base_fields)))
def test_the_care_link_form_never_fails_nor_half_saves(anns_browser, carl, ann, change):
    link = CareLink.objects.get(patient=ann, caregiver=carl)
    base = {"can_confirm_doses": "on", "receives_missed_dose_alerts": "on", "alert_delay_minutes": "0"}
    submit(anns_browser, reverse("patients:care_link_edit", args=[link.pk]), base, change)


@FUZZ
@given(change=changes(sorted(SkipForm.base_fields)))
def test_the_skip_form_never_fails_nor_half_saves(ann, anns_browser, anns_pill, change):
    dose = anns_pill.doses.order_by("scheduled_at").filter(status=Dose.Status.PENDING).first()
    url = reverse("reminders:dose_skip", args=[ann.pk, dose.pk])
    submit(anns_browser, url, {"reason": "other", "note": "felt sick"}, change)


@FUZZ
@given(change=changes(sorted(TakenAtForm.base_fields)))
def test_the_taken_at_form_never_fails_nor_half_saves(ann, anns_browser, anns_pill, change):
    dose = anns_pill.doses.order_by("scheduled_at").filter(status=Dose.Status.PENDING).first()
    url = reverse("reminders:dose_taken", args=[ann.pk, dose.pk])
    submit(anns_browser, url, {"taken_at": "07:30"}, change)


SETTINGS = {
    "by_email": "on",
    "quiet_start": "22:00",
    "quiet_end": "07:00",
    "time_zone": "Europe/London",
    "repeat_every_minutes": "",
}


def test_the_notification_settings_form_takes_valid_settings(anns_browser):
    assert submit(anns_browser, reverse("notifications:settings"), SETTINGS, {}) == 302


@FUZZ
@given(change=changes(sorted(NotificationSettingsForm.base_fields)))
def test_the_notification_settings_form_never_fails_nor_half_saves(anns_browser, change):
    submit(anns_browser, reverse("notifications:settings"), SETTINGS, change)


@FUZZ
@given(minutes=VALUES, over=st.one_of(st.none(), VALUE))
def test_snoozing_and_taking_now_never_fail(ann, anns_browser, anns_pill, minutes, over):
    dose = anns_pill.doses.order_by("scheduled_at").first()
    response = anns_browser.post(
        reverse("reminders:dose_snooze", args=[ann.pk, dose.pk]), {"minutes": minutes}
    )
    assert response.status_code < 500
    data = {} if over is None else {"over_maximum_ok": over}
    response = anns_browser.post(reverse("reminders:medication_take", args=[ann.pk, anns_pill.pk]), data)
    assert response.status_code < 500
