"""The notification pages as people use them: the inbox and its badge, marking all read, the settings
page, the one-click dose links from emails, and a caregiver's "I'm handling it" and alerts panel.

The world: Ann lives in London (GMT in March, so her times equal UTC); Carl and Dina care for her
and get her missed-dose alerts; Vera cares for her without alerts; Bob is another patient. Messages,
doses and alerts are made by the app's own services (remind_due, sweep_missed) with the clock fixed
by time_machine. What is asserted is what a person sees: the text of the page or fragment, the
messages, and what changed in the database.
"""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tests.helpers import sign_in, signed_in_email
from adherence.tests.html import Node, Page, get, parse, post
from adherence.tests.world import make_caregiver
from notifications.due import remind_due
from notifications.links import make_token
from notifications.models import Notification, NotificationSettings
from notifications.sweep import sweep_missed
from notifications.tests.world import at, dose_at, medication
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.models import ConfirmationLog, Dose, MissedDoseAlert

pytestmark = pytest.mark.django_db


INBOX = reverse("notifications:inbox")
BADGE = reverse("notifications:badge")
READ_ALL = reverse("notifications:read_all")
READ = reverse("notifications:read")
SETTINGS = reverse("notifications:settings")
ALERTS_PANEL = reverse("notifications:alerts_panel")
CARING = reverse("patients:caring")
SAVED = "Your notification settings are saved."
PUSH_NOT_SET_UP = (
    "Push notifications are not set up on this server, so they cannot be turned on for a device."
)
NOT_VALID = "This link is not valid. It may have been cut short when it was copied."
EXPIRED = "This link has expired: links in reminders work for a day. Open Adhere instead."


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def unread(user: User) -> int:
    return Notification.objects.in_app_for(user).unread().count()


def htmx_get(client: Client, url: str) -> Node:
    """A request as htmx makes it: the answer is a fragment, not a page."""
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.status_code
    content = response.content.decode()
    assert "<html" not in content
    return parse(content)


class Refused(Page):
    """A page answered with 400 Bad Request: a form with mistakes, a link that cannot be used."""

    def __init__(self, response) -> None:
        assert response.status_code == 400, (response.status_code, response.content[:500])
        self.response = response
        self.path = response.request["PATH_INFO"]
        self.root = parse(response.content)


def listed(page: Page) -> list[str]:
    """The inbox's messages, top to bottom, as their headings read ("New" marks an unread one)."""
    return [item.find("h2").text for item in page.root.find_all("li", cls="notification")]


def bodies(page: Page) -> list[str]:
    return [
        item.find("p", cls="notification__body").text for item in page.root.find_all("li", cls="notification")
    ]


# --- The world -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def stopped_clock(clock):
    """Every test here runs on the stopped clock (conftest.py), asked for or not."""
    return clock


@pytest.fixture
def dina(ann) -> User:
    return make_caregiver(ann, "dina@example.org", caregiver_name="Dina")


@pytest.fixture
def alert(morning, carl, dina, clock) -> MissedDoseAlert:
    """Ann's 08:00 dose, missed at 09:00; Carl and Dina are told at once. It is 09:10 now."""
    clock.move_to(at(9))
    sweep_missed()
    clock.move_to(at(9, 10))
    return MissedDoseAlert.objects.get()


# --- The inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_ones_own_messages_newest_first(ann, morning, clock):
    medication(ann, "12:00", name="Aspirin")
    bob = PatientFactory(display_name="Bob")
    medication(bob, "08:00", name="Warfarin")
    for now, run in ((at(8), remind_due), (at(9), sweep_missed), (at(12), remind_due)):
        clock.move_to(now)
        run()

    page = get(signed_in(ann.user), INBOX)

    assert page.h1 == "Notifications"
    assert listed(page) == [
        "New Time for Aspirin 500 mg",
        "New Missed: Metformin 500 mg",
        "New Time for Metformin 500 mg",
    ]
    assert bodies(page)[0] == "Due at 12:00. Tap Taken once you have had it."
    times = [time.text for time in page.root.find("main").find_all("time")]
    assert times == ["Wed 4 Mar, 12:00", "Wed 4 Mar, 09:00", "Wed 4 Mar, 08:00"]
    # Emails are not in the list, and Bob's messages are his alone.
    assert "Warfarin" not in page.main
    assert unread(bob.user) == 2


