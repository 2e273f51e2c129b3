"""The access policy: the one place that decides who sees and does what.

Every page, API endpoint, export and alert that touches a patient's data asks
here. The rules:

* A patient sees and manages their own data.
* A caregiver sees a patient only through an ACTIVE care link (invited by the
  patient and accepted), and acts only as that link allows. A pending,
  declined, revoked or left link grants nothing, from the moment it changes.
* Nobody else sees anything: not other patients, not caregivers of other
  people, and not staff, who work in the Django admin instead. Anonymous and
  deactivated accounts see nothing.

What a user may not see does not exist for them: callers answer 404, never
403, so that an id reveals nothing about who holds it.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from accounts.models import User
from audit.models import Action as AuditAction
from audit.trail import current_actor, current_path, record, together
from patients.models import CareLink, PatientProfile

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class Action(enum.StrEnum):
    VIEW = "view"  # read the patient's medications, doses and history
    CONFIRM_DOSES = "confirm_doses"  # record a dose taken or skipped
    RECEIVE_ALERTS = "receive_alerts"  # be told about missed doses
    MANAGE = "manage"  # change the profile, medications and care team: the patient only


# Which flag of an active CareLink grants each action to a caregiver.
# VIEW needs only an active link; MANAGE is never granted by a link.
_LINK_FLAG: dict[Action, str | None] = {
    Action.VIEW: None,
    Action.CONFIRM_DOSES: "can_confirm_doses",
    Action.RECEIVE_ALERTS: "receives_missed_dose_alerts",
}


def _can_see_anything(user: User | AnonymousUser | None) -> TypeGuard[User]:
    return user is not None and user.is_authenticated and user.is_active


def _links_granting(action: Action) -> Q:
    """The active links that grant `action`, as a filter on CareLink."""
    if action not in _LINK_FLAG:
        return Q(pk__in=[])
    condition = Q(status=CareLink.Status.ACTIVE)
    if flag := _LINK_FLAG[action]:
        condition &= Q(**{flag: True})
    return condition


def patients_for(user: User | AnonymousUser, action: Action = Action.VIEW) -> QuerySet[PatientProfile]:
    """Every patient `user` may do `action` for, as a queryset to filter further."""
    if not _can_see_anything(user):
        return PatientProfile.objects.none()
    sql, template = _patient_ids_sql(action)
    params = tuple(user.pk if value is _USER else value for value in template)
    # Only names from the models' _meta are written into the SQL; every value is a parameter.
    return PatientProfile.objects.filter(pk__in=RawSQL(sql, params))  # noqa: S611


_USER = object()  # in _patient_ids_sql's values: the user's id goes here


@functools.cache
def _patient_ids_sql(action: Action) -> tuple[str, tuple[object, ...]]:
    """The ids of the patients a user may do `action` for, as SQL, and its values (_USER: the user's id).

    The two cases as one UNION, each answered from its own index: written as
    `user_id = X OR id IN (links)`, PostgreSQL reads every profile to test the OR.
    Written out once per action rather than built by the ORM on every request (it is
    in every list, page and alert): the same statement as
    PatientProfile.objects.filter(user=user).values("pk").union(
    CareLink.objects.filter(_links_granting(action), caregiver=user).values("patient_id"), all=True).
    """
    quote = connection.ops.quote_name

    def column(model: type[models.Model], name: str) -> str:
        field = cast("models.Field[Any, Any]", model._meta.get_field(name))  # a concrete column
        return f"{quote(model._meta.db_table)}.{quote(cast('str', field.column))}"

    own = (
        f"SELECT {column(PatientProfile, 'id')} FROM {quote(PatientProfile._meta.db_table)} "  # noqa: S608
        f"WHERE {column(PatientProfile, 'user')} = %s"
    )
    if action not in _LINK_FLAG:
        return own, (_USER,)
    conditions = [f"{column(CareLink, 'caregiver')} = %s", f"{column(CareLink, 'status')} = %s"]
    values: list[object] = [_USER, _USER, CareLink.Status.ACTIVE.value]
    if flag := _LINK_FLAG[action]:
        conditions.append(f"{column(CareLink, flag)} = %s")
        values.append(True)
    linked = (
        f"SELECT {column(CareLink, 'patient')} FROM {quote(CareLink._meta.db_table)} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)}"
    )
    return f"{own} UNION ALL {linked}", tuple(values)


@dataclass(frozen=True)
class PatientAccess:
    """What one user may do for one patient; `link` is None for the patient themself."""

    patient: PatientProfile
    is_self: bool
    link: CareLink | None

    def allows(self, action: Action) -> bool:
        if self.is_self:
            return True
        if self.link is None or self.link.status != CareLink.Status.ACTIVE or action not in _LINK_FLAG:
            return False
        flag = _LINK_FLAG[action]
        return flag is None or getattr(self.link, flag)

    @property
    def read_only(self) -> bool:
        return not self.allows(Action.CONFIRM_DOSES)


def access_to(user: User | AnonymousUser, patient_id: int) -> PatientAccess | None:
    """The user's access to one patient, or None when they may not see them at all."""
    if not _can_see_anything(user):
        return None
    patient = PatientProfile.objects.filter(pk=patient_id).first()
    if patient is None:
        return None
    return access_for(user, patient)


def access_for(user: User | AnonymousUser, patient: PatientProfile) -> PatientAccess | None:
    """access_to() for a patient already read (with the dose at hand): no query for themself."""
    if not _can_see_anything(user):
        return None
    if patient.user_id == user.pk:
        return PatientAccess(patient=patient, is_self=True, link=None)
    link = CareLink.objects.filter(patient=patient, caregiver=user, status=CareLink.Status.ACTIVE).first()
    if link is None:
        return None
    link.patient = patient
    return PatientAccess(patient=patient, is_self=False, link=link)


def require(user: User | AnonymousUser, patient_id: int, action: Action = Action.VIEW) -> PatientAccess:
    """access_to(), for a view: 404 unless the user may do `action` for the patient.

    A caregiver reaching a patient's pages or data is written to the audit trail as a view.
    """
    access = access_to(user, patient_id)
    if access is None or not access.allows(action):
        raise Http404("No such patient.")
    if not access.is_self:
        record_caregiver_views([access.patient])
    return access


def record_caregiver_views(patients: Iterable[PatientProfile]) -> None:
    """A caregiver saw these patients' data (a page of theirs, or the dashboard): one entry each."""
    actor, page = current_actor(), current_path()  # the same for every entry: asked once
    # No savepoint inside a page's transaction: nobody goes on after these entries fail to
    # be written, so the request's transaction rolls back whole, as it should.
    with transaction.atomic(savepoint=False), together():
        for patient in patients:
            record(
                AuditAction.VIEW, entity=patient, patient_id=patient.pk, payload={"page": page}, actor=actor
            )


def can(user: User | AnonymousUser, action: Action, patient: PatientProfile) -> bool:
    if patient.user_id == getattr(user, "pk", None) and _can_see_anything(user):
        return True  # their own: a patient may do everything, no need to ask the database
    return patients_for(user, action).filter(pk=patient.pk).exists()


def care_links_managed_by(user: User | AnonymousUser) -> QuerySet[CareLink]:
    """The care links of the patients `user` manages: their own care team."""
    return CareLink.objects.filter(patient__in=patients_for(user, Action.MANAGE))


def care_links_held_by(user: User | AnonymousUser) -> QuerySet[CareLink]:
    """The active links through which `user` cares for someone."""
    if not _can_see_anything(user):
        return CareLink.objects.none()
    return CareLink.objects.active().filter(caregiver=user)


def caregivers_for(patient: PatientProfile, action: Action) -> QuerySet[User]:
    """The caregivers' accounts that `action` reaches for this patient (for alerts)."""
    links = CareLink.objects.filter(_links_granting(action), patient=patient).values("caregiver_id")
    return User.objects.filter(pk__in=links, is_active=True)


def care_links_granting(action: Action, *, patients: Any) -> QuerySet[CareLink]:
    """The links through which a caregiver with an open account may do `action` for these patients.

    `patients`: patient profiles, their ids, or a queryset of either. Who gets missed-dose alerts
    (Action.RECEIVE_ALERTS) is asked here, by the sweep and again before each delivery.
    """
    return CareLink.objects.filter(_links_granting(action), patient__in=patients, caregiver__is_active=True)


def allowed_pairs(action: Action, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (patient id, user id) pairs the policy allows `action` for, in one query.

    For readers that hold many messages at once (the outbox worker's batch): a pair is allowed
    when the user is the patient themself, or holds an active link that grants the action.
    The user's own account being open is for the caller to check.
    """
    pairs = set(pairs)
    if not pairs:
        return set()
    patient_ids = {patient_id for patient_id, _ in pairs}
    user_ids = {user_id for _, user_id in pairs}
    own = (
        PatientProfile.objects.filter(pk__in=patient_ids, user_id__in=user_ids)
        .order_by()
        .values_list("pk", "user_id")
    )
    linked = (
        CareLink.objects.filter(
            _links_granting(action), patient_id__in=patient_ids, caregiver_id__in=user_ids
        )
        .order_by()
        .values_list("patient_id", "caregiver_id")
    )
    return pairs & set(own.union(linked).order_by())
