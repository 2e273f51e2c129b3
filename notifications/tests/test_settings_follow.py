"""The number texts go to and the zone of quiet hours follow the patient profile when it changes.

Nina lives in New York with the number +1 415-555-2671 on her profile. She turns texts on and
sets quiet hours from 22:00 to 07:00, leaving the number and zone as the page offers them (her
profile's). Then she moves to London, with a new number, on her profile page or through the API.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from adherence.tests.html import get, post
from notifications.channels.sms import number_for
from notifications.due import remind_due
from notifications.models import Channel, Notification, NotificationSettings
from notifications.tests.world import at, medication

pytestmark = pytest.mark.django_db

SETTINGS = reverse("notifications:settings")
LONDON_NUMBER = "+447400123456"


@pytest.fixture(autouse=True)
def nina_signed_in_texts_printed(settings, clock, client: Client, nina) -> None:
    """Every test here is Nina, signed in, with texts printed by the console backend."""
    settings.SMS_BACKEND = "console"
    client.force_login(nina.user)


def save_settings(client: Client, **changes) -> NotificationSettings:
    form = get(client, SETTINGS).values()
    post(client, SETTINGS, {**form, "by_sms": "on", "quiet_start": "22:00", "quiet_end": "07:00", **changes})
    return NotificationSettings.objects.get()


def move_to_london_on_the_profile_page(client: Client) -> None:
    form = get(client, reverse("patients:profile")).values()
    post(
        client,
        reverse("patients:profile"),
        {**form, "phone_number": "+44 7400 123456", "time_zone": "Europe/London"},
    )


def move_to_london_through_the_api(client: Client, nina) -> None:
    response = client.generic(
        "PATCH",
        reverse("api:patient-detail", args=[str(nina.object_id)]),
        json.dumps({"phoneNumber": LONDON_NUMBER, "timeZone": "Europe/London"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("move", ["page", "api"])
def test_texts_and_quiet_hours_follow_the_profile_when_it_changes(client, nina, clock, move):
    chosen = save_settings(client)
    assert (chosen.sms_number, chosen.time_zone) == ("", "")  # "the profile's", not a copy
    assert (chosen.texts_to, chosen.zone_name) == ("+14155552671", "America/New_York")

    if move == "page":
        move_to_london_on_the_profile_page(client)
    else:
        move_to_london_through_the_api(client, nina)

    chosen = NotificationSettings.objects.get()
    assert (chosen.texts_to, chosen.zone_name) == (LONDON_NUMBER, "Europe/London")
    page = get(client, SETTINGS)
    assert page.form().find("option", selected="").text == "The one on my profile, now Europe/London"
    assert "Leave it empty to use the number on your profile (now +447400123456)" in page.main
    # 07:30 in London is after her quiet hours; it would be 02:30 in New York, inside them.
    # So her 07:30 dose's text is due at once, and goes to her new number.
    nina.refresh_from_db()
    medication(nina, "07:30")
    clock.move_to(at(7, 30))
    assert remind_due() == 1
    text = Notification.objects.get(channel=Channel.SMS)
    assert text.next_attempt_at == at(7, 30)  # not held until 07:00 New York time
    assert number_for(nina.user) == LONDON_NUMBER


def test_a_number_of_its_own_stays_when_the_profile_changes(client, nina):
    chosen = save_settings(client, sms_number="+44 7400 654321", time_zone="Europe/Paris")
    assert (chosen.sms_number, chosen.time_zone) == ("+447400654321", "Europe/Paris")

    move_to_london_on_the_profile_page(client)

    chosen = NotificationSettings.objects.get()
    assert (chosen.texts_to, chosen.zone_name) == ("+447400654321", "Europe/Paris")
    page = get(client, SETTINGS)
    assert page.value("sms_number") == "+44 7400 654321"
    assert page.value("time_zone") == "Europe/Paris"


def test_typing_the_profiles_own_number_and_zone_means_following_them(client, nina):
    chosen = save_settings(client, sms_number="+1 415-555-2671", time_zone="America/New_York")

    assert (chosen.sms_number, chosen.time_zone) == ("", "")
    move_to_london_on_the_profile_page(client)
    assert NotificationSettings.objects.get().texts_to == LONDON_NUMBER