def test_opening_the_inbox_changes_nothing_and_its_button_marks_them_read(ann, morning, clock):
    clock.move_to(at(8))
    remind_due()
    clock.move_to(at(9))
    sweep_missed()
    client = signed_in(ann.user)
    assert unread(ann.user) == 2

    first = get(client, INBOX)
    again = get(client, INBOX)

    # A GET writes nothing (a prefetching browser or a link checker reads nothing away).
    assert listed(first) == listed(again) == ["New Missed: Metformin 500 mg", "New Time for Metformin 500 mg"]
    assert unread(ann.user) == 2
    form = again.form_posting_to(READ)
    assert form.find("button").text == "Mark as read"

    page = post(client, READ, form.values())

    assert page.path == INBOX
    assert listed(page) == ["Missed: Metformin 500 mg", "Time for Metformin 500 mg"]
    # The header of the page they come back to no longer counts them as unread.
    assert page.root.find("a", id="notification-badge").text == "Notifications"
    assert unread(ann.user) == 0
    assert set(Notification.objects.in_app_for(ann.user).values_list("read_at", flat=True)) == {at(9)}


def test_marking_a_page_read_cannot_touch_someone_elses_messages(ann, morning, clock):
    clock.move_to(at(8))
    remind_due()
    bob = PatientFactory(display_name="Bob", user__email="bob@example.org")
    theirs = list(Notification.objects.in_app_for(ann.user).values_list("pk", flat=True))

    post(signed_in(bob.user), READ, {"id": theirs})

    assert unread(ann.user) == 1


def test_an_empty_inbox_says_what_will_appear(ann):
    page = get(signed_in(ann.user), INBOX)

    assert listed(page) == []
    assert "Nothing yet. Reminders and missed-dose alerts will appear here." in page.main


def test_the_inbox_shows_30_messages_a_page_and_marks_only_those_read(ann, clock):
    clock.move_to(at(0))
    half_hours = [at(0) + timedelta(minutes=30 * step) for step in range(31)]  # 00:00 to 15:00
    medication(ann, *(f"{moment:%H:%M}" for moment in half_hours))
    for moment in half_hours:
        clock.move_to(moment)
        assert remind_due() == 1
    client = signed_in(ann.user)

    first = get(client, INBOX)

    assert len(listed(first)) == 30
    assert bodies(first)[0].startswith("Due at 15:00.")
    assert bodies(first)[-1].startswith("Due at 00:30.")
    pager = first.root.find("nav", cls="pager")
    assert pager.text == "Page 1 of 2 Older"
    assert pager.find("a").attrs["href"] == "?page=2"
    assert unread(ann.user) == 31
    assert "1 more unread on other pages." in first.main
    assert first.form_posting_to(READ_ALL).find("button").text == "Mark all as read"
    marked = post(client, READ, first.form_posting_to(READ).values())
    assert marked.path == INBOX
    assert unread(ann.user) == 1

    second = get(client, f"{INBOX}?page=2")

    assert listed(second) == ["New Time for Metformin 500 mg"]
    assert bodies(second)[0].startswith("Due at 00:00.")
    assert second.root.find("nav", cls="pager").text == "Newer Page 2 of 2"
    post(client, READ, second.form_posting_to(READ).values())
    assert unread(ann.user) == 0
    assert "more unread" not in second.main


def test_a_caregivers_inbox_offers_to_handle_the_alert_and_comes_back_to_it(alert, carl):
    client = signed_in(carl)
    page = get(client, INBOX)
    assert listed(page) == ["New Ann Example missed Metformin 500 mg"]
    form = page.form_posting_to(reverse("notifications:alert_acknowledge", args=[alert.pk]))
    assert form.find("button").text == "I\u2019m handling it"

    page = post(client, form.attrs["action"], {"next": form.values()["next"][0]})

    assert page.path == INBOX
    assert page.notices == ["You are handling it."]
    alert.refresh_from_db()
    assert alert.acknowledged_by == carl


def test_the_inbox_needs_a_signed_in_person(ann, morning, clock):
    clock.move_to(at(8))
    remind_due()

    response = Client().get(INBOX)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={INBOX}"
    assert unread(ann.user) == 1


