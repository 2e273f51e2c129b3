"""The care team in a real browser: invite, accept, see, remove; and the patient's onboarding.

Two people at once use two browser contexts: the patient in the `page`
fixture's, the invitee in one made here, each with its own cookies.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, UserFactory
from adherence.tests.jobs import run_job

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long and private passphrase"
INVITATION_LINK = re.compile(r"https?://[^/\s]+(/invitations/\S+)")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill the sign-in form that is on the page now."""
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name="Sign In").click()


def section_nav(page: Page):
    return page.get_by_role("navigation", name="Sections")


def care_card(page: Page, label: str):
    """One person's card on "My care team"."""
    return (
        page.get_by_role("list", name="People in your care team")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=label, exact=True))
    )


def invite(page: Page, email: str, name: str = "") -> None:
    """On "My care team": send an invitation and see it sent and listed."""
    page.get_by_label("Their email address").fill(email)
    if name:
        page.get_by_label("Their name (optional)").fill(name)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {email}.")
    card = care_card(page, name or email)
    expect(card.get_by_text("Invited", exact=True)).to_be_visible()


def mailed_invitation_link(mailoutbox, email: str) -> str:
    """The path of the link in the invitation, once the outbox worker (every minute) has mailed it."""
    run_job("deliver notifications")
    message = mailoutbox[-1]
    assert message.to == [email]
    return INVITATION_LINK.search(message.body).group(1)


def sign_in_as_ann(page: Page) -> None:
    page.goto("/accounts/login/")
    sign_in(page, "ann@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("My medications")
    section_nav(page).get_by_role("link", name="My care team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My care team")


def test_a_patient_invites_an_existing_user_who_accepts_sees_her_and_loses_her_when_removed(
    page, open_page, mailoutbox, ann
):
    UserFactory(email="bob@example.org")
    sign_in_as_ann(page)
    expect(page.get_by_text("Nobody is in your care team yet.")).to_be_visible()
    invite(page, "bob@example.org", name="Bob, my son")
    card = care_card(page, "Bob, my son")
    expect(card).to_contain_text("bob@example.org")

    link = mailed_invitation_link(mailoutbox, "bob@example.org")
    assert len(mailoutbox) == 1
    assert "Ann Example" in mailoutbox[0].subject

    with open_page("bob") as bob:
        bob.goto(link)
        expect(bob.get_by_role("heading", level=1)).to_have_text("You are invited to a care team")
        # Whoever holds the link learns nothing about the patient before signing in.
        assert "Ann Example" not in bob.content()

        bob.get_by_role("main").get_by_role("link", name="Sign in").click()
        expect(bob.get_by_role("heading", name="Sign In")).to_be_visible()
        sign_in(bob, "bob@example.org")
        expect(bob.get_by_role("heading", level=1)).to_have_text("Ann Example invites you to their care team")
        assert "/invitations/continue/" not in bob.url
        bob.get_by_role("button", name="Accept").click()

        expect(bob.get_by_role("heading", level=1)).to_have_text("People I care for")
        expect(bob.get_by_role("status")).to_contain_text("You are now in Ann Example's care team.")
        people = bob.get_by_role("list", name="People you care for")
        people.get_by_role("link", name="Ann Example", exact=True).click()
        expect(bob.get_by_role("heading", level=1)).to_have_text("Ann Example")
        expect(bob.get_by_text(re.compile("^Read-only"))).to_be_visible()
        patient_url = bob.url

        # Ann sees Bob active, and removes him.
        page.reload()
        card = care_card(page, "Bob, my son")
        expect(card.get_by_text("Active", exact=True)).to_be_visible()
        card.get_by_role("link", name=re.compile(r"^Remove")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Remove Bob, my son from your care team?")
        page.get_by_role("button", name="Remove Bob, my son").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My care team")
        expect(page.get_by_role("status")).to_contain_text("Bob, my son can no longer see your medications.")
        expect(care_card(page, "Bob, my son").get_by_text("Revoked", exact=True)).to_be_visible()

        # Bob's open page: gone, and it does not say whose it was.
        response = bob.reload()
        assert response.status == 404
        assert bob.url == patient_url
        assert "Ann Example" not in bob.content()
        bob.goto("/caring/")
        expect(bob.get_by_role("heading", level=1)).to_have_text("People I care for")
        expect(bob.get_by_text("Nobody has added you to their care team yet.")).to_be_visible()
        assert "Ann Example" not in bob.content()


def test_an_invitee_without_an_account_signs_up_from_the_invitation_without_a_second_email(
    page, open_page, mailoutbox, ann
):
    sign_in_as_ann(page)
    invite(page, "carol@example.org")
    link = mailed_invitation_link(mailoutbox, "carol@example.org")
    assert len(mailoutbox) == 1

    with open_page("carol") as carol:
        carol.goto(link)
        expect(carol.get_by_role("heading", level=1)).to_have_text("You are invited to a care team")
        carol.get_by_role("main").get_by_role("link", name="Create an account").click()
        expect(carol.get_by_label("Email")).to_have_value("carol@example.org")
        carol.get_by_label(re.compile(r"^Password:?$")).fill(NEW_PASSWORD)
        carol.get_by_label("Password (again)").fill(NEW_PASSWORD)
        carol.get_by_role("button", name="Sign Up").click()

        # The invitation proved the address: no "Verify Your Email Address" detour.
        expect(carol.get_by_role("heading", level=1)).to_have_text(
            "Ann Example invites you to their care team"
        )
        assert len(mailoutbox) == 1
        carol.get_by_role("button", name="Accept").click()

        expect(carol.get_by_role("heading", level=1)).to_have_text("People I care for")
        people = carol.get_by_role("list", name="People you care for")
        expect(people.get_by_role("link", name="Ann Example", exact=True)).to_be_visible()
        expect(section_nav(carol).get_by_role("link", name="People I care for")).to_be_visible()

    page.reload()
    expect(care_card(page, "carol@example.org").get_by_text("Active", exact=True)).to_be_visible()


def test_a_new_patient_is_welcomed_with_their_browsers_time_zone_and_sets_up_their_profile(
    open_page, transactional_db
):
    user = UserFactory(email="new.patient@example.org")
    with open_page("onboarding", timezone_id="Asia/Tokyo") as page:
        page.goto("/accounts/login/")
        sign_in(page, user.email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, new.patient@example.org")
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")

        about_you = page.locator("fieldset").filter(
            has=page.locator("legend", has_text="About you, if you take medications")
        )
        expect(about_you).to_be_visible()
        page.get_by_label("I help someone with their medications").check()
        expect(about_you).to_be_hidden()
        page.get_by_label("I take medications", exact=True).check()
        expect(about_you).to_be_visible()

        page.get_by_label("Your name").fill("Dana Example")
        page.get_by_label("Phone number").fill("+44 7911 123456")
        page.get_by_role("button", name="Continue").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("My medications")
        expect(page.get_by_role("status")).to_contain_text("Your profile is ready.")
        expect(page.get_by_text("Dana Example ·")).to_contain_text("(Asia/Tokyo)")

    profile = user.patient_profile
    assert (profile.display_name, profile.phone_number, profile.time_zone) == (
        "Dana Example",
        "+447911123456",
        "Asia/Tokyo",
    )
