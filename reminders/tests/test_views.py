"""The Today page, dose actions (plain posts and htmx), as-needed doses and history.

Everything is read as a person reads it: the text of the page, the state of
each dose row, what the buttons post. The world (reminders/tests/world.py):
Ann lives in London; Carl cares for her and may confirm doses; Vera may only
look. It is Monday 1 June 2026, 11:00 UTC, which is 12:00 in London (BST).
The caregiver dashboard's tests are in pages/tests/test_caring.py.

The page-reading helpers (Page, get, post, ...) live in adherence/tests/html.py.
"""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import pytest
from django.urls import reverse

from adherence.tests.html import Node, Page, get, parse, post
from patients.tests.factories import PatientFactory
from reminders import services
from reminders.models import ConfirmationLog, Dose
from reminders.schedule import Schedule
from reminders.tests.factories import AsNeededFactory, MedicationFactory, daily
from reminders.tests.world import (
    NOW,
    TODAY,
    count_queries,
    dose_at,
    local,
    medication,
    taken,
)

# --- Reading pages as a person does ----------------------------------------------------------------

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


def describe(row: Node) -> tuple[str, str, str]:
    """A dose row as (time, medication, state)."""
    return (
        row.find("span", cls="dose__time").text,
        row.find("span", cls="dose__name").text,
        row.find("p", cls="dose__state").text,
    )


