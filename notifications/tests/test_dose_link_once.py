"""Signed dose links act once, and for their dose's patient only (issue 21, item 7).

Ann (London, GMT in March) gets a reminder at 08:00 for her 08:00 Metformin with "Taken" and
"Skip" links; it is 08:05. A link that recorded its dose records nothing again, even after an
undo in the app. With someone else signed in in the browser that opens it, the page says whose
dose it is and who will be recorded as doing it, and asks for an explicit yes: Carl (cares for
Ann, may confirm) acts in his own name; Vera (cares for her, may only look) and Bob (another
patient) do not look after her doses, so the link acts, and the audit trail says so.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from adherence.tests.html import Page, get, parse, post
from audit.models import AuditEntry
from notifications.due import remind_due
from notifications.links import make_token
from notifications.models import UsedDoseLink
from notifications.tests.world import at, dose_at
from reminders import services
from reminders.models import ConfirmationLog, Dose

pytestmark = pytest.mark.django_db

ALREADY_USED = "This link was already used"


@pytest.fixture
def emailed_dose(morning, clock) -> Dose:
    """Ann's 08:00 dose; the reminder (with its links) went out at 08:00, it is 08:05 now."""
    clock.move_to(at(8))
    remind_due()
    clock.move_to(at(8, 5))
    return dose_at(morning, at(8))


def anns_link(dose: Dose, action: str = "taken") -> str:
    return reverse("notifications:dose_link", args=[make_token(dose, dose.patient.user, action)])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Refused(Page):
    """A page answered 400 Bad Request."""

    def __init__(self, response) -> None:
        assert response.status_code == 400, response.status_code
        self.response = response
        self.root = parse(response.content)


def recorded(dose: Dose) -> AuditEntry:
    """The audit entry of the dose's being taken or skipped."""
    (entry,) = [
        entry
        for entry in AuditEntry.objects.filter(
            entity_type="reminders.Dose", entity_id=str(dose.pk), action="update"
        )
        if "status" in entry.payload.get("changes", {})
    ]
    return entry


# --- Once ----------------------------------------------------------------------------------------------


def test_a_taken_link_replayed_after_an_undo_records_nothing_and_says_so(emailed_dose, ann, clock):
    url = anns_link(emailed_dose)
    assert post(Client(), url).h1 == "Recorded as taken"
    clock.move_to(at(8, 7))
    services.dose_undo(dose=emailed_dose, by=ann.user)  # "not yet, after all", in the app
    clock.move_to(at(8, 30))

    shown = get(Client(), url)
    pressed = post(Client(), url)

    for page in (shown, pressed):
        assert page.h1 == ALREADY_USED
        assert (
            "It recorded this dose, Metformin 500 mg due Wed 4 Mar, 08:00, as taken on Wed 4 Mar, 08:05. "
            "A link in a reminder works once, so nothing was recorded now." in page.main
        )
        assert page.root.find("a", cls="button").text == "Open Adhere"
        assert page.form_posting_to("") is None
    emailed_dose.refresh_from_db()
    assert emailed_dose.status == Dose.Status.PENDING
    assert ConfirmationLog.objects.filter(undone_at__isnull=True).count() == 0
    assert ConfirmationLog.objects.count() == 1
    assert UsedDoseLink.objects.count() == 1


def test_a_skip_link_works_once_too(emailed_dose, ann, clock):
    url = anns_link(emailed_dose, "skip")
    assert post(Client(), url, {"reason": "unwell"}).h1 == "Recorded as skipped"
    services.dose_undo(dose=emailed_dose, by=ann.user)

    page = post(Client(), url, {"reason": "away"})

    assert page.h1 == ALREADY_USED
    assert "as skipped on Wed 4 Mar, 08:05" in page.main
    emailed_dose.refresh_from_db()
    assert (emailed_dose.status, emailed_dose.skip_reason) == (Dose.Status.PENDING, "")


