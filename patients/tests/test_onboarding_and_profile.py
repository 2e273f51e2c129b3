from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tests.helpers import sign_in
from adherence.tests.html import Page, get, post
from patients.models import PatientProfile
from patients.tests.factories import CareLinkFactory, PatientFactory

pytestmark = pytest.mark.django_db

FILL_IN = "Fill this in to set up your medications."
NOON_UTC_1_JULY_2026 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


# --- Signing in and filling in forms ----------------------------------------------------


def signed_in(client, user=None):
    user = user or UserFactory()
    client.force_login(user)
    return user


def onboarding(**overrides) -> dict:
    data = {
        "role": "patient",
        "display_name": "Maria Lopez",
        "date_of_birth": "1950-03-14",
        "phone_number": "+44 7911 123456",
        "time_zone": "Europe/London",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def profile_form(profile: PatientProfile, **overrides) -> dict:
    """The profile form as it stands for `profile`, with some fields changed."""
    data = {
        "display_name": profile.display_name,
        "date_of_birth": profile.date_of_birth.isoformat() if profile.date_of_birth else "",
        "phone_number": profile.phone_number,
        "time_zone": profile.time_zone,
        "is_active": "on" if profile.is_active else None,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def assert_nothing_saved(user: User) -> None:
    assert not PatientProfile.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.cares_for_others is False


# --- Where "home" leads ------------------------------------------------------------------


def test_a_new_user_without_a_profile_is_sent_to_the_welcome_page(client):
    user = UserFactory(email="newcomer@example.org")
    sign_in(client, user.email)

    page = get(client, "/")

    assert page.path == "/welcome/"
    assert page.h1 == "Welcome, newcomer@example.org"
    assert "How will you use Adhere?" in page.main
    assert page.section_links == {}


def test_a_patient_is_sent_to_their_own_medications_page(client):
    patient = PatientFactory(display_name="Maria Lopez")
    sign_in(client, patient.user.email)

    page = get(client, "/")

    assert page.path == f"/patients/{patient.pk}/"
    assert page.h1 == "My medications"
    assert "Maria Lopez" in page.main
    assert page.current_section == "My medications"


def test_a_caregiver_without_a_profile_is_sent_to_the_people_they_care_for(client):
    caregiver = UserFactory(cares_for_others=True)
    sign_in(client, caregiver.email)

    page = get(client, "/")

    assert page.path == "/caring/"
    assert page.h1 == "People I care for"
    assert "Nobody has added you to their care team yet" in page.main
    assert "Set up your own profile" in page.main
    assert page.section_links == {"People I care for": "/caring/"}


def test_an_anonymous_visitor_sees_the_landing_page_and_is_not_redirected(client):
    response = client.get("/")

    assert response.status_code == 200
    page = Page(response)
    assert page.h1 == "Take the right medicine at the right time"
    assert "Create an account" in page.main


def test_it_asks_an_anonymous_visitor_to_sign_in_before_the_welcome_page(client):
    page = get(client, "/welcome/")

    assert page.path == "/accounts/login/"
    assert PatientProfile.objects.count() == 0


# --- Onboarding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
        ("+44 (0)7911 123456", "+447911123456"),
        ("+1 (202) 555-0143", "+12025550143"),
    ],
)
def test_a_patient_onboards_with_the_phone_number_stored_in_e164(client, typed, stored):
    user = signed_in(client)

    page = post(
        client, "/welcome/", onboarding(role="patient", phone_number=typed, time_zone="America/New_York")
    )

    profile = PatientProfile.objects.get(user=user)
    assert profile.phone_number == stored
    assert profile.time_zone == "America/New_York"
    assert profile.display_name == "Maria Lopez"
    assert str(profile.date_of_birth) == "1950-03-14"
    assert profile.is_active is True
    user.refresh_from_db()
    assert user.cares_for_others is False
    assert page.path == f"/patients/{profile.pk}/"
    assert page.h1 == "My medications"
    assert ("success", "Your profile is ready. Next, add your medications.") in page.tagged_messages
    assert "(America/New_York)" in page.main
    assert "People I care for" not in page.section_links