# --- The badge ---------------------------------------------------------------------------------------


def test_the_badge_shows_the_unread_count(ann, morning, clock):
    medication(ann, "08:00", name="Aspirin")
    clock.move_to(at(8))
    remind_due()  # one message about both doses
    clock.move_to(at(9))
    sweep_missed()

    badge = htmx_get(signed_in(ann.user), BADGE).find("a", id="notification-badge")

    assert badge.text == "Notifications : 2 unread"
    assert badge.find("span", cls="bell__count").attrs["data-unread"] == "2"
    assert badge.attrs["href"] == INBOX
    assert badge.attrs["hx-get"] == BADGE


def test_the_badge_shows_no_count_when_all_is_read(ann, morning, clock):
    clock.move_to(at(8))
    remind_due()
    client = signed_in(ann.user)
    post(client, READ_ALL)

    badge = htmx_get(client, BADGE).find("a", id="notification-badge")

    assert badge.text == "Notifications"
    assert badge.find("span", cls="bell__count") is None


def test_the_badge_opened_directly_shows_the_inbox(ann, morning, clock):
    clock.move_to(at(8))
    remind_due()

    page = get(signed_in(ann.user), BADGE)

    assert page.path == INBOX
    assert listed(page) == ["New Time for Metformin 500 mg"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [(BADGE, 'id="notification-badge"'), (ALERTS_PANEL, 'id="alerts-panel"')],
    ids=["badge", "alerts_panel"],
)
def test_polling_does_not_keep_an_idle_session_signed_in(url, fragment, carl, clock, client):
    sign_in(client, carl.email)

    answers = []
    for _ in range(31):
        clock.shift(timedelta(minutes=1))
        answers.append(client.get(url, headers={"HX-Request": "true"}))

    # Polled every minute for 30 minutes, then signed out as if nobody had been there.
    assert all(fragment in answer.content.decode() for answer in answers[:30])
    assert answers[-1].headers.get("HX-Redirect") == f"{reverse('account_login')}?next=%2F"
    assert signed_in_email(client) is None


# --- Mark all as read ----------------------------------------------------------------------------------


def test_marking_all_read_clears_the_unread_messages(ann, morning, clock):
    bob = PatientFactory(display_name="Bob")
    medication(bob, "08:00", name="Warfarin")
    clock.move_to(at(8))
    remind_due()
    clock.move_to(at(9))
    sweep_missed()

    page = post(signed_in(ann.user), READ_ALL)

    assert page.path == INBOX
    assert page.tagged_messages == [("success", "All notifications are marked as read.")]
    assert listed(page) == ["Missed: Metformin 500 mg", "Time for Metformin 500 mg"]
    assert unread(ann.user) == 0
    assert unread(bob.user) == 2


def test_marking_all_read_is_refused_by_get(ann, morning, clock):
    clock.move_to(at(8))
    remind_due()

    response = signed_in(ann.user).get(READ_ALL)

    assert response.status_code == 405
    assert unread(ann.user) == 1


# --- The settings page ---------------------------------------------------------------------------------


@pytest.fixture
def texts(settings):
    settings.SMS_BACKEND = "console"


@pytest.fixture
def no_texts(settings):
    settings.SMS_BACKEND = ""


@pytest.fixture
def no_push(settings):
    settings.VAPID_PUBLIC_KEY = ""
    settings.VAPID_PRIVATE_KEY = ""


def test_settings_never_saved_follow_the_patient_profile(nina, texts):
    page = get(signed_in(nina.user), SETTINGS)

    assert page.h1 == "Notification settings"
    assert page.value("time_zone") == ""
    assert page.form().find("option", selected="").text == "The one on my profile, now America/New_York"
    assert page.value("sms_number") == ""
    assert "Leave it empty to use the number on your profile (now +14155552671)" in page.main
    assert page.is_ticked("by_email")
    assert not page.is_ticked("by_sms")
    assert (page.value("quiet_start"), page.value("quiet_end")) == ("", "")
    assert page.value("repeat_every_minutes") == ""
    assert not NotificationSettings.objects.filter(user=nina.user).exists()


