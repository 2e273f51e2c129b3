"""Use cases that change medications and doses, each in one transaction.

Access is decided before these are called (patients/access.py); they keep the
rules of the domain: doses are made ahead idempotently, past doses never
change, a dose is confirmed once, undo has a short window.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import Action
from audit.trail import audited_update, jsonable, record, together
from patients.models import PatientProfile
from reminders.models import (
    SNOOZE_MINUTES,
    UNDO_WINDOW,
    ConfirmationLog,
    Dose,
    MedicationReminder,
)
from reminders.schedule import MAX_PER_PERIOD_HOURS, Schedule, occurrences

if TYPE_CHECKING:
    from accounts.models import User

# A second "take a dose now" of an as-needed medication this soon is the same tap.
AS_NEEDED_REPEAT_TAP = datetime.timedelta(minutes=1)
# doses_until for a schedule that has no more doses: the make-doses job skips it.
NO_MORE_DOSES = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)

logger = logging.getLogger(__name__)


class DoseError(Exception):
    """What the person asked cannot be done; the message says why, for them."""


@dataclass(frozen=True)
class OverMaximum(DoseError):
    """An as-needed dose over the medication's maximum: the person must say "take anyway"."""

    count: int
    hours: int
    taken: int

    def __str__(self) -> str:
        return (
            f"You have taken {self.taken} dose{'s' if self.taken != 1 else ''} "
            f"in the last {self.hours} hours; "
            f"the most for this medication is {self.count}."
        )


def horizon() -> datetime.timedelta:
    return datetime.timedelta(days=settings.DOSE_HORIZON_DAYS)


# --- Medications -----------------------------------------------------------------------------


@transaction.atomic
def medication_create(*, patient: PatientProfile, schedule: Schedule, **fields: Any) -> MedicationReminder:
    reminder = MedicationReminder(
        patient=patient, schedule=schedule.to_json(), home_time_zone=patient.time_zone
    )
    for name, value in fields.items():
        setattr(reminder, name, value)
    reminder.full_clean()
    reminder.save()
    # From the doses still open now: a patient adding at 07:30 a pill due at 07:00 can record it.
    now = timezone.now()
    doses_extend(reminder=reminder, until=now + horizon(), now=now, start=now - reminder.grace)
    return reminder


@transaction.atomic
def medication_update(
    *, reminder: MedicationReminder, schedule: Schedule, **fields: Any
) -> MedicationReminder:
    reminder.schedule = schedule.to_json()
    reminder.__dict__.pop("parsed_schedule", None)
    for name, value in fields.items():
        setattr(reminder, name, value)
    reminder.full_clean()
    reminder.save()
    doses_rebuild(reminder=reminder)
    return reminder


@transaction.atomic
def medication_set_active(*, reminder: MedicationReminder, active: bool) -> MedicationReminder:
    """Pause (future doses are removed) or resume (doses from now on are made again)."""
    reminder.is_active = active
    reminder.save(update_fields=["is_active", "updated_at"])
    doses_rebuild(reminder=reminder)
    return reminder


# --- Making doses ahead -------------------------------------------------------------------------