def test_a_patient_who_also_cares_for_someone_gets_both_sections(client):
    user = signed_in(client)

    page = post(client, "/welcome/", onboarding(role="both", time_zone="Asia/Tokyo"))

    profile = PatientProfile.objects.get(user=user)
    assert profile.time_zone == "Asia/Tokyo"
    user.refresh_from_db()
    assert user.cares_for_others is True
    assert page.path == f"/patients/{profile.pk}/"
    assert page.section_links["My medications"] == f"/patients/{profile.pk}/"
    assert page.section_links["People I care for"] == "/caring/"


def test_a_caregiver_onboards_without_filling_in_the_patient_fields(client):
    user = signed_in(client)

    page = post(
        client,
        "/welcome/",
        onboarding(role="caregiver", display_name="", date_of_birth="", phone_number="", time_zone=""),
    )

    assert not PatientProfile.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.cares_for_others is True
    assert page.path == "/caring/"
    assert page.h1 == "People I care for"
    assert ("success", "You are set up as a caregiver.") in page.tagged_messages
    assert page.section_links == {"People I care for": "/caring/"}


@pytest.mark.parametrize("role", ["patient", "caregiver", "both"])
def test_onboarding_is_done_once_and_the_welcome_page_then_redirects_away(client, role):
    user = signed_in(client)
    post(client, "/welcome/", onboarding(role=role))
    profiles_before = PatientProfile.objects.filter(user=user).count()

    response = client.get("/welcome/")
    assert response.status_code == 302
    page = get(client, "/welcome/")
    assert page.path != "/welcome/"
    assert page.h1 in ("My medications", "People I care for")

    # Posting the form again changes nothing either.
    page = post(client, "/welcome/", onboarding(role="patient", display_name="Someone Else"))
    assert page.path != "/welcome/"
    assert PatientProfile.objects.filter(user=user).count() == profiles_before
    assert not PatientProfile.objects.filter(display_name="Someone Else").exists()


def test_onboarding_without_a_role_asks_for_one_and_keeps_what_was_typed(client):
    user = signed_in(client)

    page = post(
        client,
        "/welcome/",
        onboarding(role=None, display_name="Maria Lopez", phone_number="+44 7911 123456"),
    )

    assert page.path == "/welcome/"
    assert page.error("role") == "This field is required."
    assert page.value("role") is None
    assert page.value("display_name") == "Maria Lopez"
    assert page.value("phone_number") == "+44 7911 123456"
    assert page.value("time_zone") == "Europe/London"
    assert page.value("date_of_birth") == "1950-03-14"
    assert_nothing_saved(user)


@pytest.mark.parametrize("role", ["patient", "both"])
def test_a_patient_who_leaves_the_profile_fields_empty_is_told_to_fill_them_in(client, role):
    user = signed_in(client)

    page = post(
        client,
        "/welcome/",
        onboarding(role=role, display_name="", date_of_birth="", phone_number="", time_zone=""),
    )

    assert page.path == "/welcome/"
    assert page.errors() == {"display_name": FILL_IN, "phone_number": FILL_IN, "time_zone": FILL_IN}
    assert page.error("display_name") == FILL_IN
    assert page.error("phone_number") == FILL_IN
    assert page.error("time_zone") == FILL_IN
    assert page.error("date_of_birth") == "", "the date of birth is optional"
    assert page.value("role") == role
    assert_nothing_saved(user)


