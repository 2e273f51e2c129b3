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


@dataclass
class TodaySummary:
    taken: int = 0
    missed: int = 0
    pending: int = 0
    skipped: int = 0
    next_dose: Dose | None = None
    last_missed_at: datetime.datetime | None = None


def today_summaries(
    patients: list[PatientProfile], now: datetime.datetime | None = None
) -> dict[int, TodaySummary]:
    """For each patient: today's doses by status (their own local day), the next dose, the last missed.

    Two queries whatever the number of patients: the doses of a window wide
    enough for every local "today" and tomorrow's first dose, and the latest
    missed dose per patient.
    """
    now = now or timezone.now()
    summaries = {patient.pk: TodaySummary() for patient in patients}
    if not patients:
        return summaries
    zones = {patient.pk: patient.zone for patient in patients}
    bounds = {pk: local_day_bounds(now.astimezone(zone).date(), zone) for pk, zone in zones.items()}
    window_start = min(start for start, _ in bounds.values())
    window_end = max(end for _, end in bounds.values())
    doses = (
        Dose.objects.filter(
            patient_id__in=summaries, scheduled_at__gte=window_start, scheduled_at__lt=window_end
        )
        .select_related("reminder")
        .order_by("scheduled_at")
    )
    for dose in doses:
        summary = summaries[dose.patient_id]
        start, end = bounds[dose.patient_id]
        if not start <= dose.scheduled_at < end:
            continue
        if dose.status == Dose.Status.PENDING and dose.window_ends_at <= now:
            summary.missed += 1
        elif dose.status == Dose.Status.PENDING:
            summary.pending += 1
        else:
            setattr(summary, dose.status, getattr(summary, dose.status) + 1)
    # A pending dose whose window has ended is missed, whether or not the sweep has marked it yet.
    missed = Q(status=Dose.Status.MISSED) | Q(status=Dose.Status.PENDING, window_ends_at__lte=now)
    for row in (
        Dose.objects.filter(missed, patient_id__in=summaries, as_needed=False)
        .values("patient_id")
        .annotate(last=Max("scheduled_at"))
    ):
        summaries[row["patient_id"]].last_missed_at = row["last"]
    # The next dose, however far ahead: its time per patient, then those doses.
    upcoming = (
        Dose.objects.filter(patient_id__in=summaries, status=Dose.Status.PENDING, scheduled_at__gte=now)
        .values("patient_id")
        .annotate(next_at=Min("scheduled_at"))
    )
    pairs = Q(pk__in=[])
    for next_row in upcoming:
        pairs |= Q(patient_id=next_row["patient_id"], scheduled_at=next_row["next_at"])
    for dose in (
        Dose.objects.filter(pairs, status=Dose.Status.PENDING).select_related("reminder").order_by("pk")
    ):
        summary = summaries[dose.patient_id]
        if summary.next_dose is None:
            summary.next_dose = dose
    return summaries