def test_saving_the_settings(nina, texts):
    client = signed_in(nina.user)
    form = get(client, SETTINGS).values()

    page = post(
        client,
        SETTINGS,
        {
            **form,
            "by_email": [],
            "by_sms": "on",
            "sms_number": "+44 7400 123456",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "time_zone": "Europe/Paris",
            "repeat_every_minutes": "15",
        },
    )

    assert page.path == SETTINGS
    assert page.tagged_messages == [("success", SAVED)]
    saved = NotificationSettings.objects.get(user=nina.user)
    assert (saved.by_email, saved.by_sms, saved.sms_number) == (False, True, "+447400123456")
    assert (saved.quiet_start, saved.quiet_end) == (datetime.time(22), datetime.time(7))
    assert (saved.time_zone, saved.repeat_every_minutes) == ("Europe/Paris", 15)
    # The page shows what is saved now.
    assert not page.is_ticked("by_email")
    assert page.is_ticked("by_sms")
    assert page.value("sms_number") == "+44 7400 123456"
    assert (page.value("quiet_start"), page.value("quiet_end")) == ("22:00", "07:00")
    assert (page.value("time_zone"), page.value("repeat_every_minutes")) == ("Europe/Paris", "15")


@pytest.mark.parametrize(
    ("typed", "field", "error"),
    [
        ({"quiet_start": "22:00"}, "quiet_end", "Give both times, or leave both empty."),
        ({"quiet_end": "07:00"}, "quiet_start", "Give both times, or leave both empty."),
        (
            {"quiet_start": "22:00", "quiet_end": "22:00"},
            "quiet_end",
            "Quiet hours must end at a different time than they start.",
        ),
        (
            {"by_sms": "on", "sms_number": "+44 7911 12345"},
            "sms_number",
            "That number does not exist in its country's numbering plan. "
            "Check the digits and the country code.",
        ),
        (
            {"by_sms": "on", "sms_number": "07911 123456"},
            "sms_number",
            "Start the number with + and the country code, for example +44 7911 123456.",
        ),
    ],
    ids=[
        "only-start",
        "only-end",
        "same-start-and-end",
        "no-such-number",
        "no-country",
    ],
)
def test_settings_with_a_mistake_are_sent_back_with_the_error_and_what_was_typed(
    nina, texts, typed, field, error
):
    client = signed_in(nina.user)
    form = get(client, SETTINGS).values()

    page = Refused(client.post(SETTINGS, {**form, "by_email": [], "repeat_every_minutes": "30", **typed}))

    assert page.errors() == {field: error}
    assert page.error(field) == error
    # What was typed is still there, right or wrong.
    shown = {name: page.value(name) for name in typed if name != "by_sms"}
    if "by_sms" in typed:
        shown["by_sms"] = "on" if page.is_ticked("by_sms") else ""
    assert shown == typed
    assert not page.is_ticked("by_email")
    assert page.value("repeat_every_minutes") == "30"
    assert page.value("time_zone") == ""
    assert page.messages == []
    assert not NotificationSettings.objects.filter(user=nina.user).exists()


def test_settings_posted_empty_say_what_is_missing(clock):
    """Someone without a patient profile (a caregiver only) has no zone to follow: they choose one."""
    carer = UserFactory(email="carer@example.org", cares_for_others=True)
    client = signed_in(carer)
    assert get(client, SETTINGS).value("time_zone") == "UTC"

    page = Refused(client.post(SETTINGS))

    assert page.errors() == {"time_zone": "This field is required."}
    assert not NotificationSettings.objects.filter(user=carer).exists()


def test_texts_without_a_number_here_or_on_the_profile_are_refused(texts):
    nora = PatientFactory(display_name="Nora", phone_number="")
    client = signed_in(nora.user)
    form = get(client, SETTINGS).values()

    page = Refused(client.post(SETTINGS, {**form, "by_sms": "on", "sms_number": ""}))

    assert page.errors() == {"sms_number": "Give the number for text messages, or untick text messages."}