def test_a_patient_who_fills_in_only_some_fields_keeps_them_and_is_told_about_the_rest(client):
    user = signed_in(client)

    page = post(client, "/welcome/", onboarding(display_name="Maria Lopez", phone_number="", time_zone=""))

    assert page.errors() == {"phone_number": FILL_IN, "time_zone": FILL_IN}
    assert page.value("display_name") == "Maria Lopez"
    assert page.value("date_of_birth") == "1950-03-14"
    assert_nothing_saved(user)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("07911 123456", "Start the number with + and the country code, for example +44 7911 123456."),
        ("7911 123456", "Start the number with + and the country code"),
        ("+44 1", "That does not look like a phone number. Write it with the country code"),
        ("+44 20 1234", "That number does not exist in its country's numbering plan."),
        ("+44 7911 1234567", "That number does not exist in its country's numbering plan."),
    ],
)
def test_onboarding_with_a_wrong_phone_number_says_why_and_keeps_what_was_typed(client, typed, said):
    user = signed_in(client)

    page = post(
        client,
        "/welcome/",
        onboarding(role="both", display_name="Maria Lopez", phone_number=typed, time_zone="Asia/Tokyo"),
    )

    assert page.path == "/welcome/"
    assert said in page.error("phone_number")
    assert list(page.errors()) == ["phone_number"]
    assert page.value("phone_number") == typed
    assert page.value("display_name") == "Maria Lopez"
    assert page.value("time_zone") == "Asia/Tokyo"
    assert page.value("role") == "both"
    assert_nothing_saved(user)


def test_onboarding_with_an_unknown_time_zone_says_so_and_keeps_the_rest(client):
    user = signed_in(client)

    page = post(client, "/welcome/", onboarding(role="both", time_zone="Mars/Olympus"))

    assert page.path == "/welcome/"
    assert (
        page.error("time_zone") == "Select a valid choice. Mars/Olympus is not one of the available choices."
    )
    assert list(page.errors()) == ["time_zone"]
    assert page.value("time_zone") is None
    assert page.value("display_name") == "Maria Lopez"
    assert page.value("phone_number") == "+44 7911 123456"
    assert_nothing_saved(user)


@pytest.mark.parametrize(
    ("born", "said"),
    [
        ("2999-01-01", "The date of birth cannot be in the future."),
        ("1850-06-01", "Check the year: a date of birth is from 1900 on."),
        ("0001-01-01", "Check the year: a date of birth is from 1900 on."),
        ("9999-12-31", "The date of birth cannot be in the future."),
        ("14/03/1950", "Enter a valid date."),
    ],
)
def test_onboarding_with_an_impossible_date_of_birth_says_why_and_keeps_it(client, born, said):
    user = signed_in(client)

    page = post(client, "/welcome/", onboarding(role="both", date_of_birth=born))

    assert page.path == "/welcome/"
    assert page.error("date_of_birth") == said
    assert list(page.errors()) == ["date_of_birth"]
    assert page.value("date_of_birth") == born
    assert page.value("display_name") == "Maria Lopez"
    assert page.value("phone_number") == "+44 7911 123456"
    assert_nothing_saved(user)


def test_a_caregiver_is_not_held_back_by_what_is_left_in_the_hidden_patient_fields(client):
    user = signed_in(client)

    # Started as a patient, typed half a number, then chose "I help someone": app.js hides the
    # patient fieldset (data-shown-for-roles="patient both"), so an error there cannot be seen.
    page = post(
        client,
        "/welcome/",
        onboarding(role="caregiver", display_name="", phone_number="07911", time_zone="", date_of_birth=""),
    )

    assert page.path == "/caring/"
    user.refresh_from_db()
    assert user.cares_for_others is True
    assert not PatientProfile.objects.filter(user=user).exists()


# --- The patient's own profile ----------------------------------------------------------------


def test_the_profile_form_shows_what_is_stored_with_the_phone_number_readable(client):
    patient = PatientFactory(
        display_name="Maria Lopez",
        phone_number="+447911123456",
        time_zone="Europe/Paris",
        date_of_birth=date(1950, 3, 14),
    )
    signed_in(client, patient.user)

    page = get(client, "/profile/")

    assert page.h1 == "Your profile"
    assert page.current_section == "Profile"
    assert page.value("phone_number") == "+44 7911 123456"
    assert page.value("display_name") == "Maria Lopez"
    assert page.value("time_zone") == "Europe/Paris"
    assert page.value("date_of_birth") == "1950-03-14"
    assert page.is_ticked("is_active")
    assert "Send me reminders and missed-dose alerts" in page.main
    assert page.notices == []