def doses_extend(
    *,
    reminder: MedicationReminder,
    until: datetime.datetime,
    now: datetime.datetime,
    start: datetime.datetime | None = None,
) -> int:
    """Make the doses from where they stop (or `start`, or now) up to `until`.

    Idempotent: doses that already exist are left alone. Returns how many are new.
    """
    if not reminder.is_active or reminder.is_as_needed:
        # Nothing to make; NO_MORE_DOSES keeps the job from reading it again.
        if reminder.is_as_needed and reminder.doses_until != NO_MORE_DOSES:
            reminder.doses_until = NO_MORE_DOSES
            MedicationReminder.objects.filter(pk=reminder.pk).update(doses_until=NO_MORE_DOSES)
        return 0
    start = start or max(reminder.doses_until or now, now)
    schedule = reminder.parsed_schedule
    doses: list[Dose] = []
    if start < until:
        existing = set(
            reminder.doses.filter(scheduled_at__gte=start, scheduled_at__lt=until).values_list(
                "scheduled_at", flat=True
            )
        )
        doses = [
            Dose(
                reminder=reminder,
                patient_id=reminder.patient_id,
                scheduled_at=occurrence.at,
                window_ends_at=occurrence.at + reminder.grace,
                dosage=occurrence.dosage or reminder.dosage,
            )
            for occurrence in occurrences(schedule, reminder.zone, start, until)
            if occurrence.at not in existing
        ]
        # ignore_conflicts: a dose made meanwhile by another process is the same dose.
        Dose.objects.bulk_create(doses, ignore_conflicts=True)
        if doses:
            # bulk_create sends no signals: one entry for the doses made together.
            record(
                Action.CREATE,
                entity_type=Dose._meta.label,
                patient_id=reminder.patient_id,
                payload={
                    "reminder_id": reminder.pk,
                    "scheduled_at": [jsonable(dose.scheduled_at) for dose in doses],
                },
            )
    reminder.doses_until = NO_MORE_DOSES if _schedule_over(schedule, reminder, until) else until
    MedicationReminder.objects.filter(pk=reminder.pk).update(doses_until=reminder.doses_until)
    return len(doses)


def _schedule_over(schedule: Schedule, reminder: MedicationReminder, until: datetime.datetime) -> bool:
    """Whether no dose can come after `until`: its last day has passed there, or its count is reached."""
    last_day = schedule.last_day
    if last_day is not None and until.astimezone(reminder.zone).date() > last_day:
        return True
    if schedule.count:
        first = datetime.datetime.combine(schedule.start_date, datetime.time(), tzinfo=reminder.zone)
        made = occurrences(schedule, reminder.zone, first - datetime.timedelta(days=1), until)
        return len(made) >= schedule.count
    return False


@transaction.atomic
def doses_rebuild(*, reminder: MedicationReminder, now: datetime.datetime | None = None) -> int:
    """After a change to the schedule, the zone or the pause: future pending doses are made again.

    Doses already due, taken, skipped or missed never change.
    """
    now = now or timezone.now()
    # Serialise with the make-doses job, which locks the same row (see doses_make_ahead).
    MedicationReminder.objects.select_for_update().filter(pk=reminder.pk).first()
    doses_remove_future(reminder=reminder, now=now)
    reminder.doses_until = now
    return doses_extend(reminder=reminder, until=now + horizon(), now=now)


def doses_remove_future(*, reminder: MedicationReminder, now: datetime.datetime) -> int:
    """Remove the medication's pending doses after `now`, in a fixed number of statements, with
    one audit entry for all of them ("24 future doses removed"). Returns how many were removed.

    A QuerySet.delete() here would read every row and write one audit entry per dose through the
    delete signal: a pause of a dense schedule cost seconds and thousands of entries, holding
    SQLite's write lock. Call inside the transaction that locks the medication (doses_rebuild).

    What points at these doses is let go first, as their on_delete says, each in one statement:
    * a confirmation that was undone (a dose taken early, then undone) keeps its record and loses
      only its link to the dose, as on_delete=SET_NULL says; the entry names those confirmations;
    * a notification that named the dose no longer does (the many-to-many's rows);
    * a dose with a missed-dose alert (CASCADE) is never pending, but should one be, it is kept
      rather than its alert taken away silently.
    """
    future = Dose.objects.filter(
        reminder=reminder, status=Dose.Status.PENDING, scheduled_at__gt=now, missed_alert__isnull=True
    )
    ids = future.values("pk")
    undone = ConfirmationLog.objects.filter(dose__in=ids)
    unlinked = [str(key) for key in undone.values_list("object_id", flat=True)]
    if unlinked:
        undone.update(dose=None)
    # Many-to-many rows that name a dose (a notification's doses, declared by a later app): read
    # from the model's relations, so this app imports nothing above it.
    for relation in Dose._meta.related_objects:
        if relation.many_to_many:
            through = relation.through._base_manager  # type: ignore[attr-defined]
            target = relation.field.m2m_reverse_field_name()  # type: ignore[attr-defined]
            through.filter(**{f"{target}__in": ids})._raw_delete(through.db)
    removed = future._raw_delete(future.db)
    if removed:
        record(
            Action.DELETE,
            entity_type=Dose._meta.label,
            patient_id=reminder.patient_id,
            payload={
                "summary": f"{removed} future dose{'s' if removed != 1 else ''} removed",
                "reminder_id": reminder.pk,
                "removed": removed,
                "pending_after": jsonable(now),
                **({"confirmations_unlinked": unlinked} if unlinked else {}),
            },
        )
    return removed


