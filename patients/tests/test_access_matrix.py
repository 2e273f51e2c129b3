"""Who reaches what: every URL that takes an object or patient id, for every role.

The expected answer for each (URL, method, role) is written once, in MATRIX.
The test walks the project's URL patterns itself: a new pattern with a
parameter that is not in the matrix fails `test_every_url_with_an_id_is_in_the_matrix`,
so no later feature can forget to say who may reach it.

The world: Ann is a patient. Vera may only view, Carl may also confirm doses,
Alma gets missed-dose alerts; Rex's link was revoked; Pia was invited and has
not answered. Olga is another patient, with her own caregiver Otto. Sam is
staff (a superuser): staff work in the admin, not in patients' pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from patients.invitations import invitation_token
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory, PatientFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "patient",
    "other_patient",
    "caregiver_view",
    "caregiver_confirm",
    "caregiver_alerts",
    "caregiver_revoked",
    "caregiver_invited",
    "caregiver_of_other",
    "staff",
]

# URL namespaces and prefixes that take no patient or object id of ours.
NOT_PATIENT_DATA = {
    # Django admin: staff only, checked by Django's own permission system;
    # test_staff_only_admin below shows a patient cannot reach it.
    "admin": "admin/",
    # allauth: the signed-in user's own account; its keys are single-use tokens.
    "allauth": "accounts/",
}


class World:
    """Everyone in the module docstring, with their care links."""

    def __init__(self) -> None:
        self.ann = PatientFactory(display_name="Ann Patient", user__email="ann@example.org")
        self.olga = PatientFactory(display_name="Olga Other", user__email="olga@example.org")

        def link(name: str, email: str, **fields) -> CareLink:
            return CareLinkFactory(
                patient=self.ann, caregiver=UserFactory(email=email), caregiver_name=name, **fields
            )

        self.vera_link = link("Vera, my neighbour", "vera@example.org", receives_missed_dose_alerts=False)
        self.carl_link = link("Carl the nurse", "carl@example.org", can_confirm_doses=True)
        self.alma_link = link("Alma my sister", "alma@example.org", receives_missed_dose_alerts=True)
        self.rex_link = link("Rex who left town", "rex@example.org", status=CareLink.Status.REVOKED)
        self.pia = UserFactory(email="pia@example.org")
        self.pia_invitation = CareLinkFactory(
            patient=self.ann,
            caregiver=None,
            invited_email="pia@example.org",
            caregiver_name="Pia from church",
            status=CareLink.Status.PENDING,
            responded_at=None,
            invite_expires_at=timezone.now() + timedelta(days=7),
        )
        self.otto_link = CareLinkFactory(patient=self.olga, caregiver=UserFactory(email="otto@example.org"))
        self.sam = UserFactory(email="sam@example.org", is_staff=True, is_superuser=True)

        from reminders.tests.factories import AsNeededFactory, DoseFactory, MedicationFactory

        self.medication = MedicationFactory(patient=self.ann, medication_name="Zestoril")
        self.as_needed = AsNeededFactory(patient=self.ann, medication_name="Zestoril drops")
        self.dose = DoseFactory(reminder=self.medication)
        self.confirmation_dose = DoseFactory(
            reminder=self.medication,
            scheduled_at=timezone.now() - timedelta(days=1),
            status="taken",
            taken_at=timezone.now() - timedelta(days=1),
            resolved_at=timezone.now() - timedelta(days=1),
        )
        from reminders.models import ConfirmationLog

        self.confirmation = ConfirmationLog.objects.create(
            reminder=self.medication,
            patient=self.ann,
            dose=self.confirmation_dose,
            confirmed_at=self.confirmation_dose.taken_at,
            confirmed_by=self.ann.user,
            role="patient",
            method="web",
        )
        from audit.models import AuditEntry

        self.audit_entry = AuditEntry.objects.filter(patient_id=self.ann.pk).order_by("pk").first()
        self.taken_dose = DoseFactory(
            reminder=self.medication,
            scheduled_at=timezone.now() - timedelta(minutes=10),
            status="taken",
            taken_at=timezone.now(),
            resolved_at=timezone.now(),
        )

        from reminders.models import MissedDoseAlert

        self.missed_dose = DoseFactory(
            reminder=self.medication,
            scheduled_at=timezone.now() - timedelta(hours=3),
            status="missed",
            resolved_at=timezone.now() - timedelta(hours=2),
        )
        self.alert = MissedDoseAlert.objects.create(
            reminder=self.medication,
            dose=self.missed_dose,
            patient=self.ann,
            alerted_at=timezone.now() - timedelta(hours=2),
        )

    def user(self, role: str):
        return {
            "anonymous": None,
            "patient": self.ann.user,
            "other_patient": self.olga.user,
            "caregiver_view": self.vera_link.caregiver,
            "caregiver_confirm": self.carl_link.caregiver,
            "caregiver_alerts": self.alma_link.caregiver,
            "caregiver_revoked": self.rex_link.caregiver,
            "caregiver_invited": self.pia,
            "caregiver_of_other": self.otto_link.caregiver,
            "staff": self.sam,
        }[role]


# What a role sees. For every answer but SHOWN and DONE, the case's `secret`
# (text only an allowed role may see) must be absent from the response.
SHOWN = "200, with the secret on the page"
DONE = "the POST did what it says (checked by the case's `done`)"
LOGIN = "redirect to sign-in"
NOT_FOUND = "404"
REFUSED = "403: a valid invitation for another address"
ASK_TO_SIGN_IN = "200: a page asking to sign in, nothing about the patient"
NOT_ALLOWED = "405: wrong method"
UNAUTHENTICATED = "401: the API asks for credentials"
FORBIDDEN = "403: the caller sees the patient, but the link does not allow this"


def everyone(answer: str, **exceptions: str) -> dict[str, str]:
    return {role: exceptions.get(role, answer) for role in ROLES}


@dataclass
class Case:
    url_name: str
    method: str
    url: Callable[[World], str]
    secret: Callable[[World], str]
    expected: dict[str, str]
    data: dict = field(default_factory=dict)
    done: Callable[[World], bool] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.url_name}"


def _status(link: CareLink) -> str:
    link.refresh_from_db()
    return link.status


def _ann(world: World) -> str:
    return world.ann.display_name


def _vera(world: World) -> str:
    return world.vera_link.caregiver_name


def _rex(world: World) -> str:
    return world.rex_link.caregiver_name


def _vera_link_url(name: str) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[world.vera_link.pk])


def _invitation_url(world: World) -> str:
    return reverse("patients:invitation", args=[invitation_token(world.pia_invitation)])


# Caregivers and strangers alike: a link or patient that is not theirs is not there.
ONLY_THE_PATIENT = everyone(NOT_FOUND, anonymous=LOGIN, patient=SHOWN)
ONLY_THE_PATIENT_ACTS = everyone(NOT_FOUND, anonymous=LOGIN, patient=DONE)

MATRIX = [
    Case(
        "patients:detail",
        "GET",
        url=lambda world: reverse("patients:detail", args=[world.ann.pk]),
        secret=_ann,
        expected=everyone(
            NOT_FOUND,
            anonymous=LOGIN,
            patient=SHOWN,
            caregiver_view=SHOWN,
            caregiver_confirm=SHOWN,
            caregiver_alerts=SHOWN,
        ),
    ),
    Case(
        "patients:care_link_edit", "GET", _vera_link_url("patients:care_link_edit"), _vera, ONLY_THE_PATIENT
    ),
    Case(
        "patients:care_link_edit",
        "POST",
        _vera_link_url("patients:care_link_edit"),
        _vera,
        ONLY_THE_PATIENT_ACTS,
        data={"can_confirm_doses": "on"},
        done=lambda world: CareLink.objects.get(pk=world.vera_link.pk).can_confirm_doses,
    ),
    Case(
        "patients:care_link_revoke",
        "GET",
        _vera_link_url("patients:care_link_revoke"),
        _vera,
        ONLY_THE_PATIENT,
    ),
    Case(
        "patients:care_link_revoke",
        "POST",
        _vera_link_url("patients:care_link_revoke"),
        _vera,
        ONLY_THE_PATIENT_ACTS,
        done=lambda world: _status(world.vera_link) == CareLink.Status.REVOKED,
    ),
    Case(
        "patients:care_link_resend",
        "GET",
        lambda world: reverse("patients:care_link_resend", args=[world.rex_link.pk]),
        _rex,
        everyone(NOT_ALLOWED, anonymous=LOGIN),
    ),
    Case(
        "patients:care_link_resend",
        "POST",
        lambda world: reverse("patients:care_link_resend", args=[world.rex_link.pk]),
        _rex,
        ONLY_THE_PATIENT_ACTS,
        done=lambda world: _status(world.rex_link) == CareLink.Status.PENDING,
    ),
    Case(
        "patients:care_link_leave",
        "GET",
        _vera_link_url("patients:care_link_leave"),
        _ann,
        everyone(NOT_FOUND, anonymous=LOGIN, caregiver_view=SHOWN),
    ),
    Case(
        "patients:care_link_leave",
        "POST",
        _vera_link_url("patients:care_link_leave"),
        _ann,
        everyone(NOT_FOUND, anonymous=LOGIN, caregiver_view=DONE),
        done=lambda world: _status(world.vera_link) == CareLink.Status.LEFT,
    ),
    Case(
        "patients:invitation",
        "GET",
        _invitation_url,
        _ann,
        everyone(REFUSED, anonymous=ASK_TO_SIGN_IN, caregiver_invited=SHOWN),
    ),
    Case(
        "patients:invitation",
        "POST",
        _invitation_url,
        _ann,
        everyone(REFUSED, anonymous=ASK_TO_SIGN_IN, caregiver_invited=DONE),
        data={"answer": "accept"},
        done=lambda world: _status(world.pia_invitation) == CareLink.Status.ACTIVE,
    ),
]


def _medication_url(name: str) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[world.ann.pk, world.medication.pk])


def _dose_url(name: str, dose: str = "dose") -> Callable[[World], str]:
    return lambda world: reverse(name, args=[world.ann.pk, getattr(world, dose).pk])


def _medicine(world: World) -> str:
    return world.medication.medication_name


def _dose_status(world: World, dose: str = "dose") -> str:
    from reminders.models import Dose

    return Dose.objects.get(pk=getattr(world, dose).pk).status


VIEWERS = everyone(
    NOT_FOUND,
    anonymous=LOGIN,
    patient=SHOWN,
    caregiver_view=SHOWN,
    caregiver_confirm=SHOWN,
    caregiver_alerts=SHOWN,
)
CONFIRMERS = everyone(NOT_FOUND, anonymous=LOGIN, patient=DONE, caregiver_confirm=DONE)
POST_ONLY = everyone(NOT_ALLOWED, anonymous=LOGIN)

MATRIX += [
    Case(
        "reminders:medications",
        "GET",
        lambda w: reverse("reminders:medications", args=[w.ann.pk]),
        _medicine,
        VIEWERS,
    ),
    Case(
        "reminders:medication_new",
        "GET",
        lambda w: reverse("reminders:medication_new", args=[w.ann.pk]),
        lambda w: "Count a dose as missed after",
        ONLY_THE_PATIENT,
    ),
    Case(
        "reminders:medication_new",
        "POST",
        lambda w: reverse("reminders:medication_new", args=[w.ann.pk]),
        lambda w: "Count a dose as missed after",
        ONLY_THE_PATIENT_ACTS,
        data={
            "medication_name": "Newpill",
            "dosage": "1 tablet",
            "kind": "scheduled",
            "repeat": "daily",
            "time_1": "09:00",
            "start_date": "2026-01-01",
            "end": "none",
            "grace_minutes": "60",
            "time_zone_mode": "local",
        },
        done=lambda w: w.ann.medications.filter(medication_name="Newpill").exists(),
    ),
    Case(
        "reminders:medication_edit",
        "GET",
        _medication_url("reminders:medication_edit"),
        _medicine,
        ONLY_THE_PATIENT,
    ),
    Case(
        "reminders:medication_edit",
        "POST",
        _medication_url("reminders:medication_edit"),
        _medicine,
        ONLY_THE_PATIENT_ACTS,
        data={
            "medication_name": "Renamed",
            "dosage": "1 tablet",
            "kind": "scheduled",
            "repeat": "daily",
            "time_1": "09:00",
            "start_date": "2026-01-01",
            "end": "none",
            "grace_minutes": "60",
            "time_zone_mode": "local",
        },
        done=lambda w: w.ann.medications.filter(medication_name="Renamed").exists(),
    ),
    Case(
        "reminders:medication_pause",
        "GET",
        _medication_url("reminders:medication_pause"),
        _medicine,
        POST_ONLY,
    ),
    Case(
        "reminders:medication_pause",
        "POST",
        _medication_url("reminders:medication_pause"),
        _medicine,
        ONLY_THE_PATIENT_ACTS,
        done=lambda w: not w.ann.medications.get(pk=w.medication.pk).is_active,
    ),
    Case(
        "reminders:medication_take",
        "GET",
        lambda w: reverse("reminders:medication_take", args=[w.ann.pk, w.as_needed.pk]),
        _medicine,
        POST_ONLY,
    ),
    Case(
        "reminders:medication_take",
        "POST",
        lambda w: reverse("reminders:medication_take", args=[w.ann.pk, w.as_needed.pk]),
        _medicine,
        CONFIRMERS,
        done=lambda w: w.as_needed.doses.filter(status="taken").exists(),
    ),
    Case("reminders:dose_taken", "GET", _dose_url("reminders:dose_taken"), _medicine, POST_ONLY),
    Case(
        "reminders:dose_taken",
        "POST",
        _dose_url("reminders:dose_taken"),
        _medicine,
        CONFIRMERS,
        done=lambda w: _dose_status(w) == "taken",
    ),
    Case(
        "reminders:dose_skip",
        "GET",
        _dose_url("reminders:dose_skip"),
        _medicine,
        everyone(NOT_FOUND, anonymous=LOGIN, patient=SHOWN, caregiver_confirm=SHOWN),
    ),
    Case(
        "reminders:dose_skip",
        "POST",
        _dose_url("reminders:dose_skip"),
        _medicine,
        CONFIRMERS,
        data={"reason": "unwell"},
        done=lambda w: _dose_status(w) == "skipped",
    ),
    Case("reminders:dose_undo", "GET", _dose_url("reminders:dose_undo", "taken_dose"), _medicine, POST_ONLY),
    Case(
        "reminders:dose_undo",
        "POST",
        _dose_url("reminders:dose_undo", "taken_dose"),
        _medicine,
        CONFIRMERS,
        done=lambda w: _dose_status(w, "taken_dose") == "pending",
    ),
    Case(
        "reminders:history",
        "GET",
        lambda w: reverse("reminders:history", args=[w.ann.pk]),
        _medicine,
        VIEWERS,
    ),
    Case(
        "reminders:history_day",
        "GET",
        lambda w: reverse(
            "reminders:history_day",
            args=[w.ann.pk, w.dose.scheduled_at.astimezone(w.ann.zone).date().isoformat()],
        ),
        _medicine,
        VIEWERS,
    ),
]


def _api(name: str, obj: str) -> Callable[[World], str]:
    return lambda world: reverse(f"api:{name}-detail", args=[str(_object_id(getattr(world, obj)))])


def _object_id(obj):
    return getattr(obj, "object_id", None) or obj.uid


def _medication_id(world: World) -> str:
    return str(world.medication.object_id)


API_VIEWERS = everyone(
    NOT_FOUND,
    anonymous=UNAUTHENTICATED,
    patient=SHOWN,
    caregiver_view=SHOWN,
    caregiver_confirm=SHOWN,
    caregiver_alerts=SHOWN,
)
API_ONLY_THE_PATIENT_ACTS = everyone(
    NOT_FOUND,
    anonymous=UNAUTHENTICATED,
    patient=DONE,
    caregiver_view=FORBIDDEN,
    caregiver_confirm=FORBIDDEN,
    caregiver_alerts=FORBIDDEN,
)

# The dose actions follow the pages' rule; a caregiver who sees the dose but may not act is told so.
API_CONFIRMERS = everyone(
    NOT_FOUND,
    anonymous=UNAUTHENTICATED,
    patient=DONE,
    caregiver_view=FORBIDDEN,
    caregiver_confirm=DONE,
    caregiver_alerts=FORBIDDEN,
)


def _api_action(name: str, obj: str, action: str) -> Callable[[World], str]:
    return lambda world: reverse(f"api:{name}-{action}", args=[str(_object_id(getattr(world, obj)))])


MATRIX += [
    Case("api:patient-detail", "GET", _api("patient", "ann"), _ann, API_VIEWERS),
    Case(
        "api:patient-detail",
        "PATCH",
        _api("patient", "ann"),
        lambda w: "Renamed Ann",
        API_ONLY_THE_PATIENT_ACTS,
        data={"displayName": "Renamed Ann"},
        done=lambda w: type(w.ann).objects.get(pk=w.ann.pk).display_name == "Renamed Ann",
    ),
    Case("api:reminder-detail", "GET", _api("reminder", "medication"), _medicine, API_VIEWERS),
    Case(
        "api:reminder-detail",
        "PATCH",
        _api("reminder", "medication"),
        lambda w: "Renamed pill",
        API_ONLY_THE_PATIENT_ACTS,
        data={"medicationName": "Renamed pill"},
        done=lambda w: w.ann.medications.filter(medication_name="Renamed pill").exists(),
    ),
    Case("api:dose-detail", "GET", _api("dose", "dose"), _medication_id, API_VIEWERS),
    Case(
        "api:dose-skip",
        "POST",
        _api_action("dose", "dose", "skip"),
        _medicine,
        API_CONFIRMERS,
        data={"reason": "unwell"},
        done=lambda w: _dose_status(w) == "skipped",
    ),
    Case(
        "api:dose-undo",
        "POST",
        _api_action("dose", "taken_dose", "undo"),
        _medicine,
        API_CONFIRMERS,
        done=lambda w: _dose_status(w, "taken_dose") == "pending",
    ),
    Case(
        "api:dose-snooze",
        "POST",
        _api_action("dose", "dose", "snooze"),
        _medicine,
        API_ONLY_THE_PATIENT_ACTS,
        data={"minutes": 10},
        done=lambda w: type(w.dose).objects.get(pk=w.dose.pk).remind_again_at is not None,
    ),
    Case("api:confirmation-detail", "GET", _api("confirmation", "confirmation"), _medication_id, API_VIEWERS),
    # Alerts follow the dashboard's rule: only links that include missed-dose alerts (not Vera's).
    Case(
        "api:alert-detail",
        "GET",
        _api("alert", "alert"),
        _medication_id,
        API_VIEWERS | {"caregiver_view": NOT_FOUND},
    ),
    Case(
        "api:alert-acknowledge",
        "POST",
        _api_action("alert", "alert", "acknowledge"),
        _ann,
        # The pages' rule: caregivers whose link includes alerts; the patient sees hers, but may not.
        everyone(
            NOT_FOUND,
            anonymous=UNAUTHENTICATED,
            patient=FORBIDDEN,
            caregiver_confirm=DONE,
            caregiver_alerts=DONE,
        ),
        done=lambda w: type(w.alert).objects.get(pk=w.alert.pk).acknowledged_at is not None,
    ),
    Case(
        "api:audit-detail",
        "GET",
        _api("audit", "audit_entry"),
        lambda w: str(w.audit_entry.uid),
        everyone(NOT_FOUND, anonymous=UNAUTHENTICATED, patient=SHOWN),
    ),
]


# --- The URL walk -------------------------------------------------------------------------


def patterns_with_parameters(patterns=None, prefix: str = "", namespace: str = "") -> dict[str, str]:
    """{url name: route} for every pattern that takes a parameter, outside NOT_PATIENT_DATA."""
    found: dict[str, str] = {}
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace in NOT_PATIENT_DATA or route in NOT_PATIENT_DATA.values():
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= patterns_with_parameters(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and ("<" in route or "(?P" in route):
            found[f"{namespace}{pattern.name}"] = route
    return found


def test_every_url_with_an_id_is_in_the_matrix():
    in_matrix = {case.url_name for case in MATRIX}
    missing = set(patterns_with_parameters()) - in_matrix
    assert not missing, f"Add these URLs to the access matrix in {__file__}: {sorted(missing)}"


def test_the_walk_sees_the_patient_pages_and_skips_only_the_admin_and_accounts():
    found = patterns_with_parameters()
    assert found["patients:detail"] == "patients/<int:patient_id>/"
    assert not any(route.startswith(tuple(NOT_PATIENT_DATA.values())) for route in found.values())


def test_every_case_names_an_answer_for_every_role():
    for case in MATRIX:
        assert set(case.expected) == set(ROLES), case.id


# --- The matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.id)
def test_access(client, case: Case, role: str):
    world = World()
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    url, secret = case.url(world), case.secret(world)
    if case.method == "GET":
        response = client.get(url)
    elif case.method == "POST" and not url.startswith("/api/"):
        response = client.post(url, case.data)
    else:  # the API speaks JSON
        response = client.generic(case.method, url, json.dumps(case.data), content_type="application/json")
    body = response.content.decode()
    expected = case.expected[role]

    if expected == SHOWN:
        assert response.status_code == 200
        assert secret in body
        return
    if expected == DONE:
        assert response.status_code in ((200, 201) if url.startswith("/api/") else (302,))
        assert not response.get("Location", "").startswith(reverse("account_login"))
        assert case.done(world), f"{role} was allowed to {case.id} but nothing changed"
        return

    expected_status = {
        LOGIN: 302,
        NOT_FOUND: 404,
        REFUSED: 403,
        ASK_TO_SIGN_IN: 200,
        NOT_ALLOWED: 405,
        UNAUTHENTICATED: 401,
        FORBIDDEN: 403,
    }[expected]
    assert response.status_code == expected_status, f"{role}: {case.id} answered {response.status_code}"
    assert secret not in body, f"{role} saw {secret!r} at {case.id}"
    if expected == LOGIN:
        assert response["Location"].startswith(reverse("account_login"))
    if case.done is not None:
        assert not case.done(world), f"{role} was refused {case.id}, yet it happened"


def test_staff_only_admin(client):
    """The admin is outside the matrix: a patient who tries it is sent to sign in as staff."""
    world = World()
    client.force_login(world.ann.user)
    url = reverse("admin:patients_patientprofile_change", args=[world.olga.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert world.olga.display_name not in response.content.decode()


# --- Notifications -------------------------------------------------------------------------


def _dose_link_url(world: World) -> str:
    from notifications.links import make_token

    return reverse("notifications:dose_link", args=[make_token(world.dose, world.ann.user, "taken")])


def _acknowledged(world: World) -> bool:
    return type(world.alert).objects.get(pk=world.alert.pk).acknowledged_at is not None


MATRIX += [
    Case(
        "reminders:dose_snooze",
        "POST",
        _dose_url("reminders:dose_snooze"),
        _medicine,
        ONLY_THE_PATIENT_ACTS,
        data={"minutes": "10"},
        done=lambda w: type(w.dose).objects.get(pk=w.dose.pk).remind_again_at is not None,
    ),
    Case(
        "notifications:alert_acknowledge",
        "POST",
        lambda w: reverse("notifications:alert_acknowledge", args=[w.alert.pk]),
        _ann,
        # Caregivers whose link includes alerts (Carl's and Alma's), nobody else.
        everyone(NOT_FOUND, anonymous=LOGIN, caregiver_confirm=DONE, caregiver_alerts=DONE),
        done=_acknowledged,
    ),
    # The signed link is the credential: whoever holds it sees the confirmation page.
    Case("notifications:dose_link", "GET", _dose_link_url, _medicine, everyone(SHOWN)),
]
