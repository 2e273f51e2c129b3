"""The outbox writes one row per person and channel they chose, and only for channels this server delivers."""

from __future__ import annotations

import datetime
from datetime import UTC

import pytest
from django.db import transaction

from notifications.models import Channel, Kind, Notification, NotificationSettings, PushSubscription
from notifications.outbox import Message, queue
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
NUMBER = "+447700900123"


@pytest.fixture
def subscriber():
    """Someone who chose every channel: the app, email, push (one device) and texts."""
    user = PatientFactory().user
    NotificationSettings.objects.create(
        user=user, by_email=True, by_push=True, by_sms=True, sms_number=NUMBER
    )
    PushSubscription.objects.create(
        user=user, endpoint="https://fcm.googleapis.com/fcm/send/phone", p256dh="key", auth="secret"
    )
    return user


def queued(user, event: str = "reminder:1") -> dict[str, str]:
    """Queue one reminder for the person; each channel's row status."""
    message = Message(
        kind=Kind.REMINDER, event=event, title="Time for Metformin 500 mg", body="Due at 09:30."
    )
    with transaction.atomic():
        rows = queue(message, [user], now=NOW)
    assert {row.pk for row in rows} == set(
        Notification.objects.filter(dedup_key__startswith=event).values_list("pk", flat=True)
    )
    return {row.channel: row.status for row in rows}


def test_every_chosen_channel_gets_a_row_when_the_server_delivers_them_all(settings, subscriber):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "public", "private"
    settings.SMS_BACKEND = "console"

    assert queued(subscriber) == {
        Channel.IN_APP: Notification.Status.SENT,  # shown at once
        Channel.EMAIL: Notification.Status.PENDING,
        Channel.PUSH: Notification.Status.PENDING,
        Channel.SMS: Notification.Status.PENDING,
    }


def test_no_push_row_without_vapid_keys_and_no_text_without_an_sms_backend(settings, subscriber):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "", ""
    settings.SMS_BACKEND = ""

    assert set(queued(subscriber)) == {Channel.IN_APP, Channel.EMAIL}


def test_channels_turned_off_get_no_row(settings, subscriber):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "public", "private"
    settings.SMS_BACKEND = "console"
    NotificationSettings.objects.filter(user=subscriber).update(by_email=False, by_push=False, by_sms=False)

    assert set(queued(subscriber)) == {Channel.IN_APP}


def test_a_person_who_never_chose_gets_the_app_and_email(settings):
    settings.SMS_BACKEND = "console"
    user = PatientFactory().user

    assert set(queued(user)) == {Channel.IN_APP, Channel.EMAIL}


@pytest.mark.django_db(transaction=True)
def test_the_outbox_is_written_only_inside_the_events_transaction(subscriber):
    message = Message(kind=Kind.REMINDER, event="reminder:2", title="Time", body="")

    with pytest.raises(RuntimeError, match="inside the transaction"):
        queue(message, [subscriber], now=NOW)

    assert not Notification.objects.exists()
