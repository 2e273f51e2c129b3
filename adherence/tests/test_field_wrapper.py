"""One field wrapper for every form (templates/forms/field.html, through FORM_RENDERER)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from adherence.tests.html import parse
from reminders.tests.factories import DoseFactory

pytestmark = pytest.mark.django_db


def wrappers_of_each_control(content: str) -> dict[str, int]:
    """Each labelled control inside a form: how many div.field hold it."""
    root = parse(content)
    counts = {}
    for label in root.find_all("label"):
        control = root.find(id=label.attrs.get("for", ""))
        if control is None:
            continue
        ancestors = []
        node = control.parent
        while node is not None:
            ancestors.append(node)
            node = node.parent
        if any(node.tag == "form" for node in ancestors):
            counts[label.attrs["for"]] = sum(
                node.tag == "div" and "field" in node.classes for node in ancestors
            )
    return counts


@pytest.mark.parametrize(
    "url",
    [
        lambda patient: reverse("patients:profile"),
        lambda patient: reverse("patients:care_team"),
        lambda patient: reverse("reminders:medication_new", args=[patient.pk]),
        lambda patient: reverse(
            "reminders:dose_skip",
            args=[patient.pk, DoseFactory(patient=patient, reminder__patient=patient).pk],
        ),
        lambda patient: reverse("notifications:settings"),
        lambda patient: reverse("account_change_password"),
    ],
    ids=["profile", "care-team", "medication", "skip", "notification-settings", "allauth-password"],
)
def test_every_field_of_a_form_is_wrapped_once(client, patient, url):
    client.force_login(patient.user)
    counts = wrappers_of_each_control(client.get(url(patient)).content.decode())

    assert counts
    assert set(counts.values()) == {1}, counts


def test_the_sign_up_and_welcome_forms_are_wrapped_the_same(client):
    signup = wrappers_of_each_control(client.get(reverse("account_signup")).content.decode())
    client.force_login(UserFactory())
    welcome = wrappers_of_each_control(client.get(reverse("patients:welcome")).content.decode())

    assert set(signup.values()) == {1}, signup
    assert set(welcome.values()) == {1}, welcome
    assert "id_time_zone" in welcome