def test_a_patient_changes_their_name_phone_and_time_zone(client):
    patient = PatientFactory(display_name="Maria Lopez", time_zone="Europe/London")
    signed_in(client, patient.user)

    page = post(
        client,
        "/profile/",
        profile_form(
            patient,
            display_name="Maria López-Smith",
            phone_number="+1 (202) 555-0143",
            time_zone="America/Chicago",
        ),
    )

    patient.refresh_from_db()
    assert patient.display_name == "Maria López-Smith"
    assert patient.phone_number == "+12025550143"
    assert patient.time_zone == "America/Chicago"
    assert patient.is_active is True
    assert page.path == "/profile/"
    assert page.tagged_messages == [("success", "Your profile is saved.")]
    assert page.value("display_name") == "Maria López-Smith"
    assert page.value("phone_number") == "+1 202-555-0143"
    assert page.value("time_zone") == "America/Chicago"

    own_page = get(client, f"/patients/{patient.pk}/")
    assert "Maria López-Smith" in own_page.main
    assert "(America/Chicago)" in own_page.main


def test_a_patient_who_pauses_sees_it_on_their_profile_and_their_medications_page(client):
    patient = PatientFactory()
    signed_in(client, patient.user)

    page = post(client, "/profile/", profile_form(patient, is_active=None))

    patient.refresh_from_db()
    assert patient.is_active is False
    assert page.tagged_messages == [
        ("warning", "Reminders and alerts are paused until you turn them on again.")
    ]
    assert not page.is_ticked("is_active")
    assert page.notices == ["Reminders and alerts are paused. Tick the box below to turn them on again."]

    own_page = get(client, f"/patients/{patient.pk}/")
    assert "Reminders and alerts are paused. Turn them on again." in own_page.notices
    turn_on = own_page.root.find("main").find("a", href="/profile/")
    assert turn_on.text == "Turn them on again"


def test_a_paused_patient_who_ticks_the_box_again_has_reminders_on_again(client):
    patient = PatientFactory(is_active=False)
    signed_in(client, patient.user)
    assert (
        "Reminders and alerts are paused. Turn them on again."
        in get(client, f"/patients/{patient.pk}/").notices
    )

    page = post(client, "/profile/", profile_form(patient, is_active="on"))

    patient.refresh_from_db()
    assert patient.is_active is True
    assert page.tagged_messages == [("success", "Reminders and alerts are on again.")]
    assert page.is_ticked("is_active")
    assert page.notices == []
    assert get(client, f"/patients/{patient.pk}/").notices == []


def test_a_caregiver_sees_that_the_patient_has_paused_reminders(client):
    link = CareLinkFactory(patient__display_name="Maria Lopez")
    signed_in(client, link.patient.user)
    post(client, "/profile/", profile_form(link.patient, is_active=None))

    client.force_login(link.caregiver)
    dashboard = get(client, "/caring/")
    assert "Maria Lopez" in dashboard.main
    assert dashboard.notices == ["Reminders and alerts are paused."]
    patient_page = get(client, f"/patients/{link.patient.pk}/")
    assert patient_page.h1 == "Maria Lopez"
    assert "Reminders and alerts are paused." in patient_page.notices
    assert "Turn them on again" not in patient_page.main, "only the patient can turn them on"


