"""The pages and the API keep the same rules (issue 21, item 6).

A date of birth, a medication's dates, a name of spaces only, and how early a dose may be
skipped: each is refused the same way whichever door it comes through, with the reason in
words, and nothing is saved. Ann lives in London; it is Wednesday 4 March 2026, 06:00 UTC
(the shared clock).
"""

from __future__ import annotations

import datetime
from datetime import UTC

import pytest
from django.urls import reverse

from adherence.tests.html import post
from api.tests.helpers import PATIENTS, REMINDERS
from audit.models import AuditEntry
from reminders import services
from reminders.models import Dose, MedicationReminder
from reminders.tests import factories
from reminders.tests.factories import MedicationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NOW = datetime.datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def profile_form(profile, **changes) -> dict:
    return {
        "display_name": profile.display_name,
        "date_of_birth": "",
        "phone_number": profile.phone_number,
        "time_zone": profile.time_zone,
        "is_active": "on",
        **changes,
    }


def medication_form(**changes) -> dict:
    return factories.medication_form(**{"start_date": "2026-03-04", "instructions": None, **changes})


def reminder_body(**schedule_changes) -> dict:
    return {
        "medicationName": "Metformin",
        "dosage": "500 mg",
        "schedule": {
            "start_date": "2026-03-04",
            "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}],
            **schedule_changes,
        },
    }


# --- Date of birth ---------------------------------------------------------------------------------

BIRTH_DATES = [
    ("9999-12-31", "The date of birth cannot be in the future."),
    ("2026-03-06", "The date of birth cannot be in the future."),
    ("0001-01-01", "Check the year: a date of birth is from 1900 on."),
    ("1899-12-31", "Check the year: a date of birth is from 1900 on."),
]


@pytest.mark.parametrize(("born", "said"), BIRTH_DATES)
def test_the_profile_page_refuses_an_impossible_date_of_birth(client, ann, born, said):
    client.force_login(ann.user)

    page = post(client, "/profile/", profile_form(ann, date_of_birth=born))

    assert page.error("date_of_birth") == said
    assert page.value("date_of_birth") == born
    ann.refresh_from_db()
    assert ann.date_of_birth is None


@pytest.mark.parametrize(("born", "said"), BIRTH_DATES)
def test_the_api_refuses_the_same_dates_of_birth_with_the_same_words(ann_api, ann, born, said):
    before = AuditEntry.objects.count()

    response = ann_api.patch(f"{PATIENTS}{ann.object_id}/", {"dateOfBirth": born})

    assert response.status_code == 400
    assert response.json()["errors"] == {"dateOfBirth": [said]}
    ann.refresh_from_db()
    assert ann.date_of_birth is None
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("born", ["1900-01-01", "1950-03-14", "2026-03-04"])
def test_real_dates_of_birth_are_taken_by_both(client, ann, ann_api, born):
    response = ann_api.patch(f"{PATIENTS}{ann.object_id}/", {"dateOfBirth": born})
    assert response.status_code == 200, response.content
    assert response.json()["dateOfBirth"] == born

    client.force_login(ann.user)
    page = post(client, "/profile/", profile_form(ann, date_of_birth=born))
    assert page.errors() == {}
    ann.refresh_from_db()
    assert ann.date_of_birth.isoformat() == born


# --- A medication's dates ----------------------------------------------------------------------------

YEARS_SAID = "Dates must fall between the years 1900 and 2999."


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ({"start_date": "0001-01-01"}, {"start_date": "0001-01-01"}),
        ({"start_date": "9999-12-31"}, {"start_date": "9999-12-31"}),
        ({"end": "date", "end_date": "9999-12-31"}, {"end_date": "9999-12-31"}),
    ],
)
def test_the_medication_form_and_the_api_refuse_the_same_far_off_dates(client, ann, ann_api, typed, sent):
    client.force_login(ann.user)

    page = post(client, reverse("reminders:medication_new", args=[ann.pk]), medication_form(**typed))

    assert YEARS_SAID in page.main
    for name, value in typed.items():
        assert page.value(name) == value

    response = ann_api.post(REMINDERS, reminder_body(**sent))

    assert response.status_code == 400
    assert response.json()["errors"] == {"schedule": [YEARS_SAID]}
    assert not MedicationReminder.objects.exists()
    assert not Dose.objects.exists()


