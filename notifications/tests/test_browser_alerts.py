"""A missed dose reaches the caregiver's open dashboard, in a real browser, without a reload.

The live server runs in the test's process, so moving the clock (time_machine,
ticking so that the browser's waits progress) moves the server's clock too.
The sweep is run the way the scheduler's worker runs it; the dashboard's
alerts and the header badge poll (every second here, 30 in production).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from accounts.tests.factories import PASSWORD
from notifications.sweep import sweep_missed
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.schedule import Schedule
from reminders.tests.factories import daily

pytestmark = pytest.mark.browser

# 07:50 in London (BST, UTC+1): ten minutes before the 08:00 dose.
BEFORE_THE_DOSE = datetime(2026, 6, 1, 6, 50, tzinfo=UTC)
# The dose's five-minute window closed at 08:05.
AFTER_THE_WINDOW = BEFORE_THE_DOSE + timedelta(minutes=16)


@contextmanager
def browser_requests_held(page: Page) -> Iterator[None]:
    """Run the block while the page sends nothing to the server.

    The live server shares the test's SQLite connection (an in-memory test database), so a poll
    served while the test thread writes would interleave two transactions on one connection. The
    page's requests wait at the browser until the block is over, then go on as sent.
    """
    held: list[Route] = []
    page.route("**/*", lambda route: held.append(route))
    page.wait_for_timeout(500)  # a request already on its way is answered before the block runs
    try:
        yield
    finally:
        page.unroute("**/*")
        for route in held:
            with suppress(PlaywrightError):  # already let go by unroute, or given up by the page
                route.continue_()


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_a_missed_dose_appears_on_the_caregivers_open_dashboard_without_a_reload(page: Page, settings):
    settings.NOTIFICATION_POLL_SECONDS = 1
    with time_machine.travel(BEFORE_THE_DOSE, tick=True) as clock:
        dora = PatientFactory(display_name="Dora Example", time_zone="Europe/London")
        link = CareLinkFactory(
            patient=dora,
            caregiver__email="anna@example.org",
            caregiver__cares_for_others=True,
            alert_delay_minutes=0,
        )
        services.medication_create(
            patient=dora,
            schedule=Schedule.from_json(daily("08:00")),
            medication_name="Metformin",
            dosage="500 mg",
            grace_minutes=5,
        )

        sign_in(page, link.caregiver.email)
        expect(page.get_by_role("heading", level=1)).to_have_text("People I care for")
        alerts = page.get_by_role("region", name=re.compile("^Missed-dose alerts"))
        expect(alerts).to_contain_text("No missed doses in the last two days.")
        badge = page.locator("#notification-badge")
        expect(badge).to_have_text("Notifications")
        # A mark on the open page: a reload would wipe it.
        page.evaluate("window.adhereTestMark = 'still the same page'")

        # 08:06: the window has closed; the scheduler's sweep runs.
        clock.move_to(AFTER_THE_WINDOW)
        with browser_requests_held(page):
            assert sweep_missed() == 1

        expect(alerts.get_by_role("listitem")).to_contain_text(
            "Dora Example missed Metformin 500 mg at Mon 08:00"
        )
        expect(page.locator("[data-open-alerts]")).to_have_text("1 open")
        expect(badge.locator("[data-unread]")).to_have_attribute("data-unread", "1")
        expect(badge).to_have_text(re.compile(r"Notifications\s*:\s*1 unread"))
        assert page.evaluate("window.adhereTestMark") == "still the same page"

        # "I'm handling it": the alert now says so, for the others too.
        alerts.get_by_role("button", name=re.compile("^I\u2019m handling it")).click()
        expect(alerts).to_contain_text("You are handling it.")
        expect(page.locator("[data-open-alerts]")).to_have_count(0)

        # The badge leads to the message itself.
        badge.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
        message = page.get_by_role("list", name="Notifications").get_by_role("listitem").first
        expect(message).to_contain_text("Dora Example missed Metformin 500 mg")
        expect(message).to_contain_text("You are handling it.")