@pytest.mark.parametrize(
    ("changes", "field_name", "said"),
    [
        ({"display_name": ""}, "display_name", "This field is required."),
        ({"phone_number": "07911 999888"}, "phone_number", "Start the number with + and the country code"),
        ({"phone_number": ""}, "phone_number", "This field is required."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Mars/Olympus is not one of the available choices."),
        ({"time_zone": ""}, "time_zone", "This field is required."),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "The date of birth cannot be in the future."),
    ],
)
def test_a_profile_edit_with_bad_input_says_why_keeps_what_was_typed_and_saves_nothing(
    client, changes, field_name, said
):
    patient = PatientFactory(display_name="Maria Lopez", time_zone="Europe/London")
    signed_in(client, patient.user)
    typed = {
        "display_name": "Maria Typed",
        "phone_number": "+33 6 12 34 56 78",
        "time_zone": "Asia/Tokyo",
        "date_of_birth": "1950-03-14",
        **changes,
    }

    page = post(client, "/profile/", profile_form(patient, **typed))

    assert page.path == "/profile/"
    assert page.tagged_messages == []
    assert said in page.error(field_name)
    assert list(page.errors()) == [field_name]
    for name, value in typed.items():
        if name == "time_zone" and value == "Mars/Olympus":
            assert page.value(name) is None
        else:
            assert page.value(name) == value, name
    patient.refresh_from_db()
    assert patient.display_name == "Maria Lopez"
    assert patient.phone_number == "+447911123456"
    assert patient.time_zone == "Europe/London"
    assert patient.date_of_birth is None


def test_a_refused_profile_edit_does_not_claim_that_reminders_are_paused(client):
    patient = PatientFactory()
    signed_in(client, patient.user)

    page = post(client, "/profile/", profile_form(patient, is_active=None, phone_number="07911 123456"))

    assert "Start the number with + and the country code" in page.error("phone_number")
    assert not page.is_ticked("is_active"), "what was typed is kept"
    patient.refresh_from_db()
    assert patient.is_active is True
    assert page.notices == [], "reminders were not paused: nothing was saved"


# --- A caregiver who takes medications too ---------------------------------------------------


def test_a_caregiver_sets_up_their_own_profile_and_switches_in_one_click(client):
    caregiver = UserFactory(cares_for_others=True)
    link = CareLinkFactory(caregiver=caregiver, patient__display_name="Grandpa Joe")
    signed_in(client, caregiver)

    setup = get(client, "/profile/")
    assert setup.h1 == "Set up your profile"
    assert "Create my profile" in setup.form().text
    assert setup.section_links == {"People I care for": "/caring/"}

    page = post(
        client,
        "/profile/",
        {
            "display_name": "Anna Lopez",
            "phone_number": "0034 612 345 678",
            "time_zone": "Europe/Madrid",
            "date_of_birth": "",
            "is_active": "on",
        },
    )

    profile = PatientProfile.objects.get(user=caregiver)
    assert (profile.display_name, profile.phone_number, profile.time_zone) == (
        "Anna Lopez",
        "+34612345678",
        "Europe/Madrid",
    )
    caregiver.refresh_from_db()
    assert caregiver.cares_for_others is True
    assert page.path == "/profile/"
    assert page.h1 == "Your profile"
    assert page.tagged_messages == [("success", "Your profile is ready.")]
    assert page.section_links == {
        "My medications": f"/patients/{profile.pk}/",
        "People I care for": "/caring/",
        "My care team": "/care-team/",
        "Profile": "/profile/",
    }

    mine = get(client, page.section_links["My medications"])
    assert mine.h1 == "My medications"
    assert "Anna Lopez" in mine.main
    assert mine.current_section == "My medications"

    theirs = get(client, mine.section_links["People I care for"])
    assert theirs.h1 == "People I care for"
    assert "Grandpa Joe" in theirs.main
    assert "Set up your own profile" not in theirs.main
    assert theirs.current_section == "People I care for"

    grandpa = get(client, f"/patients/{link.patient.pk}/")
    assert grandpa.h1 == "Grandpa Joe"
    assert grandpa.current_section == "People I care for"

    assert get(client, "/").path == f"/patients/{profile.pk}/", "home is now their own page"


def test_a_caregiver_whose_profile_setup_is_refused_keeps_what_they_typed(client):
    caregiver = signed_in(client, UserFactory(cares_for_others=True))

    page = post(
        client,
        "/profile/",
        {
            "display_name": "Anna Lopez",
            "phone_number": "+44 1",
            "time_zone": "Europe/Madrid",
            "is_active": "on",
        },
    )

    assert page.h1 == "Set up your profile"
    assert "That does not look like a phone number" in page.error("phone_number")
    assert page.value("display_name") == "Anna Lopez"
    assert page.value("phone_number") == "+44 1"
    assert page.value("time_zone") == "Europe/Madrid"
    assert not PatientProfile.objects.filter(user=caregiver).exists()
    assert page.section_links == {"People I care for": "/caring/"}