def test_without_a_text_message_service_texts_are_not_offered(ann, no_texts):
    client = signed_in(ann.user)
    page = get(client, SETTINGS)
    assert "by_sms" not in page.values()
    assert "sms_number" not in page.values()
    assert "Text messages" not in page.main

    page = post(client, SETTINGS, {**page.values(), "by_sms": "on", "sms_number": "+44 7400 123456"})

    assert page.tagged_messages == [("success", SAVED)]
    saved = NotificationSettings.objects.get(user=ann.user)
    assert saved.by_sms is False
    assert saved.sms_number != "+447400123456"


def test_with_a_text_message_service_texts_are_offered(ann, texts):
    page = get(signed_in(ann.user), SETTINGS)

    assert {"by_sms", "sms_number"} <= page.values().keys()
    labels = [label.text for label in page.form().find_all("label")]
    assert "Text messages" in labels
    assert "Number for text messages:" in labels


def test_without_vapid_keys_push_is_not_offered(ann, no_push):
    page = get(signed_in(ann.user), SETTINGS)

    assert "by_push" not in page.values()
    assert PUSH_NOT_SET_UP in page.main
    assert page.root.find("button", data_push_toggle="") is None


def test_with_vapid_keys_push_is_offered(ann, vapid):
    page = get(signed_in(ann.user), SETTINGS)

    assert page.is_ticked("by_push")
    labels = [label.text for label in page.form().find_all("label")]
    assert "Push notifications, on the devices where I turn them on" in labels
    toggle = page.root.find("button", data_push_toggle="")
    assert toggle.text == "Turn on notifications on this device"
    assert PUSH_NOT_SET_UP not in page.main


def test_the_settings_page_needs_a_signed_in_person():
    response = Client().get(SETTINGS)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={SETTINGS}"


# --- One-click dose links --------------------------------------------------------------------------------


def link(dose: Dose, action: str) -> str:
    return reverse("notifications:dose_link", args=[make_token(dose, dose.patient.user, action)])


@pytest.fixture
def due(morning, clock) -> Dose:
    """Ann's 08:00 dose; the reminder went out at 08:00, it is 08:05 now."""
    clock.move_to(at(8))
    remind_due()
    clock.move_to(at(8, 5))
    return dose_at(morning, at(8))


def test_opening_a_taken_link_asks_first_and_changes_nothing(due):
    page = get(Client(), link(due, "taken"))

    assert page.h1 == "Did you take this dose?"
    assert "Metformin 500 mg, due Wed 4 Mar, 08:00." in page.main
    assert page.form().find("button").text == "Yes, I took it"
    due.refresh_from_db()
    assert due.status == Dose.Status.PENDING
    assert not ConfirmationLog.objects.exists()


def test_a_link_shows_the_time_in_the_patients_own_zone_to_someone_signed_out(clock):
    nina = PatientFactory(display_name="Nina", time_zone="America/New_York")
    dose = dose_at(medication(nina, "08:00"), at(13))  # 08:00 in New York

    page = get(Client(), link(dose, "taken"))

    assert "Metformin 500 mg, due Wed 4 Mar, 08:00." in page.main


def test_pressing_taken_records_the_dose_once(due, ann):
    client = Client()

    page = post(client, link(due, "taken"))

    assert page.h1 == "Recorded as taken"
    assert "Metformin 500 mg, due Wed 4 Mar, 08:00." in page.main
    due.refresh_from_db()
    assert (due.status, due.taken_at) == (Dose.Status.TAKEN, at(8, 5))
    log = ConfirmationLog.objects.get()
    assert (log.dose, log.confirmed_by, log.method) == (due, ann.user, ConfirmationLog.Method.LINK)

    again = post(client, link(due, "taken"))

    assert again.h1 == "This link was already used"
    assert "as taken on Wed 4 Mar, 08:05. A link in a reminder works once" in again.main
    assert ConfirmationLog.objects.count() == 1


def test_a_skip_link_asks_why(due):
    page = get(Client(), link(due, "skip"))

    assert page.h1 == "Skip this dose?"
    assert page.form().find("legend").text == "Why?"
    assert page.form().find("button", type="submit").text == "Skip this dose"


