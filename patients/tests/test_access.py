"""The access policy's own answers, beyond the page matrix: querysets and alerts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.tests.factories import UserFactory
from patients import access
from patients.access import Action
from patients.models import CareLink
from patients.tests.factories import CareLinkFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    ann = PatientFactory(display_name="Ann")
    links = {
        "viewer": CareLinkFactory(patient=ann, receives_missed_dose_alerts=False),
        "confirmer": CareLinkFactory(patient=ann, can_confirm_doses=True, receives_missed_dose_alerts=False),
        "alerted": CareLinkFactory(patient=ann, receives_missed_dose_alerts=True),
        "revoked": CareLinkFactory(
            patient=ann, status=CareLink.Status.REVOKED, receives_missed_dose_alerts=True
        ),
        "left": CareLinkFactory(patient=ann, status=CareLink.Status.LEFT, can_confirm_doses=True),
    }
    return ann, links


@pytest.mark.parametrize(
    ("holder", "action", "allowed"),
    [
        ("viewer", Action.VIEW, True),
        ("viewer", Action.CONFIRM_DOSES, False),
        ("viewer", Action.RECEIVE_ALERTS, False),
        ("viewer", Action.MANAGE, False),
        ("confirmer", Action.CONFIRM_DOSES, True),
        ("confirmer", Action.MANAGE, False),
        ("alerted", Action.RECEIVE_ALERTS, True),
        ("alerted", Action.CONFIRM_DOSES, False),
        ("revoked", Action.VIEW, False),
        ("revoked", Action.RECEIVE_ALERTS, False),
        ("left", Action.CONFIRM_DOSES, False),
    ],
)
def test_a_link_grants_exactly_its_permissions_while_active(team, holder, action, allowed):
    ann, links = team
    user = links[holder].caregiver
    assert access.can(user, action, ann) is allowed
    assert (ann in access.patients_for(user, action)) is allowed
    patient_access = access.access_to(user, ann.pk)
    assert (patient_access is not None and patient_access.allows(action)) is allowed


def test_the_patient_may_do_everything_for_themself(team):
    ann, _ = team
    for action in Action:
        assert access.can(ann.user, action, ann)
    assert access.access_to(ann.user, ann.pk).is_self


def test_nobody_else_sees_anything(team):
    ann, _ = team
    stranger = UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    for user in (stranger, staff, AnonymousUser()):
        assert not access.patients_for(user).exists()
        assert access.access_to(user, ann.pk) is None


def test_a_deactivated_account_sees_nothing_not_even_its_own_profile(team):
    ann, links = team
    for user in (ann.user, links["viewer"].caregiver):
        user.is_active = False
        user.save()
        assert not access.patients_for(user).exists()


def test_patients_for_lists_each_patient_once(team):
    _, links = team
    nurse = links["confirmer"].caregiver
    other = CareLinkFactory(caregiver=nurse).patient
    PatientFactory(user=nurse, display_name="Nurse herself")
    names = list(access.patients_for(nurse).order_by("display_name").values_list("display_name", flat=True))
    assert names == sorted(["Ann", other.display_name, "Nurse herself"])


def test_missed_dose_alerts_reach_only_the_caregivers_who_asked(team):
    ann, links = team
    assert set(access.caregivers_for(ann, Action.RECEIVE_ALERTS)) == {links["alerted"].caregiver}
    links["alerted"].caregiver.is_active = False
    links["alerted"].caregiver.save()
    assert not access.caregivers_for(ann, Action.RECEIVE_ALERTS).exists()


def test_a_link_that_is_revoked_while_loaded_grants_nothing_on_the_next_question(team):
    ann, links = team
    viewer = links["viewer"]
    assert access.can(viewer.caregiver, Action.VIEW, ann)
    CareLink.objects.filter(pk=viewer.pk).update(status=CareLink.Status.REVOKED)
    assert not access.can(viewer.caregiver, Action.VIEW, ann)
    assert access.access_to(viewer.caregiver, ann.pk) is None


def test_the_links_granting_alerts_are_the_active_ones_that_include_them_of_open_accounts(team):
    ann, links = team
    olga = PatientFactory(display_name="Olga")
    olgas = CareLinkFactory(patient=olga, receives_missed_dose_alerts=True)

    assert set(access.care_links_granting(Action.RECEIVE_ALERTS, patients=[ann.pk, olga.pk])) == {
        links["alerted"],
        olgas,
    }
    assert set(access.care_links_granting(Action.RECEIVE_ALERTS, patients=[ann])) == {links["alerted"]}
    type(olgas.caregiver).objects.filter(pk=olgas.caregiver_id).update(is_active=False)
    assert not access.care_links_granting(Action.RECEIVE_ALERTS, patients=[olga]).exists()
    assert not access.care_links_granting(Action.MANAGE, patients=[ann]).exists()


def test_allowed_pairs_answers_for_many_people_and_patients_in_one_query(team, django_assert_num_queries):
    ann, links = team
    olga = PatientFactory(display_name="Olga")
    pairs = {(ann.pk, link.caregiver_id) for link in links.values()} | {
        (ann.pk, ann.user_id),
        (olga.pk, ann.user_id),
        (olga.pk, olga.user_id),
    }

    with django_assert_num_queries(1):
        allowed = access.allowed_pairs(Action.RECEIVE_ALERTS, pairs)

    assert allowed == {
        (ann.pk, links["alerted"].caregiver_id),
        (ann.pk, ann.user_id),
        (olga.pk, olga.user_id),
    }
    assert access.allowed_pairs(Action.CONFIRM_DOSES, pairs) == {
        (ann.pk, links["confirmer"].caregiver_id),
        (ann.pk, ann.user_id),
        (olga.pk, olga.user_id),
    }
    assert access.allowed_pairs(Action.VIEW, set()) == set()
