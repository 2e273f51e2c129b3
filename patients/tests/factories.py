from __future__ import annotations

import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from patients.models import CareLink, PatientProfile


class PatientFactory(factory.django.DjangoModelFactory):
    """A patient with a verified account and a profile in London."""

    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Patient Number{n}")
    phone_number = "+447911123456"
    time_zone = "Europe/London"


class CareLinkFactory(factory.django.DjangoModelFactory):
    """An accepted care link: the caregiver may view and gets alerts, but may not confirm doses."""

    class Meta:
        model = CareLink

    patient = factory.SubFactory(PatientFactory)
    caregiver = factory.SubFactory(UserFactory)
    invited_email = factory.LazyAttribute(
        lambda link: link.caregiver.email if link.caregiver else "someone@example.org"
    )
    status = CareLink.Status.ACTIVE
    can_confirm_doses = False
    receives_missed_dose_alerts = True
    invite_nonce = factory.LazyFunction(lambda: secrets.token_urlsafe(16))
    invite_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    responded_at = factory.LazyFunction(timezone.now)