def htmx_post(client, url: str, data: dict | None = None) -> Node:
    """A post as htmx makes it: the answer is a fragment, not a page."""
    response = client.post(url, data or {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.status_code
    content = response.content.decode()
    assert "<html" not in content
    assert "<body" not in content
    return parse(content)


# --- The world ---------------------------------------------------------------------------------------


# --- Today ---------------------------------------------------------------------------------------------


@pytest.fixture
def busy_day(world):
    """Ann's Monday, every state once, made out of order; and doses of other days that must not show."""
    ann = world.ann
    doses = {}
    doses["later"] = dose_at(medication(ann, "Furosemide"), "18:00")
    doses["late"] = taken(medication(ann, "Aspirin"), "09:00", "10:30")
    doses["due_now"] = dose_at(medication(ann, "Digoxin"), "11:30")
    doses["taken"] = taken(medication(ann, "Metformin", instructions="with food"), "08:00", "08:12")
    doses["due_soon"] = dose_at(medication(ann, "Enalapril"), "12:45")
    doses["skipped"] = dose_at(
        medication(ann, "Bisoprolol"),
        "10:00",
        status=Dose.Status.SKIPPED,
        skip_reason=Dose.SkipReason.UNWELL,
        resolved_at=local(ann, TODAY, "10:05"),
    )
    # 00:30 in London on Monday is still Sunday 23:30 in UTC: it is today's.
    doses["missed"] = dose_at(medication(ann, "Amlodipine"), "00:30")
    # 00:30 on Tuesday in London is Monday 23:30 UTC: not today's.
    doses["tomorrow"] = dose_at(medication(ann, "Tomorrow tablet"), "00:30", TODAY + timedelta(days=1))
    doses["yesterday"] = dose_at(medication(ann, "Yesterday tablet"), "23:59", TODAY - timedelta(days=1))
    other = PatientFactory(display_name="Olga Other")
    doses["other_patient"] = dose_at(medication(other, "Olga's tablet"), "12:15")
    return doses


def test_today_lists_the_doses_of_the_patients_local_day_in_time_order_with_their_state(
    client, world, busy_day
):
    client.force_login(world.ann.user)

    page = get(client, world.today_url)

    assert page.h1 == "My medications"
    assert "Today, Monday 1 June" in page.main
    assert [row.find("span", cls="dose__time").text for row in page.rows] == [
        "00:30",
        "08:00",
        "09:00",
        "10:00",
        "11:30",
        "12:45",
        "18:00",
    ]
    assert [row.find("span", cls="dose__name").text for row in page.rows] == [
        "Amlodipine",
        "Metformin",
        "Aspirin",
        "Bisoprolol",
        "Digoxin",
        "Enalapril",
        "Furosemide",
    ]
    shown = ["missed", "taken", "late", "skipped", "due_now", "due_soon", "later"]
    labels = {name: page.row(busy_day[name]).find("p", cls="dose__state").text for name in shown}
    assert labels == {
        "missed": "Missed",
        "taken": "Taken at 08:12",
        "late": "Taken at 10:30 (late)",
        "skipped": "Skipped: felt unwell",
        "due_now": "Due now",
        "due_soon": "Due soon",
        "later": "Later today",
    }
    assert "1 tablet · with food" in page.row(busy_day["taken"]).text
    for name in ("Tomorrow tablet", "Yesterday tablet", "Olga's tablet"):
        assert name not in page.main


def test_today_in_a_zone_far_ahead_of_utc_is_that_zones_day(client):
    """11:00 UTC on Monday is 23:00 on Monday in Auckland; 20:00 UTC on Monday is already Tuesday there."""
    tom = PatientFactory(time_zone="Pacific/Auckland")
    pill = medication(tom, "Warfarin")
    monday = dose_at(pill, "07:00")  # Sunday 19:00 UTC
    tuesday = dose_at(pill, "08:00", TODAY + timedelta(days=1))  # Monday 20:00 UTC, today in UTC
    client.force_login(tom.user)

    page = get(client, reverse("patients:detail", args=[tom.pk]))

    assert "Today, Monday 1 June" in page.main
    assert [row.attrs["id"] for row in page.rows] == [f"dose-{monday.pk}"]
    assert page.row(monday).find("span", cls="dose__time").text == "07:00"
    assert f"dose-{tuesday.pk}" not in page.response.content.decode()


def test_a_new_time_zone_on_the_profile_page_moves_todays_doses_to_the_same_local_time(client, world):
    """Monday 11:00 UTC: Ann's 18:00 in London is 17:00 UTC; once she moves to New York her 18:00
    there is 22:00 UTC. The profile page (patients) reaches reminders through the profile's followers."""
    services.medication_create(
        patient=world.ann,
        schedule=Schedule.from_json(daily("18:00", start=TODAY)),
        medication_name="Furosemide",
        dosage="40 mg",
    )
    client.force_login(world.ann.user)

    saved = post(
        client,
        reverse("patients:profile"),
        {
            "display_name": "Ann Example",
            "phone_number": world.ann.phone_number,
            "time_zone": "America/New_York",
            "is_active": "on",
        },
    )

    assert saved.tagged_messages == [("success", "Your profile is saved.")]
    page = get(client, world.today_url)
    assert [describe(row) for row in page.rows] == [("18:00", "Furosemide", "Later today")]
    next_dose = Dose.objects.filter(scheduled_at__gt=NOW).earliest("scheduled_at")
    assert next_dose.scheduled_at == datetime.datetime(2026, 6, 1, 22, 0, tzinfo=UTC)


def test_today_on_the_day_the_clocks_go_back_has_twenty_five_hours(client, world, clock):
    clock.move_to(datetime.datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    client.force_login(world.ann.user)
    pill = medication(world.ann, "Metformin")
    sunday = datetime.date(2026, 10, 25)
    first = dose_at(pill, "00:30", sunday)  # BST: Saturday 23:30 UTC
    last = dose_at(pill, "23:30", sunday)  # GMT: Sunday 23:30 UTC
    dose_at(pill, "23:59", sunday - timedelta(days=1))  # Saturday 22:59 UTC: Saturday there too
    dose_at(pill, "00:30", sunday + timedelta(days=1))  # Monday 00:30 GMT

    page = get(client, world.today_url)

    assert "Today, Sunday 25 October" in page.main
    assert [row.attrs["id"] for row in page.rows] == [f"dose-{first.pk}", f"dose-{last.pk}"]
    assert [row.find("span", cls="dose__time").text for row in page.rows] == ["00:30", "23:30"]


def test_a_caregiver_who_may_confirm_sees_taken_buttons_and_a_view_only_caregiver_none(
    client, world, busy_day
):
    AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    actionable = ["missed", "due_now", "due_soon", "later"]

    client.force_login(world.carl)
    carl_page = get(client, world.today_url)
    client.force_login(world.vera)
    vera_page = get(client, world.today_url)

    assert carl_page.h1 == "Ann Example"
    assert "Their time now: Monday 1 June, 12:00 (Europe/London)" in carl_page.main
    assert "You may confirm doses" in carl_page.main
    for name in actionable:
        taken_url = world.url("dose_taken", busy_day[name].pk)
        assert carl_page.form_posting_to(taken_url) is not None, name
        assert "Taken" in carl_page.form_posting_to(taken_url).find("button").text
        assert carl_page.form_posting_to(world.url("dose_skip", busy_day[name].pk)) is not None
    for name in ("taken", "late", "skipped"):
        assert carl_page.form_posting_to(world.url("dose_taken", busy_day[name].pk)) is None, name
    assert "Take a dose now of Paracetamol" in carl_page.main

    assert "Read-only: you can see, not confirm" in vera_page.main
    assert [row.find("span", cls="dose__name").text for row in vera_page.rows] == [
        row.find("span", cls="dose__name").text for row in carl_page.rows
    ]
    assert vera_page.root.find("main").find_all("form") == []
    assert "Take a dose now" not in vera_page.main
    assert "Paracetamol" in vera_page.main  # seen, not taken


def test_an_as_needed_medication_offers_take_a_dose_now(client, world):
    AsNeededFactory(patient=world.ann, medication_name="Paracetamol", dosage="1 g")
    client.force_login(world.ann.user)

    page = get(client, world.today_url)

    section = page.root.find("section", aria_labelledby="as-needed-heading")
    assert "When needed" in section.text
    assert "Paracetamol" in section.text
    assert "1 g · at most 4 in 24 hours" in section.text
    assert section.find("button").text == "Take a dose now of Paracetamol"
    assert page.rows == []
    assert "No doses today." in page.main


# --- Taken, taken at, skip, undo: plain posts ---------------------------------------------------------


def test_taken_goes_back_to_today_with_a_message_and_the_dose_taken(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    response = client.post(world.url("dose_taken", dose.pk), {"next": world.today_url})

    assert response.status_code == 302
    assert response.url == world.today_url
    page = get(client, response.url)
    assert page.messages == ["Digoxin: taken."]
    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 12:00"
    dose.refresh_from_db()
    assert (dose.status, dose.taken_at) == (Dose.Status.TAKEN, NOW)
    (log,) = ConfirmationLog.objects.filter(dose=dose)
    assert (log.role, log.method, log.confirmed_by, log.confirmed_at, log.late) == (
        ConfirmationLog.Role.PATIENT,
        ConfirmationLog.Method.WEB,
        world.ann.user,
        NOW,
        False,
    )


def test_taken_at_a_time_records_that_time_in_the_patients_zone(client, world):
    dose = dose_at(medication(world.ann, "Metformin"), "08:00")
    client.force_login(world.ann.user)

    page = post(client, world.url("dose_taken", dose.pk), {"taken_at": "07:30", "next": world.today_url})

    dose.refresh_from_db()
    assert dose.taken_at == datetime.datetime(2026, 6, 1, 6, 30, tzinfo=UTC)  # 07:30 BST
    assert dose.status == Dose.Status.TAKEN
    assert ConfirmationLog.objects.get(dose=dose).confirmed_at == dose.taken_at
    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 07:30"
    assert page.messages == ["Metformin: taken."]


def test_taken_at_after_the_window_is_shown_as_late(client, world):
    dose = dose_at(medication(world.ann, "Metformin"), "08:00")
    client.force_login(world.ann.user)

    page = post(client, world.url("dose_taken", dose.pk), {"taken_at": "11:15", "next": world.today_url})

    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 11:15 (late)"
    assert ConfirmationLog.objects.get(dose=dose).late is True


@pytest.mark.parametrize("typed", ["7.30pm", "25:00", "half past seven"])
def test_a_time_that_is_not_a_time_gives_a_message_and_records_nothing(client, world, typed):
    dose = dose_at(medication(world.ann, "Metformin"), "08:00")
    client.force_login(world.ann.user)

    page = post(client, world.url("dose_taken", dose.pk), {"taken_at": typed, "next": world.today_url})

    assert page.messages == ["Give the time as hours and minutes, like 08:15."]
    assert page.row(dose).find("p", cls="dose__state").text == "Missed"
    dose.refresh_from_db()
    assert dose.status == Dose.Status.PENDING
    assert not ConfirmationLog.objects.exists()


def test_a_time_that_cannot_be_right_for_the_dose_is_refused(client, world):
    """09:00 for a dose due at 22:00: 13 hours before it, or tomorrow morning, still to come."""
    dose = dose_at(medication(world.ann, "Furosemide"), "22:00")
    client.force_login(world.ann.user)

    page = post(client, world.url("dose_taken", dose.pk), {"taken_at": "09:00", "next": world.today_url})

    assert len(page.error_messages) == 1
    assert not ConfirmationLog.objects.exists()
    dose.refresh_from_db()
    assert dose.status == Dose.Status.PENDING


def test_skip_with_a_reason(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    page = post(client, world.url("dose_skip", dose.pk), {"reason": "unwell", "next": world.today_url})

    assert page.messages == ["Digoxin: skipped."]
    assert page.row(dose).find("p", cls="dose__state").text == "Skipped: felt unwell"
    dose.refresh_from_db()
    assert (dose.status, dose.skip_reason, dose.resolved_at) == (Dose.Status.SKIPPED, "unwell", NOW)
    assert not ConfirmationLog.objects.exists()


def test_skip_for_another_reason_without_javascript_asks_for_the_note_and_keeps_what_was_typed(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    page = post(client, world.url("dose_skip", dose.pk), {"reason": "other", "note": "  ", "next": "/"})

    assert page.h1 == "Skip Digoxin at 11:30?"
    assert page.error("note") == "Say in a few words why you are skipping this dose."
    assert page.values()["reason"] == ["other"]
    dose.refresh_from_db()
    assert dose.status == Dose.Status.PENDING

    # No reason chosen: the note typed is still there.
    page = post(client, world.url("dose_skip", dose.pk), {"note": "At the hospital"})
    assert page.error("reason") == "This field is required."
    assert page.values()["note"] == ["At the hospital"]
    assert page.values()["reason"] == []

    # Sending the page's own form, completed, skips the dose.
    data = page.values() | {"reason": ["other"]}
    page = post(client, world.url("dose_skip", dose.pk), data)
    assert page.messages == ["Digoxin: skipped."]
    assert "Skipped: other “At the hospital”" in page.row(dose).text
    dose.refresh_from_db()
    assert (dose.status, dose.skip_reason, dose.skip_note) == ("skipped", "other", "At the hospital")


def test_the_skip_page_itself_shows_the_reasons(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    page = get(client, world.url("dose_skip", dose.pk))

    assert page.h1 == "Skip Digoxin at 11:30?"
    for reason in ("Felt unwell", "Ran out", "Doctor's advice", "Away from my medicines", "Other"):
        assert reason in page.main
    dose.refresh_from_db()
    assert dose.status == Dose.Status.PENDING


def test_a_skip_from_a_history_day_that_needs_a_note_still_goes_back_to_that_day(client, world):
    yesterday = TODAY - timedelta(days=1)
    dose = dose_at(medication(world.ann, "Digoxin"), "20:00", yesterday)
    client.force_login(world.ann.user)
    day_url = world.url("history_day", "2026-05-31")
    row_form = get(client, day_url).form_posting_to(world.url("dose_skip", dose.pk))

    page = post(client, world.url("dose_skip", dose.pk), row_form.values() | {"reason": ["other"]})
    assert page.error("note") == "Say in a few words why you are skipping this dose."
    response = client.post(world.url("dose_skip", dose.pk), page.values() | {"note": ["Out all evening"]})

    assert response.status_code == 302
    assert response.url == day_url


def test_undo_within_ten_minutes_puts_the_dose_back(client, world, clock):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)
    page = post(client, world.url("dose_taken", dose.pk), {"next": world.today_url})
    undo_url = world.url("dose_undo", dose.pk)
    assert page.form_posting_to(undo_url).find("button").text.startswith("Undo Digoxin")

    clock.shift(timedelta(minutes=9))
    page = post(client, undo_url, {"next": world.today_url})

    assert page.messages == ["Digoxin: undone."]
    assert page.row(dose).find("p", cls="dose__state").text == "Due now"
    assert page.form_posting_to(undo_url) is None
    assert page.form_posting_to(world.url("dose_taken", dose.pk)) is not None
    dose.refresh_from_db()
    assert (dose.status, dose.taken_at) == (Dose.Status.PENDING, None)
    (log,) = ConfirmationLog.objects.filter(dose=dose)
    assert log.undone_at == NOW + timedelta(minutes=9)


def test_undo_after_ten_minutes_is_refused_and_the_button_is_gone(client, world, clock):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)
    client.post(world.url("dose_taken", dose.pk))

    clock.shift(timedelta(minutes=11))
    assert get(client, world.today_url).form_posting_to(world.url("dose_undo", dose.pk)) is None
    page = post(client, world.url("dose_undo", dose.pk), {"next": world.today_url})

    assert page.messages == ["It is too late to undo: that was more than 10 minutes ago."]
    dose.refresh_from_db()
    assert dose.status == Dose.Status.TAKEN
    assert ConfirmationLog.objects.get(dose=dose).undone_at is None


def test_undo_of_a_late_dose_leaves_it_missed_and_it_can_be_taken_again(client, world):
    dose = dose_at(medication(world.ann, "Metformin"), "08:00")
    client.force_login(world.ann.user)
    post(client, world.url("dose_taken", dose.pk), {"next": world.today_url})

    page = post(client, world.url("dose_undo", dose.pk), {"next": world.today_url})

    assert page.row(dose).find("p", cls="dose__state").text == "Missed"
    dose.refresh_from_db()
    assert (dose.status, dose.taken_at) == (Dose.Status.MISSED, None)
    page = post(client, world.url("dose_taken", dose.pk), {"taken_at": "08:20", "next": world.today_url})
    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 08:20"
    assert ConfirmationLog.objects.filter(dose=dose, undone_at__isnull=True).count() == 1
    assert ConfirmationLog.objects.filter(dose=dose).count() == 2


def test_undo_of_a_skip(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)
    post(client, world.url("dose_skip", dose.pk), {"reason": "ran_out"})

    page = post(client, world.url("dose_undo", dose.pk), {"next": world.today_url})

    assert page.messages == ["Digoxin: undone."]
    dose.refresh_from_db()
    assert (dose.status, dose.skip_reason) == (Dose.Status.PENDING, "")


def test_tapping_taken_twice_leaves_one_confirmation(client, world, clock):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    client.post(world.url("dose_taken", dose.pk), {"next": world.today_url})
    clock.shift(timedelta(seconds=2))
    page = post(client, world.url("dose_taken", dose.pk), {"next": world.today_url})

    assert ConfirmationLog.objects.filter(dose=dose).count() == 1
    dose.refresh_from_db()
    assert dose.taken_at == NOW
    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 12:00"


def test_taken_after_a_skip_says_to_undo_the_skip_first(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)
    post(client, world.url("dose_skip", dose.pk), {"reason": "unwell"})

    page = post(client, world.url("dose_taken", dose.pk), {"next": world.today_url})

    assert page.messages == ["This dose was skipped. Undo the skip first."]
    assert not ConfirmationLog.objects.exists()


def test_an_action_never_sends_you_off_site(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    response = client.post(world.url("dose_taken", dose.pk), {"next": "https://evil.example/"})

    assert response.url == world.today_url


# --- The same actions with htmx ---------------------------------------------------------------------


def test_htmx_taken_returns_only_the_updated_row_with_an_undo_button(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    fragment = htmx_post(client, world.url("dose_taken", dose.pk), {"next": world.today_url})

    (row,) = fragment.find_all("li")
    assert row.attrs["id"] == f"dose-{dose.pk}"
    assert "dose--taken" in row.classes
    assert row.find("p", cls="dose__state").text == "Taken at 12:00"
    undo = next(
        form for form in row.find_all("form") if form.attrs["action"] == world.url("dose_undo", dose.pk)
    )
    assert undo.attrs["hx-post"] == world.url("dose_undo", dose.pk)
    # The row is the target of every form in it: the answer replaces the whole row.
    assert (row.attrs["hx-target"], row.attrs["hx-swap"]) == ("this", "outerHTML")
    assert undo.values()["next"] == [world.today_url]
    assert undo.find("button").text.startswith("Undo Digoxin")
    assert world.url("dose_taken", dose.pk) not in [form.attrs["action"] for form in row.find_all("form")]
    dose.refresh_from_db()
    assert dose.status == Dose.Status.TAKEN
    # No message waits for the next page: the row said it all.
    assert get(client, world.today_url).messages == []


def test_every_form_of_a_dose_row_posts_by_htmx_where_it_posts_without_and_inherits_the_rest(
    client, world, busy_day
):
    client.force_login(world.ann.user)

    page = get(client, world.today_url)

    forms = [form for row in page.rows for form in row.find_all("form")]
    assert len(forms) > len(page.rows)
    assert all(form.attrs["hx-post"] == form.attrs["action"] for form in forms)
    assert all("hx-target" not in form.attrs and "hx-swap" not in form.attrs for form in forms)
    assert {(row.attrs["hx-target"], row.attrs["hx-swap"]) for row in page.rows} == {("this", "outerHTML")}
    assert "X-CSRFToken" in page.root.find("body").attrs["hx-headers"]


def test_htmx_taken_at_skip_and_undo_each_return_the_row(client, world):
    first = dose_at(medication(world.ann, "Metformin"), "08:00")
    second = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    row = htmx_post(client, world.url("dose_taken", first.pk), {"taken_at": "07:45"}).find("li")
    assert row.find("p", cls="dose__state").text == "Taken at 07:45"

    row = htmx_post(client, world.url("dose_skip", second.pk), {"reason": "away"}).find("li")
    assert row.attrs["id"] == f"dose-{second.pk}"
    assert row.find("p", cls="dose__state").text == "Skipped: away from my medicines"
    assert row.find("button", type="submit").text.startswith("Undo Digoxin")

    row = htmx_post(client, world.url("dose_undo", second.pk)).find("li")
    assert row.find("p", cls="dose__state").text == "Due now"
    assert "Taken Digoxin 11:30" in row.find("button").text
    assert get(client, world.today_url).messages == []


def test_htmx_errors_come_back_inside_the_row(client, world, clock):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.ann.user)

    row = htmx_post(client, world.url("dose_taken", dose.pk), {"taken_at": "soon"}).find("li")
    assert row.attrs["id"] == f"dose-{dose.pk}"
    assert row.find(role="alert").text == "Give the time as hours and minutes, like 08:15."
    assert row.find("p", cls="dose__state").text == "Due now"

    row = htmx_post(client, world.url("dose_skip", dose.pk), {"reason": "other", "note": ""}).find("li")
    assert row.find(role="alert").text == "Say in a few words why you are skipping this dose."

    htmx_post(client, world.url("dose_taken", dose.pk))
    clock.shift(timedelta(minutes=15))
    row = htmx_post(client, world.url("dose_undo", dose.pk)).find("li")
    assert row.find(role="alert").text == "It is too late to undo: that was more than 10 minutes ago."
    assert row.find("p", cls="dose__state").text == "Taken at 12:00"
    dose.refresh_from_db()
    assert dose.status == Dose.Status.TAKEN


def snooze_offers(row: Node) -> list[str]:
    """The "Remind me again in" buttons of a dose row, as their posted values."""
    return [button.attrs["value"] for button in row.find_all("button", name="minutes")]


def test_a_due_dose_offers_only_the_snoozes_that_come_before_it_counts_as_missed(client, world):
    # 12:00 in London. The Digoxin dose counts as missed at 12:40, Metformin's at 12:20.
    digoxin = dose_at(medication(world.ann, "Digoxin"), "11:40")
    metformin = dose_at(medication(world.ann, "Metformin"), "11:20")
    later = dose_at(medication(world.ann, "Enalapril"), "12:45")
    client.force_login(world.ann.user)

    page = get(client, world.today_url)

    assert snooze_offers(page.row(digoxin)) == ["10", "30"]
    assert snooze_offers(page.row(metformin)) == ["10"]
    assert snooze_offers(page.row(later)) == []  # not due yet: nothing to snooze
    # A caregiver who may confirm sees no snooze: the reminders are the patient's.
    client.force_login(world.carl)
    assert snooze_offers(get(client, world.today_url).row(digoxin)) == []


def test_snoozing_says_when_the_next_reminder_comes(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:40")
    client.force_login(world.ann.user)

    page = post(client, world.url("dose_snooze", dose.pk), {"minutes": "30", "next": world.today_url})

    assert page.messages == ["Digoxin: we will remind you again at 12:30."]
    assert "Next reminder 12:30" in page.row(dose).text
    dose.refresh_from_db()
    assert dose.remind_again_at == NOW + timedelta(minutes=30)


def test_htmx_snooze_returns_the_row_and_a_too_late_snooze_says_why(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:40")
    client.force_login(world.ann.user)

    row = htmx_post(client, world.url("dose_snooze", dose.pk), {"minutes": "10"}).find("li")
    assert row.attrs["id"] == f"dose-{dose.pk}"
    assert "Next reminder 12:10" in row.text

    row = htmx_post(client, world.url("dose_snooze", dose.pk), {"minutes": "60"}).find("li")
    assert row.find(role="alert").text == (
        "A reminder then would be too late: this dose counts as missed at 12:40. Take it now, or skip it."
    )
    dose.refresh_from_db()
    assert dose.remind_again_at == NOW + timedelta(minutes=10)


def test_htmx_undo_of_an_as_needed_dose_removes_the_row(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    client.force_login(world.ann.user)
    client.post(world.url("medication_take", paracetamol.pk))
    dose = Dose.objects.get(reminder=paracetamol)
    get(client, world.today_url)  # the "recorded" message is read

    response = client.post(world.url("dose_undo", dose.pk), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.content == b""
    assert not Dose.objects.filter(reminder=paracetamol).exists()


def test_undoing_an_as_needed_dose_keeps_its_confirmation_marked_undone(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    client.force_login(world.ann.user)
    client.post(world.url("medication_take", paracetamol.pk))
    dose = Dose.objects.get(reminder=paracetamol)

    client.post(world.url("dose_undo", dose.pk), {"next": world.today_url})

    log = ConfirmationLog.objects.get(reminder=paracetamol)
    assert (log.confirmed_by, log.undone_at) == (world.ann.user, NOW)


def test_htmx_undo_of_an_as_needed_dose_leaves_no_message_for_later(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    client.force_login(world.ann.user)
    client.post(world.url("medication_take", paracetamol.pk))
    dose = Dose.objects.get(reminder=paracetamol)
    get(client, world.today_url)

    client.post(world.url("dose_undo", dose.pk), HTTP_HX_REQUEST="true")

    assert get(client, world.today_url).messages == []


def test_undo_of_an_as_needed_dose_without_javascript(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    client.force_login(world.ann.user)
    client.post(world.url("medication_take", paracetamol.pk))
    dose = Dose.objects.get(reminder=paracetamol)

    page = post(client, world.url("dose_undo", dose.pk), {"next": world.today_url})

    assert "The dose of Paracetamol is removed." in page.messages
    assert page.rows == []


# --- As needed ---------------------------------------------------------------------------------------


def test_take_a_dose_now_records_a_dose(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol", dosage="1 g")
    client.force_login(world.ann.user)
    form = get(client, world.today_url).form_posting_to(world.url("medication_take", paracetamol.pk))

    response = client.post(form.attrs["action"], form.values())

    assert response.url == world.today_url
    page = get(client, response.url)
    assert page.messages == ["A dose of Paracetamol is recorded."]
    (dose,) = Dose.objects.filter(reminder=paracetamol)
    assert (dose.as_needed, dose.status, dose.taken_at, dose.dosage) == (True, "taken", NOW, "1 g")
    assert page.row(dose).find("span", cls="dose__time").text == "12:00"
    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 12:00"
    log = ConfirmationLog.objects.get(dose=dose)
    assert (log.role, log.confirmed_by) == (ConfirmationLog.Role.PATIENT, world.ann.user)


def test_tapping_take_a_dose_now_twice_records_one_dose(client, world, clock):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    client.force_login(world.ann.user)

    client.post(world.url("medication_take", paracetamol.pk))
    clock.shift(timedelta(seconds=5))
    client.post(world.url("medication_take", paracetamol.pk))

    assert Dose.objects.filter(reminder=paracetamol).count() == 1
    assert ConfirmationLog.objects.filter(reminder=paracetamol).count() == 1


def test_a_paused_as_needed_medication_is_not_offered(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    client.force_login(world.ann.user)

    post(client, world.url("medication_pause", paracetamol.pk))
    page = get(client, world.today_url)

    assert "Take a dose now" not in page.main
    assert page.root.find("section", aria_labelledby="as-needed-heading") is None


def test_over_the_maximum_asks_first_and_records_nothing_until_record_it_anyway(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    for hours_ago in (20, 12, 6, 2):
        at = NOW - timedelta(hours=hours_ago)
        services.as_needed_take(reminder=paracetamol, by=world.ann.user, method="web", taken_at=at, now=at)
    client.force_login(world.ann.user)

    page = post(client, world.url("medication_take", paracetamol.pk), {"next": world.today_url})

    assert page.h1 == "Take another dose of Paracetamol?"
    assert "You have taken 4 doses in the last 24 hours; the most for this medication is 4." in page.main
    assert Dose.objects.filter(reminder=paracetamol).count() == 4

    anyway = page.form_posting_to(world.url("medication_take", paracetamol.pk))
    assert anyway.find("button").text == "Record it anyway"
    page = post(client, anyway.attrs["action"], anyway.values())

    assert page.messages == ["A dose of Paracetamol is recorded."]
    assert Dose.objects.filter(reminder=paracetamol).count() == 5
    assert Dose.objects.filter(reminder=paracetamol, taken_at=NOW).exists()


def test_doses_older_than_the_period_do_not_count_towards_the_maximum(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    for hours_ago in (30, 25, 6, 2):
        at = NOW - timedelta(hours=hours_ago)
        services.as_needed_take(reminder=paracetamol, by=world.ann.user, method="web", taken_at=at, now=at)
    client.force_login(world.ann.user)

    page = post(client, world.url("medication_take", paracetamol.pk), {"next": world.today_url})

    assert page.messages == ["A dose of Paracetamol is recorded."]
    assert Dose.objects.filter(reminder=paracetamol).count() == 5


def test_take_a_dose_now_of_a_scheduled_medication_is_refused(client, world):
    pill = medication(world.ann, "Metformin")
    client.force_login(world.ann.user)

    page = post(client, world.url("medication_take", pill.pk), {"next": world.today_url})

    assert page.messages == ["Metformin has set times: confirm one of today's doses."]
    assert not Dose.objects.exists()


# --- A caregiver confirms for the patient ----------------------------------------------------------


def test_a_caregiver_confirms_on_the_patients_behalf(client, world):
    dose = dose_at(medication(world.ann, "Digoxin"), "11:30")
    client.force_login(world.carl)

    carl_page = post(client, world.url("dose_taken", dose.pk), {"next": world.today_url})

    assert carl_page.messages == ["Digoxin: taken."]
    log = ConfirmationLog.objects.get(dose=dose)
    assert (log.role, log.confirmed_by, log.method) == (ConfirmationLog.Role.CAREGIVER, world.carl, "web")
    client.force_login(world.ann.user)
    row = get(client, world.today_url).row(dose)
    assert row.find("p", cls="dose__state").text == "Taken at 12:00 by carl@example.org"


def test_a_caregiver_takes_an_as_needed_dose_for_the_patient(client, world):
    paracetamol = AsNeededFactory(patient=world.ann, medication_name="Paracetamol")
    client.force_login(world.carl)

    client.post(world.url("medication_take", paracetamol.pk), {"next": world.today_url})

    log = ConfirmationLog.objects.get(reminder=paracetamol)
    assert (log.role, log.confirmed_by) == (ConfirmationLog.Role.CAREGIVER, world.carl)
    client.force_login(world.ann.user)
    assert "by carl@example.org" in get(client, world.today_url).row(log.dose).text


# --- History -------------------------------------------------------------------------------------------


@pytest.fixture
def may(world):
    """Ann's May: a mixed day (the 10th), a good day (the 11th), and doses at the edges of local days."""
    ann = world.ann
    metformin = medication(ann, "Metformin")
    aspirin = medication(ann, "Aspirin")
    tenth, eleventh = datetime.date(2026, 5, 10), datetime.date(2026, 5, 11)
    doses = {
        "tenth_taken": taken(metformin, "08:00", "08:05", tenth),
        "tenth_missed": dose_at(metformin, "20:00", tenth),
        "tenth_skipped": dose_at(
            aspirin,
            "09:00",
            tenth,
            status="skipped",
            skip_reason="doctor",
            resolved_at=NOW - timedelta(days=22),
        ),
        "eleventh_metformin": taken(metformin, "08:00", "08:01", eleventh),
        "eleventh_aspirin": taken(aspirin, "09:00", "11:30", eleventh),
        # 00:30 on 1 May in London is 30 April in UTC; 00:30 on 1 June is 31 May in UTC.
        "first_of_may": dose_at(metformin, "00:30", datetime.date(2026, 5, 1), status="missed"),
        "first_of_june": dose_at(aspirin, "00:30", TODAY),
        "this_evening": dose_at(aspirin, "20:00", TODAY),
    }
    return {"metformin": metformin, "aspirin": aspirin, **doses}


def calendar_cell(page: Page, day: int) -> str:
    """What a screen reader says for one day of the month shown."""
    for cell in page.root.find("table", cls="calendar").find_all("td"):
        if "calendar__other" in cell.classes:
            continue
        if cell.find("span", cls="calendar__date").text.split()[0] == str(day):
            return cell.spoken
    raise AssertionError(f"no day {day}")


def month_links(page: Page) -> dict[str, str]:
    return {link.text: link.attrs["href"] for link in page.root.find("nav", cls="month-nav").find_all("a")}


def test_history_shows_a_month_with_counts_per_local_day(client, world, may):
    client.force_login(world.ann.user)

    page = get(client, world.url("history") + "?month=2026-05")

    assert page.h1 == "My history"
    assert page.root.find("nav", cls="month-nav").find("h2").text == "May 2026"
    assert calendar_cell(page, 10) == "10 May 1 taken 1 missed 1 skipped"
    assert calendar_cell(page, 11) == "11 May 2 taken"
    assert calendar_cell(page, 1) == "1 May 1 missed"
    assert calendar_cell(page, 30) == "30"
    assert calendar_cell(page, 31) == "31"
    tenth = page.root.find("a", href=world.url("history_day", "2026-05-10"))
    assert tenth is not None
    assert page.root.find("a", href=world.url("history_day", "2026-05-31")) is None
    assert "calendar__missed" in tenth.parent.classes
    assert (
        "calendar__all-taken"
        in page.root.find("a", href=world.url("history_day", "2026-05-11")).parent.classes
    )


def test_history_links_to_the_previous_and_next_months_but_not_past_this_one(client, world, may):
    client.force_login(world.ann.user)

    may_page = get(client, world.url("history") + "?month=2026-05")
    june_page = get(client, world.url("history"))

    may_nav = {
        link.text: link.attrs["href"] for link in may_page.root.find("nav", cls="month-nav").find_all("a")
    }
    assert may_nav == {"← April 2026": "?month=2026-04", "June 2026 →": "?month=2026-06"}
    june_nav = {
        link.text: link.attrs["href"] for link in june_page.root.find("nav", cls="month-nav").find_all("a")
    }
    assert june_nav == {"← May 2026": "?month=2026-05"}
    assert june_page.root.find("nav", cls="month-nav").find("h2").text == "June 2026"
    assert calendar_cell(june_page, 1) == "1 June 1 missed 1 to come"
    assert (
        "calendar__today"
        in june_page.root.find("a", href=world.url("history_day", "2026-06-01")).parent.classes
    )


def test_history_filtered_to_one_medication(client, world, may):
    aspirin = may["aspirin"]
    client.force_login(world.ann.user)

    page = get(client, world.url("history") + f"?month=2026-05&medication={aspirin.pk}")

    assert calendar_cell(page, 10) == "10 May 1 skipped"
    assert calendar_cell(page, 11) == "11 May 1 taken"
    assert calendar_cell(page, 1) == "1"
    assert page.root.find("form", cls="filter").values()["medication"] == [str(aspirin.pk)]
    assert page.root.find("form", cls="filter").values()["month"] == ["2026-05"]
    assert month_links(page)["← April 2026"] == f"?month=2026-04&medication={aspirin.pk}"
    assert page.root.find("a", href=world.url("history_day", "2026-05-10") + f"?medication={aspirin.pk}")


def test_a_medication_filter_of_another_patient_is_ignored(client, world, may):
    olgas = medication(PatientFactory(), "Olga's tablet")
    client.force_login(world.ann.user)

    page = get(client, world.url("history") + f"?month=2026-05&medication={olgas.pk}")

    assert calendar_cell(page, 10) == "10 May 1 taken 1 missed 1 skipped"
    assert "Olga's tablet" not in page.main


@pytest.mark.parametrize("month", ["2026-13", "banana", "2026", "2026-05-01", "", "2026-00"])
def test_a_bad_month_falls_back_to_this_month(client, world, may, month):
    client.force_login(world.ann.user)

    page = get(client, world.url("history") + f"?month={month}")

    assert page.root.find("nav", cls="month-nav").find("h2").text == "June 2026"


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_a_month_at_the_end_of_the_calendar_falls_back_to_this_month(client, world, month):
    client.force_login(world.ann.user)
    client.raise_request_exception = False

    response = client.get(world.url("history") + f"?month={month}")

    assert response.status_code == 200
    assert Page(response).root.find("nav", cls="month-nav").find("h2").text == "June 2026"


def test_history_day_lists_that_days_doses_with_their_states(client, world, may):
    client.force_login(world.ann.user)

    page = get(client, world.url("history_day", "2026-05-10"))

    assert page.h1 == "Sunday 10 May 2026"
    assert [describe(row) for row in page.rows] == [
        ("08:00", "Metformin", "Taken at 08:05"),
        ("09:00", "Aspirin", "Skipped: doctor's advice"),
        ("20:00", "Metformin", "Missed"),
    ]
    back = page.root.find("main").find("a")
    assert (back.text, back.attrs["href"]) == ("Back to May 2026", world.url("history") + "?month=2026-05")


def test_history_day_filtered_to_one_medication_and_at_the_edge_of_a_local_day(client, world, may):
    client.force_login(world.ann.user)

    aspirin_only = get(client, world.url("history_day", "2026-05-11") + f"?medication={may['aspirin'].pk}")
    first = get(client, world.url("history_day", "2026-05-01"))
    last = get(client, world.url("history_day", "2026-05-31"))

    assert "Aspirin only" in aspirin_only.main
    assert [row.find("p", cls="dose__state").text for row in aspirin_only.rows] == ["Taken at 11:30 (late)"]
    assert [row.find("span", cls="dose__time").text for row in first.rows] == ["00:30"]
    assert last.rows == []
    assert "No doses on this day." in last.main


def test_history_day_actions_come_back_to_that_day(client, world):
    yesterday = TODAY - timedelta(days=1)
    dose = dose_at(medication(world.ann, "Digoxin"), "20:00", yesterday)
    client.force_login(world.ann.user)
    day_url = world.url("history_day", "2026-05-31")
    form = get(client, day_url).form_posting_to(world.url("dose_taken", dose.pk))

    response = client.post(form.attrs["action"], form.values())

    assert response.url == day_url
    page = get(client, day_url)
    assert page.messages == ["Digoxin: taken."]
    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 12:00 (late)"


def test_taken_at_from_an_earlier_history_day_is_that_days_time(client, world):
    friday = datetime.date(2026, 5, 29)
    dose = dose_at(medication(world.ann, "Digoxin"), "08:00", friday)
    client.force_login(world.ann.user)
    day_url = world.url("history_day", "2026-05-29")
    forms = get(client, day_url).root.find_all("form", action=world.url("dose_taken", dose.pk))
    (taken_at_form,) = [form for form in forms if "taken_at" in form.values()]

    page = post(client, taken_at_form.attrs["action"], taken_at_form.values() | {"taken_at": ["08:10"]})

    dose.refresh_from_db()
    assert dose.taken_at == local(world.ann, friday, "08:10")
    assert page.row(dose).find("p", cls="dose__state").text == "Taken at 08:10"


def test_a_view_only_caregiver_sees_the_history_day_without_buttons(client, world, may):
    client.force_login(world.vera)

    page = get(client, world.url("history_day", "2026-05-10"))

    assert len(page.rows) == 3
    assert page.root.find("main").find_all("form") == []


@pytest.mark.parametrize("day", ["2026-02-30", "yesterday", "2026-5-10", "10-05-2026"])
def test_a_bad_day_in_the_url_is_not_found(client, world, day):
    client.force_login(world.ann.user)

    response = client.get(world.url("history_day", day))

    assert response.status_code == 404


def test_the_last_representable_day_is_not_found_rather_than_a_server_error(client, world):
    client.force_login(world.ann.user)
    client.raise_request_exception = False

    response = client.get(world.url("history_day", "9999-12-31"))

    assert response.status_code == 404


# --- Queries that stay flat --------------------------------------------------------------------------


def _add_medications_with_doses(patient, caregiver, start: int, stop: int) -> None:
    """Medications numbered start..stop-1, each with a dose taken by the caregiver and one still to come."""
    for number in range(start, stop):
        pill = medication(patient, f"Pill {number:02}")
        dose = dose_at(pill, "08:00")
        services.dose_confirm(dose=dose, by=caregiver, method="web", now=NOW)
        dose_at(pill, "20:00")
        AsNeededFactory(patient=patient, medication_name=f"Drops {number:02}")


def test_today_page_queries_do_not_grow_with_the_doses(client, world, django_assert_num_queries):
    client.force_login(world.ann.user)
    _add_medications_with_doses(world.ann, world.carl, 0, 1)
    one = count_queries(client, world.today_url)

    _add_medications_with_doses(world.ann, world.carl, 1, 20)
    with django_assert_num_queries(one):
        response = client.get(world.today_url)

    page = Page(response)
    assert len(page.rows) == 40
    assert page.main.count("by carl@example.org") == 20
    assert page.main.count("Take a dose now") == 20


def test_caregiver_today_page_queries_do_not_grow_with_the_doses(client, world, django_assert_num_queries):
    client.force_login(world.carl)
    _add_medications_with_doses(world.ann, world.carl, 0, 1)
    one = count_queries(client, world.today_url)

    _add_medications_with_doses(world.ann, world.carl, 1, 20)
    with django_assert_num_queries(one):
        response = client.get(world.today_url)

    assert len(Page(response).rows) == 40


def _add_days_of_doses(patient, start: int, stop: int) -> None:
    """May days start..stop-1 (1-based), each with a taken, a missed and a skipped dose."""
    pill = MedicationFactory(patient=patient, medication_name="Metformin")
    for day_number in range(start, stop):
        day = datetime.date(2026, 5, day_number)
        taken(pill, "08:00", "08:05", day)
        dose_at(pill, "14:00", day)
        dose_at(pill, "20:00", day, status="skipped", skip_reason="away", resolved_at=NOW)


def test_history_month_queries_do_not_grow_with_the_days(client, world, django_assert_num_queries):
    client.force_login(world.ann.user)
    url = world.url("history") + "?month=2026-05"
    _add_days_of_doses(world.ann, 1, 2)
    one = count_queries(client, url)

    _add_days_of_doses(world.ann, 2, 21)
    with django_assert_num_queries(one):
        response = client.get(url)

    page = Page(response)
    assert calendar_cell(page, 20) == "20 May 1 taken 1 missed 1 skipped"
    assert len(page.root.find("table", cls="calendar").find_all("a")) == 20


def test_history_day_queries_do_not_grow_with_the_doses(client, world, django_assert_num_queries):
    client.force_login(world.carl)
    url = world.url("history_day", "2026-06-01")
    _add_medications_with_doses(world.ann, world.carl, 0, 1)
    one = count_queries(client, url)

    _add_medications_with_doses(world.ann, world.carl, 1, 20)
    with django_assert_num_queries(one):
        response = client.get(url)

    assert len(Page(response).rows) == 40
