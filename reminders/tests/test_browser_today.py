"""The Today page in a real browser: add a medication, then take, undo, take again and skip its doses.

The clock is fixed (time_machine, ticking, so that the browser's waits still
progress) at 06:30 in London on 1 June 2026: the 07:00 dose is due soon and
the 18:00 one later today (a medication added later than 07:00 would have no
07:00 dose today: doses are made from now on). The live server runs in the
test's process, so it keeps the same clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD
from reminders.models import ConfirmationLog, Dose

pytestmark = pytest.mark.browser

# 06:30 in London (BST, UTC+1): half an hour before the morning dose.
MORNING = datetime(2026, 6, 1, 5, 30, tzinfo=UTC)
TAKEN_AT_ABOUT_NOW = re.compile(r"^Taken at 06:[3-5]\d$")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My medications")


def today(page: Page):
    """The "Today, Monday 1 June" section of the Today page."""
    return page.get_by_role("region", name=re.compile(r"^Today, "))


def dose_row(page: Page, time: str):
    """The row of today's dose at this local time ("07:00")."""
    return today(page).get_by_role("listitem").filter(has=page.get_by_text(time, exact=True))


def label(name: str) -> re.Pattern:
    """A form field's label as Django writes it ("Medication:")."""
    return re.compile(rf"^{re.escape(name)}:?$")


def add_metformin(page: Page) -> None:
    """From the Today page: add Metformin 500 mg, every day at 07:00 and 18:00."""
    today(page).get_by_role("link", name="Add a medication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a medication")
    page.get_by_label(label("Medication")).fill("Metformin")
    page.get_by_label(label("Dose")).fill("500 mg")
    expect(page.get_by_label("At set times", exact=True)).to_be_checked()
    expect(page.get_by_label("Every day")).to_be_checked()
    page.get_by_label(label("Time 1")).fill("07:00")
    page.get_by_label(label("Time 2 (optional)")).fill("18:00")
    page.get_by_role("button", name="Add medication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My medications")
    expect(page.get_by_role("status")).to_contain_text("Metformin is added.")


def expect_two_metformin_doses(page: Page) -> None:
    rows = today(page).get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("07:00")
    expect(rows.nth(1)).to_contain_text("18:00")
    for row in (rows.nth(0), rows.nth(1)):
        expect(row).to_contain_text("Metformin")
        expect(row).to_contain_text("500 mg")


def skip_because_unwell(page: Page, time: str) -> None:
    """Open the panel under a dose ("Taken earlier, or skip": offered from 12 hours before the
    dose, as both are accepted from then) and skip it because of feeling unwell."""
    row = dose_row(page, time)
    row.locator("summary").click()
    skip_reasons = row.get_by_role("group", name="Skip this dose because")
    expect(skip_reasons).to_be_visible()
    skip_reasons.get_by_label("Felt unwell").check()
    row.get_by_role("button", name="Skip this dose").click()


def todays_doses(patient) -> tuple[Dose, Dose]:
    """The doses of 1 June at 07:00 and 18:00 London time."""
    return (
        Dose.objects.get(patient=patient, scheduled_at=datetime(2026, 6, 1, 6, 0, tzinfo=UTC)),
        Dose.objects.get(patient=patient, scheduled_at=datetime(2026, 6, 1, 17, 0, tzinfo=UTC)),
    )


def test_a_patient_adds_a_medication_then_takes_undoes_and_skips_doses_in_place(page, ann):
    with time_machine.travel(MORNING, tick=True):
        sign_in(page, "ann@example.org")
        expect(today(page).get_by_text("No medications yet.")).to_be_visible()
        add_metformin(page)
        expect_two_metformin_doses(page)
        today_url = page.url

        morning, evening = dose_row(page, "07:00"), dose_row(page, "18:00")
        expect(morning.get_by_text("Due soon", exact=True)).to_be_visible()
        expect(evening.get_by_text("Later today", exact=True)).to_be_visible()

        # Each tap swaps its row in place: the page, and this variable, stay.
        page.evaluate("window.__marker = 1")
        morning.get_by_role("button", name="Taken Metformin 07:00", exact=True).click()
        expect(morning.get_by_text(TAKEN_AT_ABOUT_NOW)).to_be_visible()
        expect(morning.get_by_role("button", name="Undo Metformin 07:00", exact=True)).to_be_visible()
        expect(morning.get_by_role("button", name=re.compile(r"^Taken"))).to_have_count(0)
        assert page.evaluate("window.__marker") == 1

        morning.get_by_role("button", name="Undo Metformin 07:00", exact=True).click()
        expect(morning.get_by_text("Due soon", exact=True)).to_be_visible()
        expect(morning.get_by_role("button", name=re.compile("^Undo Metformin"))).to_have_count(0)
        morning.get_by_role("button", name="Taken Metformin 07:00", exact=True).click()
        expect(morning.get_by_text(TAKEN_AT_ABOUT_NOW)).to_be_visible()
        assert page.evaluate("window.__marker") == 1

        skip_because_unwell(page, "18:00")
        expect(evening.get_by_text("Skipped: felt unwell", exact=True)).to_be_visible()
        expect(evening.get_by_role("button", name=re.compile(r"^Taken"))).to_have_count(0)
        expect(evening.get_by_role("button", name="Undo Metformin 18:00", exact=True)).to_be_visible()
        assert page.evaluate("window.__marker") == 1
        assert page.url == today_url
        # The other row was left as it was.
        expect(morning.get_by_text(TAKEN_AT_ABOUT_NOW)).to_be_visible()

        page.reload()
        assert page.evaluate("window.__marker") is None
        expect_two_metformin_doses(page)
        expect(dose_row(page, "07:00").get_by_text(TAKEN_AT_ABOUT_NOW)).to_be_visible()
        expect(dose_row(page, "18:00").get_by_text("Skipped: felt unwell", exact=True)).to_be_visible()

    morning_dose, evening_dose = todays_doses(ann)
    assert morning_dose.reminder.medication_name == "Metformin"
    assert morning_dose.status == Dose.Status.TAKEN
    logs = ConfirmationLog.objects.filter(dose=morning_dose)
    assert logs.filter(undone_at__isnull=True).count() == 1
    assert logs.filter(undone_at__isnull=False).count() == 1
    standing = logs.get(undone_at__isnull=True)
    assert (standing.confirmed_by, standing.role, standing.method) == (
        ann.user,
        ConfirmationLog.Role.PATIENT,
        ConfirmationLog.Method.WEB,
    )
    assert (evening_dose.status, evening_dose.skip_reason) == (Dose.Status.SKIPPED, Dose.SkipReason.UNWELL)
    assert not ConfirmationLog.objects.filter(dose=evening_dose).exists()


