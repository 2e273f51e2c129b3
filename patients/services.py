"""Use cases that change patients and care teams, each in one transaction.

Views call these; they do not change the models themselves. Access has been
decided before a service is called (patients/access.py): a service trusts
that the caller may do what it asks, and checks only the rules of the domain.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.trail import audited_update
from patients.invitations import addressed_to, invitation_lifetime
from patients.models import CareLink, PatientProfile

if TYPE_CHECKING:
    from accounts.models import User


class CareTeamError(Exception):
    """A care-team change the rules do not allow; the message is for the person who asked."""


# --- Patient profile ----------------------------------------------------------------


@transaction.atomic
def patient_profile_create(
    *,
    user: User,
    display_name: str,
    phone_number: str,
    time_zone: str,
    date_of_birth: datetime.date | None = None,
    is_active: bool = True,
    cares_for_others: bool = False,
) -> PatientProfile:
    profile = PatientProfile(
        user=user,
        display_name=display_name,
        phone_number=phone_number,
        time_zone=time_zone,
        date_of_birth=date_of_birth,
        is_active=is_active,
    )
    profile.full_clean()
    profile.save()
    if cares_for_others and not user.cares_for_others:
        user_mark_caregiver(user=user)
    return profile


def user_mark_caregiver(*, user: User) -> None:
    user.cares_for_others = True
    user.save(update_fields=["cares_for_others"])


# What apps above patients keep in step with a profile: reminders makes future doses again when
# the time zone changes (doses at 08:00 follow the patient to 08:00 in the new zone). Imports run
# one way, so patients cannot call them: each registers its follower here, once, from its
# AppConfig.ready(), and every door that changes a profile (page, API, admin) reaches them
# through patient_profile_update. A follower is called inside the update's transaction with the
# profile as saved and the names of the fields whose value changed.
ProfileFollower = Callable[[PatientProfile, frozenset[str]], None]
_profile_followers: list[ProfileFollower] = []


def patient_profile_follow(follower: ProfileFollower) -> None:
    if follower not in _profile_followers:
        _profile_followers.append(follower)


@transaction.atomic
def patient_profile_update(*, profile: PatientProfile, **changes: Any) -> PatientProfile:
    stored = PatientProfile.objects.values(*changes).get(pk=profile.pk)
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.full_clean()
    profile.save()
    changed = frozenset(field for field in changes if getattr(profile, field) != stored[field])
    if changed:
        for follower in _profile_followers:
            follower(profile, changed)
    return profile


# --- Care links ---------------------------------------------------------------------


def care_link_invite(
    *,
    patient: PatientProfile,
    email: str,
    caregiver_name: str = "",
    can_confirm_doses: bool = False,
    receives_missed_dose_alerts: bool = True,
) -> CareLink:
    """Invite `email` into the patient's care team, or send a fresh invitation.

    An address has one row per patient: inviting it again after a decline,
    revocation, departure or expiry reopens that row with a new link, and
    the old links stop working. An address that is already invited (and not
    expired) or active is refused with a message saying so.

    The email goes through the outbox: the reopened PENDING link, with its new nonce, is the
    event the outbox worker (notifications/invitations.py) finds and mails, with retries and a
    recorded outcome. Nothing is sent from here, so a failing mail server cannot fail the request.
    """
    email = email.strip().lower()
    if (
        patient.user.email.lower() == email
        # allauth ships no types, so the plugin does not know its reverse relation.
        or patient.user.emailaddress_set.filter(email__iexact=email).exists()  # type: ignore[attr-defined]
    ):
        raise CareTeamError("That is your own email address. Invite the person who helps you.")
    try:
        with transaction.atomic():
            link, created = CareLink.objects.select_for_update().get_or_create(
                patient=patient,
                invited_email=email,
                defaults={"invite_expires_at": timezone.now()},
            )
            if not created and link.status == CareLink.Status.ACTIVE:
                raise CareTeamError(f"{link.caregiver_label} is already in your care team.")
            if not created and link.is_open:
                raise CareTeamError(
                    f'{email} has already been invited. To email them again, use "Send again" in the list.'
                )
            _reopen_invitation(
                link,
                caregiver_name=caregiver_name,
                can_confirm_doses=can_confirm_doses,
                receives_missed_dose_alerts=receives_missed_dose_alerts,
            )
    except IntegrityError:
        # Two invitations for the same address at the same moment: the other one won.
        raise CareTeamError(f"{email} has already been invited.") from None
    return link


@transaction.atomic
def care_link_resend(*, link: CareLink) -> CareLink:
    """A new invitation email with a new link and a new expiry; the old link stops working."""
    link = CareLink.objects.select_for_update().get(pk=link.pk)
    if link.status == CareLink.Status.ACTIVE:
        raise CareTeamError(f"{link.caregiver_label} has already accepted.")
    _reopen_invitation(
        link,
        caregiver_name=link.caregiver_name,
        can_confirm_doses=link.can_confirm_doses,
        receives_missed_dose_alerts=link.receives_missed_dose_alerts,
    )
    return link


def _reopen_invitation(link: CareLink, **permissions: Any) -> None:
    now = timezone.now()
    for field, value in permissions.items():
        setattr(link, field, value)
    link.status = CareLink.Status.PENDING
    link.caregiver = None
    link.new_invite_nonce()
    link.invited_at = now
    link.invite_expires_at = now + invitation_lifetime()
    link.responded_at = None
    link.ended_at = None
    link.save()


def care_link_accept(*, link: CareLink, user: User) -> CareLink:
    """The invitee says yes. Works once: of two tabs pressing Accept, one wins."""
    if link.patient.user_id == user.pk:
        raise CareTeamError("You cannot join your own care team.")
    if not addressed_to(user, link):
        raise CareTeamError(
            f"This invitation was sent to {link.invited_email}. Sign in with that address to accept it."
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            won = audited_update(
                CareLink.objects.filter(
                    pk=link.pk,
                    status=CareLink.Status.PENDING,
                    invite_nonce=link.invite_nonce,
                    invite_expires_at__gt=now,
                ),
                link,
                patient_id=link.patient_id,
                status=CareLink.Status.ACTIVE,
                caregiver_id=user.pk,
                responded_at=now,
                updated_at=now,
            )
            if won != 1:
                raise CareTeamError("This invitation has already been answered or has expired.")
            if not user.cares_for_others:
                user_mark_caregiver(user=user)
    except IntegrityError:
        raise CareTeamError(f"You are already in {link.patient.display_name}'s care team.") from None
    link.refresh_from_db()
    return link


@transaction.atomic
def care_link_decline(*, link: CareLink) -> CareLink:
    now = timezone.now()
    won = audited_update(
        CareLink.objects.filter(pk=link.pk, status=CareLink.Status.PENDING, invite_nonce=link.invite_nonce),
        link,
        patient_id=link.patient_id,
        status=CareLink.Status.DECLINED,
        responded_at=now,
        ended_at=now,
        updated_at=now,
    )
    if won != 1:
        raise CareTeamError("This invitation has already been answered.")
    link.refresh_from_db()
    return link


def _end(link: CareLink, *, status: str, from_statuses: list[str]) -> bool:
    now = timezone.now()
    ended = audited_update(
        CareLink.objects.filter(pk=link.pk, status__in=from_statuses),
        link,
        patient_id=link.patient_id,
        status=status,
        ended_at=now,
        updated_at=now,
    )
    link.refresh_from_db()
    return ended == 1


@transaction.atomic
def care_link_revoke(*, link: CareLink) -> CareLink:
    """The patient ends a link or withdraws an invitation; access ends with this commit."""
    _end(
        link, status=CareLink.Status.REVOKED, from_statuses=[CareLink.Status.ACTIVE, CareLink.Status.PENDING]
    )
    return link


@transaction.atomic
def care_link_leave(*, link: CareLink) -> CareLink:
    """The caregiver steps out of the patient's care team."""
    _end(link, status=CareLink.Status.LEFT, from_statuses=[CareLink.Status.ACTIVE])
    return link


@transaction.atomic
def care_link_set_permissions(
    *,
    link: CareLink,
    can_confirm_doses: bool,
    receives_missed_dose_alerts: bool,
    alert_delay_minutes: int | None = None,
    notify_on_confirmation: bool | None = None,
) -> CareLink:
    """Change what the caregiver may do and is told. None (the delay, the confirmations): unchanged."""
    link.can_confirm_doses = can_confirm_doses
    link.receives_missed_dose_alerts = receives_missed_dose_alerts
    if alert_delay_minutes is not None:
        link.alert_delay_minutes = alert_delay_minutes
    if notify_on_confirmation is not None:
        link.notify_on_confirmation = notify_on_confirmation
    link.save(
        update_fields=[
            "can_confirm_doses",
            "receives_missed_dose_alerts",
            "alert_delay_minutes",
            "notify_on_confirmation",
            "updated_at",
        ]
    )
    return link
