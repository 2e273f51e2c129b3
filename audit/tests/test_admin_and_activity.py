"""Reading the trail: the Django admin (read-only, for superusers too) and the patient's Activity page."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.tests.factories import UserFactory
from adherence.tests.html import Node, Page
from audit.models import STAFF_READ, Action, AuditEntry
from audit.trail import acting_as, acting_as_system, actor_for, record
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders.tests.factories import MedicationFactory

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CHANGELIST = "/admin/audit/auditentry/"

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW)]


def listed(response) -> list[AuditEntry]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- The admin ---------------------------------------------------------------------------------------


@pytest.fixture
def trail_of_three_days(clock, ann, carl) -> dict[str, AuditEntry]:
    """A system entry on 1 November, a caregiver's view on the 2nd, a patient's change on the 3rd."""
    entries = {}
    clock.move_to(NOW - timedelta(days=1))
    with acting_as_system("make doses ahead"):
        entries["system"] = record(
            Action.CREATE, entity_type="reminders.Dose", patient_id=ann.pk, payload={"scheduled_at": []}
        )
    clock.move_to(NOW)
    with acting_as(actor_for(carl), f"/patients/{ann.pk}/"):
        entries["view"] = record(Action.VIEW, entity=ann, patient_id=ann.pk, payload={"page": "/x/"})
    clock.move_to(NOW + timedelta(days=1))
    with acting_as(actor_for(ann.user)):
        entries["change"] = record(
            Action.UPDATE,
            entity=MedicationFactory(patient=ann),
            patient_id=ann.pk,
            payload={"changes": {"dosage": ["1 tablet", "2 tablets"]}},
        )
    return {name: AuditEntry.objects.get(uid=entry.uid) for name, entry in entries.items()}


def test_a_superuser_sees_the_whole_trail_newest_first(admin_client, trail_of_three_days):
    shown = listed(admin_client.get(CHANGELIST))
    assert len(shown) == AuditEntry.objects.count()
    assert shown == list(AuditEntry.objects.order_by("-created_at", "-pk"))
    page = admin_client.get(CHANGELIST).content.decode()
    assert "carl@example.org" in page
    assert "system: make doses ahead" in page


def test_the_trail_filters_by_actor_type(admin_client, trail_of_three_days):
    assert listed(admin_client.get(CHANGELIST + "?actor_type__exact=system")) == list(
        AuditEntry.objects.filter(actor_type="system").order_by("-created_at", "-pk")
    )
    users = listed(admin_client.get(CHANGELIST + "?actor_type__exact=user"))
    assert trail_of_three_days["view"] in users
    assert trail_of_three_days["system"] not in users


def test_the_trail_filters_by_action(admin_client, trail_of_three_days):
    assert listed(admin_client.get(CHANGELIST + "?action__exact=view")) == [trail_of_three_days["view"]]
    assert listed(admin_client.get(CHANGELIST + "?action__exact=update")) == [trail_of_three_days["change"]]


def test_the_trail_filters_by_entity_type(admin_client, trail_of_three_days):
    assert listed(admin_client.get(CHANGELIST + "?entity_type__exact=reminders.Dose")) == [
        trail_of_three_days["system"]
    ]


def test_the_trail_filters_by_date(admin_client, trail_of_three_days):
    # As the filter's own "Today"-style links put it: aware instants.
    query = urlencode(
        {"created_at__gte": "2026-11-02 00:00:00+00:00", "created_at__lt": "2026-11-03 00:00:00+00:00"}
    )
    shown = listed(admin_client.get(f"{CHANGELIST}?{query}"))
    assert trail_of_three_days["view"] in shown
    assert {entry.created_at.date() for entry in shown} == {datetime.date(2026, 11, 2)}
    assert len(shown) == AuditEntry.objects.filter(created_at__date=datetime.date(2026, 11, 2)).count()
    by_day = listed(
        admin_client.get(CHANGELIST + "?created_at__year=2026&created_at__month=11&created_at__day=1")
    )
    assert trail_of_three_days["system"] in by_day
    assert {entry.created_at.date() for entry in by_day} == {datetime.date(2026, 11, 1)}


def test_the_trail_can_be_searched_by_actor(admin_client, trail_of_three_days):
    assert listed(admin_client.get(CHANGELIST + "?q=carl@example.org")) == [trail_of_three_days["view"]]


def test_an_entry_is_shown_read_only(admin_client, trail_of_three_days):
    entry = trail_of_three_days["view"]
    response = admin_client.get(f"{CHANGELIST}{entry.pk}/change/")
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert list(response.context["adminform"].form.fields) == []
    page = response.content.decode()
    assert 'name="_save"' not in page
    assert "carl@example.org" in page
    assert entry.digest in page


def test_no_add_change_or_delete_for_a_superuser(admin_user, trail_of_three_days):
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get(CHANGELIST)
    request.user = admin_user
    entry = trail_of_three_days["view"]
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, entry) is False
    assert model_admin.has_delete_permission(request, entry) is False
    assert model_admin.has_view_permission(request, entry) is True
    assert "delete_selected" not in model_admin.get_actions(request)
    assert set(model_admin.get_readonly_fields(request, entry)) >= {
        field.name for field in AuditEntry._meta.fields
    }


def test_posting_to_add_change_or_delete_is_refused(admin_client, trail_of_three_days):
    entry = trail_of_three_days["view"]
    count = AuditEntry.objects.count()
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}add/", {"actor_label": "x", "action": "view"}).status_code == 403
    assert admin_client.post(f"{CHANGELIST}{entry.pk}/change/", {"actor_label": "mallory"}).status_code == 403
    assert admin_client.get(f"{CHANGELIST}{entry.pk}/delete/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert AuditEntry.objects.count() == count
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == "carl@example.org"


def test_the_seals_and_the_purge_permit_are_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/audit/auditseal/").status_code == 404
    assert admin_client.get("/admin/audit/auditpurgepermit/").status_code == 404
    assert admin_client.get(CHANGELIST).status_code == 200


def test_a_patient_cannot_open_the_trail_in_the_admin(client, ann):
    client.force_login(ann.user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- Activity on my account -----------------------------------------------------------------------------


def activity_rows(page: Page) -> list[tuple[str, str]]:
    """(who, what) of each row, as read."""
    rows: list[Node] = page.root.find("tbody").find_all("tr")
    return [(row.find_all("td")[1].text, row.find_all("td")[2].text) for row in rows]


def test_the_patient_sees_their_caregivers_views_newest_first(client, clock, ann, carl):
    client.force_login(carl)
    client.get(reverse("patients:detail", args=[ann.pk]))
    clock.move_to(NOW + timedelta(minutes=5))
    client.get(reverse("reminders:history", args=[ann.pk]))
    clock.move_to(NOW + timedelta(minutes=10))
    with acting_as(actor_for(ann.user)):
        reminder = MedicationFactory(patient=ann, medication_name="Metformin")
        reminder.dosage = "2 tablets"
        reminder.save()
    client.force_login(ann.user)

    page = Page(client.get("/activity/"))
    assert page.h1 == "Activity on my account"
    rows = activity_rows(page)
    assert rows[0] == ("You", "Changed a medication dosage: 1 tablet → 2 tablets")
    assert rows[1][0] == "You"
    assert rows[1][1].startswith("Created a medication ")
    assert rows[2] == ("carl@example.org", "Viewed your medications")
    assert rows[3] == ("carl@example.org", "Viewed your medications")
    times = [row.find_all("td")[0].text for row in page.root.find("tbody").find_all("tr")]
    # Shown in Ann's zone (London, GMT in November).
    assert times[:4] == ["2 Nov 2026, 09:40", "2 Nov 2026, 09:40", "2 Nov 2026, 09:35", "2 Nov 2026, 09:30"]


def test_a_new_medication_is_named_in_the_activity(client, ann):
    with acting_as(actor_for(ann.user)):
        MedicationFactory(patient=ann, medication_name="Metformin", dosage="500 mg")
    client.force_login(ann.user)
    who, what = activity_rows(Page(client.get("/activity/")))[0]
    assert who == "You"
    assert what.startswith("Created a medication medication name: Metformin dosage: 500 mg")


def test_the_system_is_named_as_such(client, ann):
    with acting_as_system("make doses ahead"):
        record(
            Action.CREATE,
            entity_type="reminders.Dose",
            patient_id=ann.pk,
            payload={"reminder_id": 1, "scheduled_at": ["2026-11-03T08:00:00.000000+00:00"] * 3},
        )
    client.force_login(ann.user)
    assert activity_rows(Page(client.get("/activity/")))[0] == ("Adhere (automatically)", "Scheduled 3 doses")


def test_nothing_about_other_patients_shows(client, clock, ann, carl):
    olga = PatientFactory(display_name="Olga Other", user__email="olga@example.org")
    olgas_carer = CareLinkFactory(
        patient=olga, caregiver=UserFactory(email="olga.carer@example.org")
    ).caregiver
    with acting_as(actor_for(olga.user)):
        MedicationFactory(patient=olga, medication_name="Olga's secret pill")
    client.force_login(olgas_carer)
    client.get(reverse("patients:detail", args=[olga.pk]))
    client.force_login(carl)
    client.get(reverse("patients:detail", args=[ann.pk]))

    client.force_login(ann.user)
    page = Page(client.get("/activity/"))
    assert "Olga" not in page.main
    assert "olga" not in page.main
    rows = activity_rows(page)
    assert len(rows) == AuditEntry.objects.filter(patient_id=ann.pk).count()
    assert rows[0] == ("carl@example.org", "Viewed your medications")


def test_a_long_activity_is_paginated(client, clock, ann, carl):
    client.force_login(carl)
    for minute in range(30):
        clock.move_to(NOW + timedelta(minutes=minute))
        client.get(reverse("patients:detail", args=[ann.pk]))
    total = AuditEntry.objects.filter(patient_id=ann.pk).count()
    assert total > 26
    client.force_login(ann.user)

    first = Page(client.get("/activity/"))
    assert len(activity_rows(first)) == 25
    nav = first.root.find("nav", aria_label="Pages")
    assert nav.text == "Page 1 of 2 Older →"
    assert nav.find("a").attrs["href"] == "?page=2"
    assert first.root.find("tbody").find("tr").find("td").text == "2 Nov 2026, 09:59"

    second = Page(client.get("/activity/?page=2"))
    assert len(activity_rows(second)) == total - 25
    nav = second.root.find("nav", aria_label="Pages")
    assert nav.text == "← Newer Page 2 of 2"
    assert nav.find("a").attrs["href"] == "?page=1"
    # The oldest are last: Ann's own profile being made.
    assert activity_rows(second)[-1][1].startswith("Created your profile")


def test_someone_without_a_profile_is_sent_to_make_one(client, carl):
    client.force_login(carl)
    response = client.get("/activity/")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:profile")


def test_signed_out_visitors_are_asked_to_sign_in(client):
    response = client.get("/activity/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_activity_page_is_reachable_from_the_patients_own_page(client, ann):
    client.force_login(ann.user)
    page = Page(client.get(reverse("patients:detail", args=[ann.pk])))
    assert "/activity/" in [link.attrs.get("href") for link in page.root.find_all("a")]
    assert client.post("/activity/").status_code == 405


@pytest.mark.parametrize(
    ("entity_type", "payload", "said"),
    [
        ("reminders.Dose", {"medication": "Metformin"}, "Viewed a dose of your medication Metformin"),
        (
            "reminders.ConfirmationLog",
            {"medication": "Metformin"},
            "Viewed a confirmation of a dose of your medication Metformin",
        ),
        (
            "reminders.MissedDoseAlert",
            {"medication": "Metformin"},
            "Viewed a missed-dose alert about your medication Metformin",
        ),
        ("patients.CareLink", {}, "Viewed your care team"),
        ("reminders.Dose", {"list": True}, "Viewed a list that includes your doses"),
    ],
)
def test_a_clinic_staff_members_read_is_said_in_plain_words(client, ann, entity_type, payload, said):
    staff = UserFactory(email="nurse@clinic.example", is_staff=True)
    with acting_as(actor_for(staff)):
        record(
            Action.VIEW, entity_type=entity_type, patient_id=ann.pk, payload={"via": STAFF_READ, **payload}
        )
    client.force_login(ann.user)

    assert activity_rows(Page(client.get("/activity/")))[0] == (
        "Clinic staff member nurse@clinic.example",
        said,
    )