def test_without_javascript_taken_undo_and_skip_are_form_posts_back_to_today_with_a_message(open_page, ann):
    with time_machine.travel(MORNING, tick=True), open_page("nojs", java_script_enabled=False) as page:
        sign_in(page, "ann@example.org")
        add_metformin(page)
        expect_two_metformin_doses(page)
        today_url = page.url

        dose_row(page, "07:00").get_by_role("button", name="Taken Metformin 07:00", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Metformin: taken.")
        assert page.url == today_url
        expect(dose_row(page, "07:00").get_by_text(TAKEN_AT_ABOUT_NOW)).to_be_visible()

        dose_row(page, "07:00").get_by_role("button", name="Undo Metformin 07:00", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Metformin: undone.")
        expect(dose_row(page, "07:00").get_by_text("Due soon", exact=True)).to_be_visible()

        dose_row(page, "07:00").get_by_role("button", name="Taken Metformin 07:00", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Metformin: taken.")

        skip_because_unwell(page, "18:00")
        expect(page.get_by_role("status")).to_contain_text("Metformin: skipped.")
        assert page.url == today_url
        expect(dose_row(page, "07:00").get_by_text(TAKEN_AT_ABOUT_NOW)).to_be_visible()
        expect(dose_row(page, "18:00").get_by_text("Skipped: felt unwell", exact=True)).to_be_visible()

    morning_dose, evening_dose = todays_doses(ann)
    assert (morning_dose.status, evening_dose.status) == (Dose.Status.TAKEN, Dose.Status.SKIPPED)
    logs = ConfirmationLog.objects.filter(dose=morning_dose)
    assert logs.filter(undone_at__isnull=True).count() == 1
    assert logs.filter(undone_at__isnull=False).count() == 1


def test_the_medication_form_keeps_what_was_typed_on_a_mistake_and_shows_only_the_groups_that_apply(
    page, ann
):
    with time_machine.travel(MORNING, tick=True):
        sign_in(page, "ann@example.org")
        today(page).get_by_role("link", name="Add a medication").click()
        times = page.get_by_role("group", name="Times")
        most_doses = page.get_by_role("group", name="Most doses")
        expect(times).to_be_visible()
        expect(most_doses).to_be_hidden()
        expect(page.get_by_role("group", name="Tapering steps")).to_be_hidden()

        page.get_by_label(label("Medication")).fill("Metformin")
        page.get_by_label(label("Dose")).fill("500 mg")
        page.get_by_role("button", name="Add medication").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Add a medication")
        time_1 = page.get_by_label(label("Time 1"))
        expect(time_1).to_have_accessible_description("Give at least one time of day.")
        expect(time_1).to_have_attribute("aria-invalid", "true")
        expect(times.get_by_text("Give at least one time of day.")).to_be_visible()
        expect(page.get_by_label(label("Medication"))).to_have_value("Metformin")
        expect(page.get_by_label(label("Dose"))).to_have_value("500 mg")

        page.get_by_label("Only when needed").check()
        expect(times).to_be_hidden()
        expect(most_doses).to_be_visible()
        expect(most_doses.get_by_label(label("At most this many doses (optional)"))).to_be_visible()
        page.get_by_label("At set times", exact=True).check()
        expect(times).to_be_visible()
        expect(most_doses).to_be_hidden()

    assert not ann.medications.exists()
