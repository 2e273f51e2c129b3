"""The people every app's tests share, built in one place.

Ann Example is a patient in London (ann@example.org). Carl cares for her, may confirm her
doses and gets her missed-dose alerts; Vera cares for her and may only look (no confirming,
no alerts). Bob Other is another patient nobody here cares for. Nina is a patient in New York
with a US phone number.

The root conftest.py exposes each of them as a fixture of the same name (`ann`, `carl`, `vera`,
`bob`, `nina`) and `world` holds Ann with her two caregivers. A person is built only when a
test asks for them, so a test that needs only Ann has no one else in its database.
Staff: pytest-django's `admin_user` (admin@example.com) and `admin_client`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from patients.models import PatientProfile
from patients.tests.factories import CareLinkFactory, PatientFactory


@dataclass
class World:
    """Ann and the two people who care for her."""

    ann: PatientProfile
    carl: User
    vera: User

    @property
    def today_url(self) -> str:
        return reverse("patients:detail", args=[self.ann.pk])

    def url(self, name: str, *args: object) -> str:
        """One of the dose pages or actions on Ann's medications: url("history"), url("snooze", dose.pk)."""
        return reverse(f"reminders:{name}", args=[self.ann.pk, *args])


def make_ann() -> PatientProfile:
    return PatientFactory(
        display_name="Ann Example", user__email="ann@example.org", time_zone="Europe/London"
    )


def make_caregiver(patient: PatientProfile, email: str, **link: object) -> User:
    """Someone who signed up to care for others, with an accepted care link to `patient`."""
    caregiver = UserFactory(email=email, cares_for_others=True)
    return CareLinkFactory(patient=patient, caregiver=caregiver, **link).caregiver


def make_carl(ann: PatientProfile) -> User:
    return make_caregiver(ann, "carl@example.org", caregiver_name="Carl", can_confirm_doses=True)


def make_vera(ann: PatientProfile) -> User:
    return make_caregiver(ann, "vera@example.org", caregiver_name="Vera", receives_missed_dose_alerts=False)


def make_bob() -> PatientProfile:
    return PatientFactory(display_name="Bob Other", user__email="bob@example.org")


def make_nina() -> PatientProfile:
    return PatientFactory(display_name="Nina", time_zone="America/New_York", phone_number="+14155552671")