def test_a_caregiver_who_sets_up_a_profile_with_reminders_unticked_has_them_paused(client):
    caregiver = signed_in(client, UserFactory(cares_for_others=True))

    page = post(
        client,
        "/profile/",
        {"display_name": "Anna Lopez", "phone_number": "+34 612 345 678", "time_zone": "Europe/Madrid"},
    )

    assert page.h1 == "Your profile"
    profile = PatientProfile.objects.get(user=caregiver)
    assert not page.is_ticked("is_active")
    assert profile.is_active is False


# --- Times in the patient's own zone -----------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/New_York", "Wednesday 1 July, 08:00 (America/New_York)"),
        ("Asia/Tokyo", "Wednesday 1 July, 21:00 (Asia/Tokyo)"),
        ("Europe/London", "Wednesday 1 July, 13:00 (Europe/London)"),
        ("Pacific/Auckland", "Thursday 2 July, 00:00 (Pacific/Auckland)"),
    ],
)
def test_a_patient_sees_the_time_in_their_own_zone(client, zone, shown):
    patient = PatientFactory(display_name="Maria Lopez", time_zone=zone)
    signed_in(client, patient.user)

    with time_machine.travel(NOON_UTC_1_JULY_2026, tick=False):
        page = get(client, f"/patients/{patient.pk}/")

    assert page.h1 == "My medications"
    assert f"Maria Lopez · {shown}" in page.main


def test_a_patient_who_moves_sees_times_in_the_new_zone(client):
    patient = PatientFactory(time_zone="America/New_York")
    signed_in(client, patient.user)

    with time_machine.travel(NOON_UTC_1_JULY_2026, tick=False):
        assert "08:00 (America/New_York)" in get(client, f"/patients/{patient.pk}/").main
        post(client, "/profile/", profile_form(patient, time_zone="Asia/Tokyo"))
        page = get(client, f"/patients/{patient.pk}/")

    assert "21:00 (Asia/Tokyo)" in page.main
    assert "08:00" not in page.main


@pytest.mark.parametrize("caregiver_zone", [None, "Asia/Tokyo"])
def test_a_caregiver_sees_the_patients_time_in_the_patients_zone(client, caregiver_zone):
    link = CareLinkFactory(patient__time_zone="America/New_York", patient__display_name="Grandpa Joe")
    if caregiver_zone:
        PatientFactory(user=link.caregiver, time_zone=caregiver_zone)
    signed_in(client, link.caregiver)

    with time_machine.travel(NOON_UTC_1_JULY_2026, tick=False):
        page = get(client, f"/patients/{link.patient.pk}/")

    assert page.h1 == "Grandpa Joe"
    assert "Their time now: Wednesday 1 July, 08:00 (America/New_York)" in page.main


# --- The care team needs a profile first ----------------------------------------------------------


@pytest.mark.parametrize("cares_for_others", [False, True])
def test_the_care_team_page_sends_a_user_without_a_profile_to_set_one_up(client, cares_for_others):
    user = signed_in(client, UserFactory(cares_for_others=cares_for_others))

    page = get(client, "/care-team/")

    assert page.path == "/profile/"
    assert page.h1 == "Set up your profile"
    assert page.tagged_messages == [
        ("info", "Set up your patient profile first; then you can invite your care team.")
    ]
    assert not PatientProfile.objects.filter(user=user).exists()


def test_a_patient_reaches_their_care_team_page(client):
    patient = PatientFactory()
    signed_in(client, patient.user)

    page = get(client, "/care-team/")

    assert page.path == "/care-team/"
    assert page.h1 == "My care team"
    assert page.current_section == "My care team"
    assert page.tagged_messages == []