@pytest.mark.parametrize(
    ("typed", "field", "error"),
    [
        ({}, "reason", "This field is required."),
        ({"reason": "other", "note": " "}, "note", "Say in a few words why you are skipping this dose."),
    ],
    ids=["no-reason", "other-without-words"],
)
def test_skipping_without_what_the_form_needs_is_sent_back(due, typed, field, error):
    client = Client()
    form = get(client, link(due, "skip")).values()

    page = Refused(client.post(link(due, "skip"), {**form, **typed}))

    assert page.h1 == "Skip this dose?"
    assert page.errors() == {field: error}
    assert page.error(field) == error
    assert page.value("reason") == typed.get("reason")
    due.refresh_from_db()
    assert due.status == Dose.Status.PENDING


def test_a_skip_posted_empty_says_what_is_missing(due):
    page = Refused(Client().post(link(due, "skip")))

    assert page.errors() == {"reason": "This field is required."}
    due.refresh_from_db()
    assert due.status == Dose.Status.PENDING


def test_pressing_skip_with_a_reason_records_it_skipped(due):
    page = post(Client(), link(due, "skip"), {"reason": "unwell"})

    assert page.h1 == "Recorded as skipped"
    assert "Metformin 500 mg, due Wed 4 Mar, 08:00." in page.main
    due.refresh_from_db()
    assert (due.status, due.skip_reason) == (Dose.Status.SKIPPED, Dose.SkipReason.UNWELL)
    assert not ConfirmationLog.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("spoil", ["action-changed", "cut-short"])
def test_a_tampered_link_says_it_is_not_valid(due, method, spoil):
    taken = make_token(due, due.patient.user, "taken")
    if spoil == "action-changed":  # the "skip" link's data under the "taken" link's signature
        skip = make_token(due, due.patient.user, "skip")
        token = skip.split(":")[0] + taken.removeprefix(taken.split(":")[0])
    else:
        token = taken[:-6]

    page = Refused(getattr(Client(), method)(reverse("notifications:dose_link", args=[token])))

    assert page.h1 == "This link cannot be used"
    assert NOT_VALID in page.main
    due.refresh_from_db()
    assert due.status == Dose.Status.PENDING


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_older_than_a_day_has_expired(due, clock, method):
    url = link(due, "taken")
    clock.shift(timedelta(days=1, minutes=1))

    page = Refused(getattr(Client(), method)(url))

    assert page.h1 == "This link cannot be used"
    assert EXPIRED in page.main
    due.refresh_from_db()
    assert due.status == Dose.Status.PENDING
    assert not ConfirmationLog.objects.exists()


def test_a_link_works_until_a_day_has_passed(due, clock):
    url = link(due, "taken")
    clock.shift(timedelta(hours=23, minutes=59))

    page = get(Client(), url)

    assert page.h1 == "Did you take this dose?"


def test_a_link_for_a_dose_recorded_in_the_app_says_so(due, ann):
    services.dose_confirm(dose=due, by=ann.user, method=ConfirmationLog.Method.WEB)

    page = post(Client(), link(due, "skip"), {"reason": "unwell"})

    assert page.h1 == "This dose is already recorded"
    assert "Metformin 500 mg, due Wed 4 Mar, 08:00: taken." in page.main
    due.refresh_from_db()
    assert due.status == Dose.Status.TAKEN
    assert ConfirmationLog.objects.count() == 1


def test_a_link_for_a_missed_dose_says_how_to_record_it_late(due, clock):
    clock.move_to(at(9))
    sweep_missed()

    page = post(Client(), link(due, "taken"))

    assert page.h1 == "This dose is already recorded"
    assert (
        "Metformin 500 mg, due Wed 4 Mar, 08:00: missed. "
        "If you took it, open Adhere and record it with the time you took it." in page.main
    )
    due.refresh_from_db()
    assert due.status == Dose.Status.MISSED
    assert not ConfirmationLog.objects.exists()


# --- "I'm handling it" -------------------------------------------------------------------------------------


def acknowledge_url(alert: MissedDoseAlert) -> str:
    return reverse("notifications:alert_acknowledge", args=[alert.pk])


def test_a_caregiver_says_they_are_handling_a_missed_dose(alert, carl):
    page = post(signed_in(carl), acknowledge_url(alert), {"next": CARING})

    assert page.path == CARING
    assert page.tagged_messages == [
        ("success", "The others can see that you are handling Ann Example's missed dose.")
    ]
    assert page.notices == ["You are handling it."]
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at, alert.escalation_due_at) == (carl, at(9, 10), None)