def test_a_refused_press_leaves_the_link_usable(emailed_dose):
    url = anns_link(emailed_dose, "skip")

    assert Refused(Client().post(url, {})).h1 == "Skip this dose?"  # no reason given: sent back
    assert not UsedDoseLink.objects.exists()
    assert post(Client(), url, {"reason": "unwell"}).h1 == "Recorded as skipped"


def test_the_link_of_a_later_reminder_still_works_after_an_undo(emailed_dose, ann, clock):
    """Once is per link: the next reminder's own link is a new one."""
    assert post(Client(), anns_link(emailed_dose)).h1 == "Recorded as taken"
    services.dose_undo(dose=emailed_dose, by=ann.user)
    clock.move_to(at(8, 20))

    assert post(Client(), anns_link(emailed_dose)).h1 == "Recorded as taken"
    assert ConfirmationLog.objects.filter(undone_at__isnull=True).count() == 1


def test_the_link_itself_is_not_stored(emailed_dose):
    token = make_token(emailed_dose, emailed_dose.patient.user, "taken")
    post(Client(), reverse("notifications:dose_link", args=[token]))

    (used,) = UsedDoseLink.objects.all()
    assert token not in used.digest
    assert len(used.digest) == 64


# --- Someone else signed in ------------------------------------------------------------------------------


def test_a_caregiver_signed_in_is_told_whose_dose_and_records_it_in_his_name(emailed_dose, ann, carl):
    client = signed_in(carl)
    url = anns_link(emailed_dose)

    page = get(client, url)

    assert page.h1 == "Did you take this dose?"
    assert "This is Ann Example's dose. You are signed in as carl@example.org." in page.main
    assert "It will be recorded for Ann Example only, as done by you." in page.main
    assert page.form().find("input", type="checkbox").attrs["name"] == "for_patient"

    refused = Refused(client.post(url))  # the box not ticked

    assert refused.h1 == "Did you take this dose?"
    assert "Tick the box to say this is for Ann Example." in refused.main
    emailed_dose.refresh_from_db()
    assert emailed_dose.status == Dose.Status.PENDING
    assert not UsedDoseLink.objects.exists()

    done = post(client, url, {"for_patient": str(ann.object_id)})

    assert done.h1 == "Recorded as taken"
    assert "Ann Example's dose: Metformin 500 mg" in done.main
    log = ConfirmationLog.objects.get()
    assert (log.patient, log.confirmed_by, log.role, log.method) == (ann, carl, "caregiver", "link")
    entry = recorded(emailed_dose)
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("user", carl.pk, "carl@example.org")
    assert entry.patient_id == ann.pk


@pytest.mark.parametrize("who", ["vera", "bob"])
def test_someone_who_does_not_look_after_her_doses_is_told_the_link_acts_not_them(
    emailed_dose, ann, who, request
):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)
    client = signed_in(user)
    url = anns_link(emailed_dose)

    page = get(client, url)

    assert f"This is Ann Example's dose. You are signed in as {user.email}." in page.main
    assert (
        "You do not look after Ann Example in Adhere, so it will be recorded through this link only, "
        "not in your name." in page.main
    )

    done = post(client, url, {"for_patient": str(ann.object_id)})

    assert done.h1 == "Recorded as taken"
    log = ConfirmationLog.objects.get()
    assert (log.patient, log.confirmed_by, log.role) == (ann, ann.user, "patient")
    entry = recorded(emailed_dose)
    assert (entry.actor_type, entry.actor_id) == ("anonymous", None)
    assert entry.actor_label == (f"dose link of ann@example.org, opened while {user.email} was signed in")


def test_the_patient_signed_in_on_her_own_link_is_asked_nothing_more(emailed_dose, ann):
    client = signed_in(ann.user)

    page = get(client, anns_link(emailed_dose))

    assert "This is Ann Example's dose" not in page.main
    assert page.form().find("input", type="checkbox") is None
    assert post(client, anns_link(emailed_dose)).h1 == "Recorded as taken"
    entry = recorded(emailed_dose)
    assert (entry.actor_type, entry.actor_label) == ("user", "ann@example.org")
