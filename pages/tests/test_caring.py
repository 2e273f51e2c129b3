"""The caregiver dashboard: every patient's own day, in the patient's zone, in fixed queries.

The world (reminders/tests/world.py): Ann lives in London; Carl cares for her
and may confirm doses; Vera may only look. It is Monday 1 June 2026, 11:00 UTC.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from adherence.tests.html import Page, get
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders.tests.world import NOW, TODAY, count_queries, dose_at, medication, taken

CARING = reverse("patients:caring")

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


def dashboard_cards(page: Page) -> dict[str, dict[str, str]]:
    """Each person cared for: their facts (Today, Next dose, Last missed...) as the card shows them."""
    cards = {}
    for card in page.root.find("ul", aria_label="People you care for").find_all("li", cls="card"):
        facts = card.find("dl", cls="facts")
        terms = [node.text for node in facts.find_all("dt")]
        definitions = [node.text for node in facts.find_all("dd")]
        cards[card.find("h2").text] = dict(zip(terms, definitions, strict=True))
    return cards


@pytest.fixture
def carls_people(world):
    """Carl cares for Ann (London, 12:00), Tom (Auckland, 23:00) and Lou (Los Angeles, 04:00)."""
    ann = world.ann
    carl = world.carl
    taken(medication(ann, "Metformin"), "08:00", "08:10")
    dose_at(medication(ann, "Aspirin"), "09:00")  # window over: missed
    furosemide = medication(ann, "Furosemide")
    dose_at(furosemide, "18:00")
    dose_at(furosemide, "21:00")
    dose_at(furosemide, "08:00", TODAY + timedelta(days=1))  # tomorrow: not counted
    dose_at(furosemide, "20:00", TODAY - timedelta(days=1), status="missed")
    dose_at(furosemide, "21:00", TODAY - timedelta(days=2), status="missed")

    tom = PatientFactory(display_name="Tom Auckland", time_zone="Pacific/Auckland")
    CareLinkFactory(patient=tom, caregiver=carl)
    warfarin = medication(tom, "Warfarin")
    taken(warfarin, "08:00", "08:00")  # Sunday 20:00 UTC: Monday there
    dose_at(warfarin, "21:30", status="skipped", skip_reason="unwell", resolved_at=NOW)
    dose_at(warfarin, "23:30")  # 11:30 UTC: still to come
    dose_at(warfarin, "08:00", TODAY + timedelta(days=1))  # Monday 20:00 UTC, but Tuesday there

    lou = PatientFactory(display_name="Lou Angeles", time_zone="America/Los_Angeles")
    CareLinkFactory(patient=lou, caregiver=carl, can_confirm_doses=True)
    statin = medication(lou, "Statin")
    taken(statin, "20:00", "20:00", TODAY - timedelta(days=1))  # Monday 03:00 UTC, but Sunday there
    dose_at(statin, "08:00")
    dose_at(statin, "20:00")
    return {"ann": ann, "tom": tom, "lou": lou}


def test_the_dashboard_shows_each_patients_own_day(client, world, carls_people):
    client.force_login(world.carl)

    page = get(client, CARING)

    cards = dashboard_cards(page)
    assert list(cards) == ["Ann Example", "Lou Angeles", "Tom Auckland"]
    assert cards["Ann Example"]["Today"] == "1 taken 1 missed 2 to come"
    assert cards["Ann Example"]["Next dose"] == "Mon 18:00 · Furosemide"
    # Today's 09:00 dose is past its window: missed, and the latest one.
    assert cards["Ann Example"]["Last missed"] == "1 Jun, 09:00"
    assert cards["Tom Auckland"]["Today"] == "1 taken 0 missed 1 to come 1 skipped"
    assert cards["Tom Auckland"]["Next dose"] == "Mon 23:30 · Warfarin"
    assert cards["Tom Auckland"]["Time zone"] == "Pacific/Auckland"
    assert cards["Lou Angeles"]["Today"] == "0 taken 0 missed 2 to come"
    assert cards["Lou Angeles"]["Next dose"] == "Mon 08:00 · Statin"
    assert cards["Lou Angeles"]["Last missed"] == "None"
    assert "Confirm doses" in cards["Lou Angeles"]["You may"]
    assert "Confirm doses" not in cards["Tom Auckland"]["You may"]


def test_the_dashboard_says_when_the_caregiver_is_told_of_each_recorded_dose(client, world):
    client.force_login(world.carl)
    assert (
        "Told when a dose is recorded" not in dashboard_cards(get(client, CARING))["Ann Example"]["You may"]
    )

    CareLink.objects.filter(caregiver=world.carl).update(notify_on_confirmation=True)

    assert "Told when a dose is recorded" in dashboard_cards(get(client, CARING))["Ann Example"]["You may"]


def test_the_dashboard_next_dose_can_be_tomorrow_in_the_patients_zone(client, world):
    pill = medication(world.ann, "Metformin")
    dose_at(pill, "08:00", TODAY + timedelta(days=1))
    client.force_login(world.carl)

    cards = dashboard_cards(get(client, CARING))

    assert cards["Ann Example"]["Today"] == "0 taken 0 missed 0 to come"
    assert cards["Ann Example"]["Next dose"] == "Tue 08:00 · Metformin"


def test_the_dashboard_next_dose_of_a_twice_weekly_medication(client, world):
    vitamin = medication(world.ann, "Vitamin D")
    dose_at(vitamin, "09:00", TODAY + timedelta(days=3))  # Thursday
    client.force_login(world.carl)

    cards = dashboard_cards(get(client, CARING))

    assert cards["Ann Example"]["Next dose"] == "Thu 09:00 · Vitamin D"


def test_the_dashboard_last_missed_agrees_with_todays_missed_count(client, world):
    dose_at(medication(world.ann, "Aspirin"), "09:00")  # window ended at 10:00; not confirmed
    client.force_login(world.carl)

    cards = dashboard_cards(get(client, CARING))

    assert cards["Ann Example"]["Today"] == "0 taken 1 missed 0 to come"
    assert cards["Ann Example"]["Last missed"] == "1 Jun, 09:00"


def test_the_dashboard_with_nobody_to_care_for(client):
    client.force_login(UserFactory(email="newbie@example.org", cares_for_others=True))

    page = get(client, CARING)

    assert "Nobody has added you to their care team yet." in page.main
    assert "newbie@example.org" in page.main


def test_the_dashboard_lists_every_linked_patient_with_their_permissions(client):
    nurse = UserFactory(email="nurse@example.org")
    CareLinkFactory(caregiver=nurse, patient__display_name="Zoe Zed", patient__time_zone="Asia/Tokyo")
    CareLinkFactory(caregiver=nurse, patient__display_name="Abe Able", can_confirm_doses=True)
    CareLinkFactory(caregiver=nurse, patient__display_name="Gone Away", status=CareLink.Status.REVOKED)
    CareLinkFactory(patient__display_name="Not Hers")
    client.force_login(nurse)

    page = client.get(CARING).content.decode()

    names = re.findall(r"<h2><a href=\"/patients/\d+/\">([^<]+)</a></h2>", page)
    assert names == ["Abe Able", "Zoe Zed"]
    assert "Asia/Tokyo" in page
    assert page.count("Confirm doses") == 1


def test_the_dashboard_costs_the_same_queries_for_one_patient_or_twenty(
    client, django_assert_max_num_queries
):
    nurse = UserFactory(email="nurse@example.org")
    CareLinkFactory(caregiver=nurse)
    client.force_login(nurse)
    # 14: the page, plus the missed-dose alerts panel and the header's unread count.
    with django_assert_max_num_queries(14) as one:
        client.get(CARING)
    for _ in range(19):
        CareLinkFactory(caregiver=nurse)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(CARING).content.decode()
    assert page.count('class="card"') == 20


# --- Queries that stay flat --------------------------------------------------------------------------


ZONES = ["Europe/London", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "UTC"]


def _add_patients(caregiver, start: int, stop: int) -> None:
    for number in range(start, stop):
        patient = PatientFactory(display_name=f"Person {number:02}", time_zone=ZONES[number % len(ZONES)])
        CareLinkFactory(patient=patient, caregiver=caregiver, can_confirm_doses=number % 2 == 0)
        pill = medication(patient, f"Pill {number:02}")
        taken(pill, "07:00", "07:05")
        dose_at(pill, "12:00")
        dose_at(pill, "22:00")
        dose_at(pill, "08:00", TODAY - timedelta(days=1), status="missed")
        dose_at(pill, "09:00", TODAY + timedelta(days=1))


DASHBOARD_STATEMENTS = 13


def test_dashboard_queries_do_not_grow_with_the_patients(client, django_assert_num_queries):
    carer = UserFactory(email="carer@example.org", cares_for_others=True)
    client.force_login(carer)
    url = CARING
    _add_patients(carer, 0, 1)
    one = count_queries(client, url)
    # The session, its user and own profile; the links with their patients, four for today's
    # summaries, one INSERT of the views in the audit trail, the alerts and the unread count;
    # and the request's transaction (a savepoint inside the test's).
    assert one == DASHBOARD_STATEMENTS

    _add_patients(carer, 1, 20)
    with django_assert_num_queries(DASHBOARD_STATEMENTS):
        response = client.get(url)

    cards = dashboard_cards(Page(response))
    assert len(cards) == 20
    assert all(card["Next dose"] != "None planned" for card in cards.values())
    assert all(card["Last missed"] != "None" for card in cards.values())