def test_a_second_caregiver_is_told_who_is_already_handling_it(alert, carl, dina, clock):
    post(signed_in(carl), acknowledge_url(alert), {"next": CARING})
    clock.move_to(at(9, 20))

    page = post(signed_in(dina), acknowledge_url(alert), {"next": CARING})

    # Named as Ann named him on her care team.
    assert page.tagged_messages == [("info", "Carl is already handling it.")]
    assert page.notices == ["Carl is handling it."]
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (carl, at(9, 10))


def test_acknowledging_by_htmx_answers_with_the_alerts_panel(alert, carl):
    client = signed_in(carl)
    response = client.post(acknowledge_url(alert), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    panel = parse(response.content).find("section", id="alerts-panel")
    assert "Ann Example missed Metformin 500 mg at Wed 08:00 (Ann Example\u2019s time)." in panel.text
    assert panel.find("p", cls="notice").text == "You are handling it."
    assert panel.find("button") is None
    alert.refresh_from_db()
    assert alert.acknowledged_by == carl
    # The panel said it all: no message is left for the next page.
    assert get(client, CARING).messages == []


def test_a_caregiver_the_patient_gave_no_name_is_named_by_email(ann, alert, clock):
    eve = make_caregiver(ann, "eve@example.org", caregiver_name="")
    post(signed_in(eve), acknowledge_url(alert), {"next": CARING})
    carl = make_caregiver(ann, "carl2@example.org", caregiver_name="Carl")

    page = get(signed_in(carl), CARING)

    assert "eve@example.org is handling it." in page.notices


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/caring/", "http://evil.example/notifications/"],
)
def test_acknowledging_never_sends_the_caregiver_off_site(alert, carl, next_url):
    response = signed_in(carl).post(acknowledge_url(alert), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == CARING
    alert.refresh_from_db()
    assert alert.acknowledged_by == carl


def test_acknowledging_goes_back_to_a_page_of_this_site(alert, carl):
    response = signed_in(carl).post(acknowledge_url(alert), {"next": f"{INBOX}?page=2"})

    assert response["Location"] == f"{INBOX}?page=2"


@pytest.mark.parametrize("who", ["vera", "ann", "stranger"])
def test_only_caregivers_who_get_the_alerts_may_acknowledge(alert, vera, ann, who):
    person = {"vera": vera, "ann": ann.user, "stranger": UserFactory()}[who]

    response = signed_in(person).post(acknowledge_url(alert), {"next": CARING})

    assert response.status_code == 404
    assert "This page is not here" in response.content.decode()
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (None, None)


# --- The alerts panel --------------------------------------------------------------------------------------


def test_the_alerts_panel_shows_the_open_alerts(alert, carl, clock):
    bob = PatientFactory(display_name="Bob")
    CareLinkFactory(patient=bob)
    medication(bob, "08:30", name="Warfarin")
    clock.move_to(at(9, 30))
    sweep_missed()  # Bob's missed dose is for his own caregiver

    panel = htmx_get(signed_in(carl), ALERTS_PANEL).find("section", id="alerts-panel")

    assert panel.find("h2").text == "Missed-dose alerts 1 open"
    [item] = panel.find_all("li", cls="alert-item")
    assert "Ann Example missed Metformin 500 mg at Wed 08:00 (Ann Example\u2019s time)." in item.text
    assert item.find("form").attrs["action"] == acknowledge_url(alert)
    assert item.find("button").text == "I\u2019m handling it (Ann Example, Metformin)"
    assert MissedDoseAlert.objects.filter(patient=bob).exists()
    assert "Bob" not in panel.text


def test_the_alerts_panel_shows_nothing_to_a_caregiver_without_alerts(alert, vera):
    panel = htmx_get(signed_in(vera), ALERTS_PANEL).find("section", id="alerts-panel")

    assert panel.find_all("li", cls="alert-item") == []
    assert "No missed doses in the last two days." in panel.text
    assert "Ann" not in panel.text


def test_the_alerts_panel_opened_directly_shows_the_dashboard(alert, carl):
    page = get(signed_in(carl), ALERTS_PANEL)

    assert page.path == CARING
    assert page.h1 == "People I care for"
    assert "Ann Example missed Metformin 500 mg" in page.main
