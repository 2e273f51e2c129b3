from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "a long and private passphrase"


def test_a_new_user_signs_up_verifies_their_email_signs_out_and_signs_back_in(page, mailoutbox):
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("maria@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_contain_text("maria@example.org")

    page.locator("summary", has_text="maria@example.org").click()  # the account menu
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("maria@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_contain_text("maria@example.org")


def test_an_open_page_leaves_by_itself_when_the_session_times_out(page, settings):
    from accounts.tests.factories import PASSWORD as FACTORY_PASSWORD
    from accounts.tests.factories import UserFactory

    settings.SESSION_IDLE_TIMEOUT = 2  # seconds; the page adds a few before it reloads
    user = UserFactory(email="idle.patient@example.org")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()

    # Nobody touches the page; it reloads, and the server has signed the session out.
    expect(page.get_by_text(re.compile("signed out after 1 minute without activity"))).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
