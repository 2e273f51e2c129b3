"""Reads for pages and the API, already limited to one patient, in a fixed number of queries."""

from __future__ import annotations

import calendar
import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from patients.models import PatientProfile
from reminders.models import (
    EARLIEST_BEFORE_SCHEDULE,
    SNOOZE_MINUTES,
    UNDO_WINDOW,
    ConfirmationLog,
    Dose,
    MedicationReminder,
)

DUE_SOON = datetime.timedelta(minutes=60)


def local_day_bounds(
    day: datetime.date, zone: datetime.tzinfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """The UTC instants where a local day starts and the next one starts (23, 24 or 25 hours apart)."""
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return start.astimezone(datetime.UTC), end.astimezone(datetime.UTC)


def doses_with_details() -> QuerySet[Dose]:
    standing = ConfirmationLog.objects.filter(undone_at__isnull=True).select_related("confirmed_by")
    return Dose.objects.select_related("reminder").prefetch_related(
        Prefetch("confirmations", queryset=standing, to_attr="standing_confirmations")
    )


@dataclass
class DoseRow:
    """One dose as the Today page and history show it."""

    dose: Dose
    state: str  # upcoming, due_soon, due_now, taken, taken_late, skipped, missed
    label: str
    confirmed_by_caregiver: str = ""
    can_undo: bool = False
    can_take: bool = False
    # The snoozes that still come before the dose counts as missed (a due dose of the patient's).
    snooze_minutes: tuple[int, ...] = ()

    @property
    def actionable(self) -> bool:
        return self.state in ("upcoming", "due_soon", "due_now", "missed")


def dose_row(dose: Dose, now: datetime.datetime, zone: datetime.tzinfo) -> DoseRow:
    status = dose.status
    if status == Dose.Status.TAKEN:
        taken_local = timezone.localtime(dose.taken_at, zone)
        state = "taken_late" if dose.taken_late else "taken"
        label = f"Taken at {taken_local:%H:%M}" + (" (late)" if dose.taken_late else "")
    elif status == Dose.Status.SKIPPED:
        state, label = "skipped", f"Skipped: {dose.get_skip_reason_display().lower()}"
    elif status == Dose.Status.MISSED or now >= dose.window_ends_at:
        state, label = "missed", "Missed"
    elif now >= dose.scheduled_at:
        state, label = "due_now", "Due now"
    elif now >= dose.scheduled_at - DUE_SOON:
        state, label = "due_soon", "Due soon"
    else:
        state, label = "upcoming", "Later today"
    row = DoseRow(dose=dose, state=state, label=label)
    confirmations = getattr(dose, "standing_confirmations", [])
    if (
        confirmations
        and confirmations[0].role == ConfirmationLog.Role.CAREGIVER
        and confirmations[0].confirmed_by
    ):
        row.confirmed_by_caregiver = confirmations[0].confirmed_by.email
    # "Taken" and "skip" are offered once they can be accepted: from 12 hours before the dose.
    row.can_take = row.actionable and now >= dose.records_from
    if state == "due_now":
        left = dose.window_ends_at - now
        row.snooze_minutes = tuple(m for m in SNOOZE_MINUTES if datetime.timedelta(minutes=m) < left)
    row.can_undo = (
        status in (Dose.Status.TAKEN, Dose.Status.SKIPPED)
        and dose.resolved_at is not None
        and now - dose.resolved_at <= UNDO_WINDOW
    )
    return row


def today(patient: PatientProfile, now: datetime.datetime | None = None) -> list[DoseRow]:
    """Every dose of the patient's local day, in order. Three queries."""
    now = now or timezone.now()
    zone = patient.zone
    start, end = local_day_bounds(now.astimezone(zone).date(), zone)
    doses = doses_with_details().filter(patient=patient, scheduled_at__gte=start, scheduled_at__lt=end)
    return [dose_row(dose, now, zone) for dose in doses.order_by("scheduled_at", "reminder__medication_name")]


def medications(patient: PatientProfile) -> QuerySet[MedicationReminder]:
    return patient.medications.with_is_confirmed().order_by("-is_active", "medication_name", "pk")


# --- History ------------------------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: datetime.date
    in_month: bool
    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def month_calendar(
    patient: PatientProfile, year: int, month: int, *, medication_id: int | None = None
) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month, each day with its doses counted by status. One query."""
    zone = patient.zone
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    doses = Dose.objects.filter(patient=patient, scheduled_at__gte=start, scheduled_at__lt=end)
    if medication_id is not None:
        doses = doses.filter(reminder_id=medication_id)
    now = timezone.now()
    counts: dict[datetime.date, Counter] = defaultdict(Counter)
    for scheduled_at, window_ends_at, status in doses.values_list("scheduled_at", "window_ends_at", "status"):
        if status == Dose.Status.PENDING:
            status = "missed" if window_ends_at <= now else "pending"
        counts[scheduled_at.astimezone(zone).date()][status] += 1
    return [
        [CalendarDay(day=day, in_month=day.month == month, counts=counts.get(day, Counter())) for day in week]
        for week in weeks
    ]


def day_doses(
    patient: PatientProfile,
    day: datetime.date,
    *,
    medication_id: int | None = None,
    now: datetime.datetime | None = None,
) -> list[DoseRow]:
    now = now or timezone.now()
    zone = patient.zone
    start, end = local_day_bounds(day, zone)
    doses = doses_with_details().filter(patient=patient, scheduled_at__gte=start, scheduled_at__lt=end)
    if medication_id is not None:
        doses = doses.filter(reminder_id=medication_id)
    return [dose_row(dose, now, zone) for dose in doses.order_by("scheduled_at", "reminder__medication_name")]


# --- The caregiver dashboard --------------------------------------------------------------------


@dataclass(frozen=True)
class NextDose:
    scheduled_at: datetime.datetime
    medication_name: str


@dataclass
class TodaySummary:
    taken: int = 0
    missed: int = 0
    pending: int = 0
    skipped: int = 0
    next_dose: NextDose | None = None
    last_missed_at: datetime.datetime | None = None


def today_summaries(
    patients: list[PatientProfile], now: datetime.datetime | None = None
) -> dict[int, TodaySummary]:
    """For each patient: today's doses by status (their own local day), the next dose, the last missed.

    Four queries whatever the number of patients, each reading plain values (a dashboard
    of 50 patients reads hundreds of doses: no model objects for them): the doses of a
    window wide enough for every local "today", the latest missed dose per patient, the
    time of each one's next dose, and those doses' medications.
    """
    now = now or timezone.now()
    summaries = {patient.pk: TodaySummary() for patient in patients}
    if not patients:
        return summaries
    zones: dict[str, datetime.tzinfo] = {}
    bounds = {}
    for patient in patients:
        zone = zones.get(patient.time_zone) or zones.setdefault(patient.time_zone, patient.zone)
        bounds[patient.pk] = local_day_bounds(now.astimezone(zone).date(), zone)
    window_start = min(start for start, _ in bounds.values())
    window_end = max(end for _, end in bounds.values())
    pending = Dose.Status.PENDING
    for patient_id, scheduled_at, status, window_ends_at in Dose.objects.filter(
        patient_id__in=summaries, scheduled_at__gte=window_start, scheduled_at__lt=window_end
    ).values_list("patient_id", "scheduled_at", "status", "window_ends_at"):
        start, end = bounds[patient_id]
        if not start <= scheduled_at < end:
            continue
        summary = summaries[patient_id]
        if status == pending and window_ends_at <= now:
            summary.missed += 1
        elif status == pending:
            summary.pending += 1
        else:
            setattr(summary, status, getattr(summary, status) + 1)
    # A pending dose whose window has ended is missed, whether or not the sweep has marked it yet.
    missed = Q(status=Dose.Status.MISSED) | Q(status=pending, window_ends_at__lte=now)
    for patient_id, last in (
        Dose.objects.filter(missed, patient_id__in=summaries, as_needed=False)
        .values("patient_id")
        .annotate(last=Max("scheduled_at"))
        .values_list("patient_id", "last")
    ):
        summaries[patient_id].last_missed_at = last
    # The next dose, however far ahead: its time per patient, then the pending doses at those
    # times (an IN list of each; a pair that is not a patient's own next time is left out).
    next_at = dict(
        Dose.objects.filter(patient_id__in=summaries, status=pending, scheduled_at__gte=now)
        .values("patient_id")
        .annotate(next_at=Min("scheduled_at"))
        .values_list("patient_id", "next_at")
    )
    if next_at:
        for patient_id, scheduled_at, medication_name in (
            Dose.objects.filter(
                patient_id__in=next_at, scheduled_at__in=set(next_at.values()), status=pending
            )
            .order_by("pk")
            .values_list("patient_id", "scheduled_at", "reminder__medication_name")
        ):
            summary = summaries[patient_id]
            if summary.next_dose is None and scheduled_at == next_at[patient_id]:
                summary.next_dose = NextDose(scheduled_at, medication_name)
    return summaries


# --- "The dose due now" (the brief's ConfirmationLog {reminder}) --------------------------------

# How far from now a dose whose window is not open may still be the one meant: as far ahead as a
# dose may be recorded (EARLIEST_BEFORE_SCHEDULE), and as far back.
DUE_NOW_REACH = EARLIEST_BEFORE_SCHEDULE


def dose_due_now(reminder: MedicationReminder, now: datetime.datetime | None = None) -> Dose | None:
    """The dose a plain "I took my <medication>" means at `now`, or None. One query.

    1. A dose whose window is open (scheduled_at <= now < window_ends_at): the earliest of
       those still pending. If every open one is resolved, the latest of them, so that saying
       "taken" twice answers the same confirmation (a taken dose) or the reason it cannot
       (a skipped one) instead of reaching for another dose.
    2. Else the dose nearest to now, whatever its status, among those scheduled within
       DUE_NOW_REACH (12 hours) either side: a late one whose window has closed, or an early
       one not yet due. An early dose is therefore taken only when no dose is nearer, and a
       dose already taken that is nearer than the next one answers again rather than letting
       a repeated "taken" record the next dose early. On a tie the earlier dose is meant.

    Doses of an as-needed medication are never meant: there is no dose due, only one to take.
    """
    now = now or timezone.now()
    doses = list(
        Dose.objects.filter(
            reminder=reminder,
            as_needed=False,
            scheduled_at__gte=now - DUE_NOW_REACH,
            scheduled_at__lte=now + DUE_NOW_REACH,
        ).order_by("scheduled_at", "pk")
    )
    open_now = [dose for dose in doses if dose.scheduled_at <= now < dose.window_ends_at]
    if open_now:
        pending = [dose for dose in open_now if dose.status == Dose.Status.PENDING]
        return pending[0] if pending else open_now[-1]
    if not doses:
        return None
    return min(doses, key=lambda dose: abs(dose.scheduled_at - now))