def doses_follow_profile(patient: PatientProfile, changed: frozenset[str]) -> None:
    """Registered with patients.services.patient_profile_follow (reminders' AppConfig.ready):
    a new time zone makes the future pending doses again in it."""
    if "time_zone" in changed:
        doses_rebuild_for_patient(patient=patient)


def doses_rebuild_for_patient(*, patient: PatientProfile, now: datetime.datetime | None = None) -> None:
    """The patient's time zone changed: medications that follow it are rescheduled."""
    for reminder in patient.medications.filter(
        is_active=True, time_zone_mode=MedicationReminder.TimeZoneMode.LOCAL
    ):
        reminder.patient = patient
        doses_rebuild(reminder=reminder, now=now)


def doses_make_ahead(*, now: datetime.datetime | None = None) -> int:
    """The periodic job: top up every active medication whose doses run out within the horizon.

    Reads only those medications (an index on doses_until), so its cost follows
    what needs new doses, not how many doses exist.
    """
    now = now or timezone.now()
    until = now + horizon()
    due = MedicationReminder.objects.filter(is_active=True, doses_until__lt=until)
    made = 0
    for reminder_id in list(due.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                # Locked and read again: an edit saved since the list was read wins.
                reminder = (
                    MedicationReminder.objects.select_for_update(of=("self",))
                    .select_related("patient")
                    .filter(pk=reminder_id, is_active=True, doses_until__lt=until)
                    .first()
                )
                if reminder is not None:
                    made += doses_extend(reminder=reminder, until=until, now=now)
        except Exception as error:
            # One bad row (a schedule saved around the checks) must not cost every patient after
            # it their doses: its transaction is rolled back, the job goes on, and the next run
            # tries it again. The log names the row only: a schedule is health data.
            logger.error(
                "Made no doses for medication id=%s (%s); skipped it, the others go on.",
                reminder_id,
                type(error).__name__,
            )
    return made


# --- Confirming, skipping, undoing ---------------------------------------------------------------

# Apps above this one react when a dose is recorded (notifications tells the caregivers who asked).
# Imports run one way, so this app cannot call them: each registers its follower here, once, from
# its AppConfig.ready(), as reminders does with patients.services.patient_profile_follow. A
# follower is called inside the transaction that records the dose, once per recording (a second
# tap that returns the standing confirmation calls nobody), with the dose as it now is (TAKEN or
# SKIPPED, its patient and reminder at hand) and the person who recorded it.
DoseFollower = Callable[[Dose, "User"], None]
_dose_followers: list[DoseFollower] = []


def dose_recorded_follow(follower: DoseFollower) -> None:
    if follower not in _dose_followers:
        _dose_followers.append(follower)


def _dose_recorded(dose: Dose, by: User) -> None:
    for follower in _dose_followers:
        follower(dose, by)


def _role(dose: Dose, user: User) -> str:
    return ConfirmationLog.Role.PATIENT if dose.patient.user_id == user.pk else ConfirmationLog.Role.CAREGIVER


def dose_confirm(
    *,
    dose: Dose,
    by: User,
    method: str,
    taken_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> ConfirmationLog:
    """Mark the dose taken and log it. A second tap, or a second request at once, gets the same log."""
    now = now or timezone.now()
    taken_at = taken_at or now
    if taken_at > now + datetime.timedelta(minutes=1):
        raise DoseError("That time is still to come. Give the time you took it.")
    if taken_at < dose.records_from:
        raise DoseError("That is more than 12 hours before this dose was due. Check the time.")
    changes: dict[str, Any] = {
        "status": Dose.Status.TAKEN,
        "taken_at": taken_at,
        "resolved_at": now,
        "skip_reason": "",
        "skip_note": "",
        "updated_at": now,
    }
    with transaction.atomic(), together():
        won = audited_update(
            Dose.objects.filter(pk=dose.pk, status__in=[Dose.Status.PENDING, Dose.Status.MISSED]),
            dose,
            patient_id=dose.patient_id,
            **changes,
        )
        if not won:
            standing = (
                ConfirmationLog.objects.filter(dose=dose, undone_at__isnull=True)
                .select_related("reminder", "confirmed_by")
                .first()
            )
            if standing is not None:
                return standing
            raise DoseError("This dose was skipped. Undo the skip first.")
        log = ConfirmationLog.objects.create(
            reminder_id=dose.reminder_id,
            patient_id=dose.patient_id,
            dose=dose,
            confirmed_at=taken_at,
            confirmed_by=by,
            role=_role(dose, by),
            method=method,
            late=taken_at > dose.window_ends_at,
        )
        # The row now holds exactly these values: no need to read it again.
        for name, value in changes.items():
            setattr(dose, name, value)
        _dose_recorded(dose, by)
    return log


@transaction.atomic
def dose_skip(
    *, dose: Dose, by: User, reason: str, note: str = "", now: datetime.datetime | None = None
) -> Dose:
    now = now or timezone.now()
    if reason not in Dose.SkipReason.values:
        raise DoseError("Choose why you are skipping this dose.")
    if reason == Dose.SkipReason.OTHER and not note.strip():
        raise DoseError("Say in a few words why you are skipping this dose.")
    # The same window as "taken": a skip silences the dose's reminders and alerts, so a dose
    # days ahead cannot be skipped; from 12 hours before it is due, it can.
    if now < dose.records_from:
        opens = dose.records_from.astimezone(dose.patient.zone)
        raise DoseError(
            "It is too early to skip this dose: a dose can be recorded from 12 hours before it is due, "
            f"so from {opens:%A %d %B} at {opens:%H:%M}."
        )
    won = audited_update(
        Dose.objects.filter(pk=dose.pk, status__in=[Dose.Status.PENDING, Dose.Status.MISSED]),
        dose,
        patient_id=dose.patient_id,
        status=Dose.Status.SKIPPED,
        skip_reason=reason,
        skip_note=note.strip(),
        resolved_at=now,
        updated_at=now,
    )
    dose.refresh_from_db()
    if not won and dose.status != Dose.Status.SKIPPED:
        raise DoseError("This dose was already recorded as taken. Undo that first.")
    if won:
        _dose_recorded(dose, by)
    return dose


@transaction.atomic
def dose_undo(*, dose: Dose, by: User, now: datetime.datetime | None = None) -> Dose | None:
    """Take back a "taken" or "skip" within UNDO_WINDOW. An as-needed dose is removed altogether.

    Returns the dose as it is now, or None when it was an as-needed dose that is gone.
    """
    now = now or timezone.now()
    dose = Dose.objects.select_for_update().get(pk=dose.pk)
    if dose.status not in (Dose.Status.TAKEN, Dose.Status.SKIPPED):
        raise DoseError("There is nothing to undo for this dose.")
    if dose.resolved_at is None or now - dose.resolved_at > UNDO_WINDOW:
        raise DoseError("It is too late to undo: that was more than 10 minutes ago.")
    for log in ConfirmationLog.objects.filter(dose=dose, undone_at__isnull=True).select_related("reminder"):
        log.undone_at = now
        log.save(update_fields=["undone_at", "updated_at"])
    if dose.as_needed:
        dose.delete()
        return None
    dose.status = Dose.Status.PENDING if now < dose.window_ends_at else Dose.Status.MISSED
    dose.taken_at = None
    dose.skip_reason = ""
    dose.skip_note = ""
    dose.resolved_at = None if dose.status == Dose.Status.PENDING else now
    dose.save()
    return dose


@transaction.atomic
def dose_snooze(*, dose: Dose, minutes: int, now: datetime.datetime | None = None) -> Dose:
    """ "Remind me in 10, 30 or 60 minutes", until the dose counts as missed."""
    now = now or timezone.now()
    if minutes not in SNOOZE_MINUTES:
        raise DoseError("Choose 10, 30 or 60 minutes.")
    at = now + datetime.timedelta(minutes=minutes)
    if dose.status != Dose.Status.PENDING:
        raise DoseError("This dose is already recorded; there is nothing to remind you of.")
    if at >= dose.window_ends_at:
        local = dose.window_ends_at.astimezone(dose.patient.zone)
        raise DoseError(
            f"A reminder then would be too late: this dose counts as missed at {local:%H:%M}. "
            "Take it now, or skip it."
        )
    won = audited_update(
        Dose.objects.filter(pk=dose.pk, status=Dose.Status.PENDING),
        dose,
        patient_id=dose.patient_id,
        remind_again_at=at,
        updated_at=now,
    )
    if not won:
        raise DoseError("This dose is already recorded; there is nothing to remind you of.")
    dose.remind_again_at = at
    return dose


def as_needed_take(
    *,
    reminder: MedicationReminder,
    by: User,
    method: str,
    taken_at: datetime.datetime | None = None,
    over_maximum_ok: bool = False,
    now: datetime.datetime | None = None,
) -> ConfirmationLog:
    """Record a dose of an as-needed medication. Over the maximum, only when the person says so."""
    now = now or timezone.now()
    taken_at = taken_at or now
    if taken_at > now + datetime.timedelta(minutes=1):
        raise DoseError("That time is still to come. Give the time you took it.")
    with transaction.atomic():
        # One medication's as-needed doses are counted and added one at a time.
        MedicationReminder.objects.select_for_update().get(pk=reminder.pk)
        recent = Dose.objects.filter(reminder=reminder, as_needed=True, status=Dose.Status.TAKEN)
        # A second tap on "take a dose now" within a minute is the same dose;
        # a dose already recorded at the very time given is that dose.
        if taken_at == now:
            repeat = recent.filter(
                resolved_at__gte=now - AS_NEEDED_REPEAT_TAP, taken_at__gte=now - AS_NEEDED_REPEAT_TAP
            )
        else:
            repeat = recent.filter(scheduled_at=taken_at)
        repeated = repeat.first()
        if repeated is not None:
            # A taken dose always has its standing confirmation.
            return ConfirmationLog.objects.filter(dose=repeated, undone_at__isnull=True).first()  # type: ignore[return-value]
        if Dose.objects.filter(reminder=reminder, scheduled_at=taken_at).exists():
            raise DoseError("A dose of this medication is already recorded at that time.")
        maximum = reminder.parsed_schedule.max_per_period
        if maximum is not None and not over_maximum_ok:
            # A limit stored before its bounds were checked (10**30 hours) must not overflow here:
            # no window is longer than the longest a schedule may have.
            hours = min(maximum.hours, MAX_PER_PERIOD_HOURS)
            taken = recent.filter(taken_at__gt=taken_at - datetime.timedelta(hours=hours)).count()
            if taken >= maximum.count:
                raise OverMaximum(count=maximum.count, hours=maximum.hours, taken=taken)
        dose = Dose.objects.create(
            reminder=reminder,
            patient_id=reminder.patient_id,
            scheduled_at=taken_at,
            window_ends_at=taken_at,
            dosage=reminder.dosage,
            status=Dose.Status.TAKEN,
            as_needed=True,
            taken_at=taken_at,
            resolved_at=now,
        )
        dose.patient = reminder.patient
        log = ConfirmationLog.objects.create(
            reminder=reminder,
            patient_id=reminder.patient_id,
            dose=dose,
            confirmed_at=taken_at,
            confirmed_by=by,
            role=_role(dose, by),
            method=method,
        )
        _dose_recorded(dose, by)
        return log
