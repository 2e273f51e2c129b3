"""The outbox in the admin: read-only, failed deliveries shown with their error, and "Try again"."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from audit.models import Action, AuditEntry
from notifications.delivery import deliver_due
from notifications.models import Channel, Kind, Notification, NotificationSettings, PushSubscription
from patients.models import PatientProfile
from patients.tests.factories import PatientFactory
from reminders.tests.factories import DoseFactory

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CHANGELIST = "/admin/notifications/notification/"
NOT_A_NUMBER = (
    "Twilio refused the message (HTTP 400, Twilio error 21211): "
    "The 'To' number +447700900123 is not a valid phone number."
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW)]


@pytest.fixture(autouse=True)
def ann_asked_for_texts(ann, clock) -> None:
    """Every test here starts at NOW with Ann, who asked for text messages."""
    NotificationSettings.objects.create(user=ann.user, by_sms=True, sms_number="+447700900123")


def text_message(
    patient: PatientProfile, *, status: str, last_error: str = "", attempts: int = 1, title: str = "Time"
) -> Notification:
    dose = DoseFactory(reminder__patient=patient)
    notification = Notification.objects.create(
        recipient=patient.user,
        channel=Channel.SMS,
        kind=Kind.REMINDER,
        patient=patient,
        title=title,
        body="Metformin 500 mg is due at 10:30.",
        link="/today/",
        dedup_key=f"reminder:{dose.pk}:{patient.user.pk}:sms",
        status=status,
        attempts=attempts,
        last_error=last_error,
        sent_at=NOW if status == Notification.Status.SENT else None,
        created_at=NOW - timedelta(hours=1),
    )
    notification.doses.add(dose)
    return notification


@pytest.fixture
def failed(ann) -> Notification:
    return text_message(
        ann, status=Notification.Status.FAILED, last_error=NOT_A_NUMBER, title="Time for your medicine"
    )


@pytest.fixture
def sent(ann) -> Notification:
    return text_message(ann, status=Notification.Status.SENT, title="Earlier reminder")


def listed(response) -> list[Notification]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Seeing what failed -----------------------------------------------------------------------------------


def test_it_lists_failed_notifications_with_their_error(admin_client, failed, sent):
    response = admin_client.get(CHANGELIST + "?status__exact=failed")

    assert listed(response) == [failed]
    page = response.content.decode()
    assert "ann@example.org" in page
    # Shortened in the list...
    assert NOT_A_NUMBER[:60] in page
    assert NOT_A_NUMBER not in page
    # ...in full on the notification's own page.
    detail = admin_client.get(f"{CHANGELIST}{failed.pk}/change/")
    assert detail.status_code == 200
    assert "The &#x27;To&#x27; number +447700900123 is not a valid phone number." in detail.content.decode()


def test_it_warns_of_failed_notifications_with_a_link_to_them(admin_client, failed, sent):
    response = admin_client.get(CHANGELIST)

    assert set(listed(response)) == {failed, sent}
    [warning] = shown_messages(response)
    assert warning.startswith("1 notification failed to be delivered.")
    assert f'<a href="{CHANGELIST}?status__exact=failed">Show the failed ones</a>' in warning
    assert f'href="{CHANGELIST}?status__exact=failed"' in response.content.decode()


def test_no_warning_when_nothing_failed(admin_client, sent):
    response = admin_client.get(CHANGELIST)

    assert listed(response) == [sent]
    assert shown_messages(response) == []


def test_it_filters_by_channel_and_kind_and_searches_by_email_and_title(admin_client, failed, sent):
    bob = PatientFactory(user__email="bob@example.org")
    NotificationSettings.objects.create(user=bob.user, by_sms=True, sms_number="+447700900999")
    bobs = text_message(bob, status=Notification.Status.SENT, title="Bob's reminder")

    assert set(listed(admin_client.get(CHANGELIST + "?channel__exact=sms"))) == {failed, sent, bobs}
    assert listed(admin_client.get(CHANGELIST + "?channel__exact=email")) == []
    assert listed(admin_client.get(CHANGELIST + "?kind__exact=missed")) == []
    assert listed(admin_client.get(CHANGELIST + "?q=bob@example.org")) == [bobs]
    assert listed(admin_client.get(CHANGELIST + "?q=Earlier")) == [sent]


# --- Trying again -----------------------------------------------------------------------------------------


def try_again(client, *notifications: Notification):
    return client.post(
        CHANGELIST,
        {"action": "try_again", ACTION_CHECKBOX_NAME: [n.pk for n in notifications]},
        follow=True,
    )


def test_try_again_puts_failed_notifications_back_in_the_queue(admin_client, failed, sent, settings):
    failed_entries = AuditEntry.objects.filter(entity_type="notifications.Notification", action=Action.UPDATE)

    response = try_again(admin_client, failed, sent)

    assert response.status_code == 200
    assert shown_messages(response) == [
        "1 notification will be tried again shortly.",
        "Left alone: 1 of the selected notifications had not failed.",
    ]
    failed.refresh_from_db()
    assert failed.status == Notification.Status.PENDING
    assert failed.attempts == 0
    assert failed.next_attempt_at == NOW
    sent.refresh_from_db()
    assert sent.status == Notification.Status.SENT
    assert sent.attempts == 1

    [entry] = failed_entries
    assert entry.entity_id == str(failed.pk)
    assert entry.patient_id == failed.patient_id
    assert entry.actor_label == "admin@example.com"
    assert entry.payload["changes"] == {
        "status": ["failed", "pending"],
        "attempts": [1, 0],
        "next_attempt_at": [None, "2026-11-02T09:30:00.000000+00:00"],
    }
    assert entry.payload["last_error"] == NOT_A_NUMBER

    # And the worker then sends it.
    settings.SMS_BACKEND = "console"
    assert deliver_due() == {"sent": 1}
    failed.refresh_from_db()
    assert failed.status == Notification.Status.SENT
    assert failed.last_error == ""


def test_trying_again_twice_does_nothing_the_second_time(admin_client, failed):
    try_again(admin_client, failed)
    response = try_again(admin_client, failed)

    assert shown_messages(response) == ["Left alone: 1 of the selected notifications had not failed."]
    assert AuditEntry.objects.filter(entity_type="notifications.Notification").count() == 1


def test_staff_who_may_only_look_cannot_try_again(client, failed):
    viewer = UserFactory(email="viewer@example.org", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(viewer)

    response = client.get(CHANGELIST)
    assert listed(response) == [failed]
    assert "try_again" not in response.content.decode()

    try_again(client, failed)
    failed.refresh_from_db()
    assert failed.status == Notification.Status.FAILED
    assert not AuditEntry.objects.filter(entity_type="notifications.Notification").exists()


# --- Read-only ---------------------------------------------------------------------------------------------


def test_notifications_cannot_be_added_changed_or_deleted(admin_client, failed):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{failed.pk}/change/", {"title": "Changed"}).status_code == 403
    assert admin_client.post(f"{CHANGELIST}{failed.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(
        CHANGELIST, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [failed.pk], "post": "yes"}
    )
    failed.refresh_from_db()
    assert failed.title == "Time for your medicine"
    detail = admin_client.get(f"{CHANGELIST}{failed.pk}/change/")
    assert 'name="_save"' not in detail.content.decode()


def test_settings_are_listed_read_only(admin_client, ann):
    response = admin_client.get("/admin/notifications/notificationsettings/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "ann@example.org" in page
    assert "+447700900123" in page
    assert admin_client.get("/admin/notifications/notificationsettings/add/").status_code == 403


def test_push_subscriptions_never_show_their_endpoint_or_keys(admin_client, ann):
    subscription = PushSubscription.objects.create(
        user=ann.user,
        endpoint="https://fcm.googleapis.com/fcm/send/the-secret-part-of-the-endpoint",
        p256dh="BPublicKeyOfTheBrowserThatMustNotBeShown",
        auth="authSecretNotShown",
        user_agent="Mozilla/5.0 (Android 14) Firefox/130.0",
    )

    for url in (
        "/admin/notifications/pushsubscription/",
        f"/admin/notifications/pushsubscription/{subscription.pk}/change/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert "fcm.googleapis.com" in page
        assert "ann@example.org" in page
        assert "the-secret-part-of-the-endpoint" not in page
        assert "BPublicKeyOfTheBrowserThatMustNotBeShown" not in page
        assert "authSecretNotShown" not in page


def test_a_patient_cannot_reach_the_admin(client, failed, ann):
    client.force_login(ann.user)

    for url in (CHANGELIST, f"{CHANGELIST}{failed.pk}/change/", "/admin/notifications/pushsubscription/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    try_again(client, failed)
    failed.refresh_from_db()
    assert failed.status == Notification.Status.FAILED