# --- Names of spaces only ----------------------------------------------------------------------------


def test_a_name_of_spaces_is_refused_by_the_api_as_by_the_page(client, ann, ann_api):
    response = ann_api.patch(f"{PATIENTS}{ann.object_id}/", {"displayName": "   "})
    assert response.status_code == 400
    assert response.json()["errors"] == {"displayName": ["This field may not be blank."]}

    response = ann_api.post(REMINDERS, {**reminder_body(), "medicationName": " \t ", "dosage": "  "})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "medicationName": ["This field may not be blank."],
        "dosage": ["This field may not be blank."],
    }

    client.force_login(ann.user)
    page = post(client, "/profile/", profile_form(ann, display_name="   "))
    assert page.error("display_name") == "This field is required."
    page = post(
        client, reverse("reminders:medication_new", args=[ann.pk]), medication_form(medication_name="   ")
    )
    assert page.error("medication_name") == "This field is required."

    ann.refresh_from_db()
    assert ann.display_name.strip()
    assert not MedicationReminder.objects.exists()


# --- Skipping ahead of time ----------------------------------------------------------------------------


@pytest.fixture
def evening(ann):
    """Ann's doses today at 08:00 (2 hours from now) and 20:00 (14 hours), and 08:00 in three days."""
    reminder = MedicationFactory(patient=ann, medication_name="Digoxin")

    def at(moment: datetime.datetime) -> Dose:
        return Dose.objects.create(
            reminder=reminder,
            patient=ann,
            scheduled_at=moment,
            window_ends_at=moment + datetime.timedelta(hours=1),
        )

    return {
        "soon": at(datetime.datetime(2026, 3, 4, 8, 0, tzinfo=UTC)),
        "tonight": at(datetime.datetime(2026, 3, 4, 20, 0, tzinfo=UTC)),
        "saturday": at(datetime.datetime(2026, 3, 7, 8, 0, tzinfo=UTC)),
    }


def test_a_dose_days_ahead_cannot_be_skipped_by_the_service(ann, evening):
    for name in ("tonight", "saturday"):
        with pytest.raises(services.DoseError, match="It is too early to skip this dose"):
            services.dose_skip(dose=evening[name], by=ann.user, reason="away")
        evening[name].refresh_from_db()
        assert evening[name].status == Dose.Status.PENDING

    skipped = services.dose_skip(dose=evening["soon"], by=ann.user, reason="away")
    assert skipped.status == Dose.Status.SKIPPED


def test_the_page_says_when_a_dose_can_be_skipped_and_refuses_it_before(client, ann, evening):
    client.force_login(ann.user)
    today = reverse("patients:detail", args=[ann.pk])
    dose = evening["tonight"]

    page = post(
        client, reverse("reminders:dose_skip", args=[ann.pk, dose.pk]), {"reason": "away", "next": today}
    )

    assert page.error_messages == [
        "It is too early to skip this dose: a dose can be recorded from 12 hours before it is due, "
        "so from Wednesday 04 March at 08:00."
    ]
    dose.refresh_from_db()
    assert dose.status == Dose.Status.PENDING
    # The Today page offers no skip for it yet, and says from when it will.
    text = client.get(today).content.decode()
    assert "You can record this dose from 08:00." in text
    assert reverse("reminders:dose_skip", args=[ann.pk, dose.pk]) not in text
    assert reverse("reminders:dose_skip", args=[ann.pk, evening["soon"].pk]) in text
