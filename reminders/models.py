"""Medications, their doses, and the record of what was taken.

A MedicationReminder is the brief's MedicationReminder: a medication and its
schedule (reminders/schedule.py, stored as JSON). Its schedule is expanded
ahead of time into Dose rows (decision 1): one row per scheduled occurrence,
so that "today", "due now", "missed" and adherence are indexed queries.
A ConfirmationLog records each "taken", by whom and how; undoing keeps the
row and marks it undone, so the history stays whole.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from adherence.text import validate_single_line
from patients.models import PatientProfile, validate_time_zone
from reminders.describe import describe_schedule
from reminders.schedule import Schedule


class MedicationReminderQuerySet(models.QuerySet):
    def with_is_confirmed(self, now=None) -> MedicationReminderQuerySet:
        """Annotate the brief's isConfirmed: whether the latest dose already due was taken (one subquery)."""
        latest_due = (
            Dose.objects.filter(reminder=models.OuterRef("pk"), scheduled_at__lte=now or timezone.now())
            .order_by("-scheduled_at")
            .values("status")[:1]
        )
        return self.annotate(latest_due_status=models.Subquery(latest_due))


class MedicationReminder(models.Model):
    # The API's objectId: opaque, not a guessable sequence.
    object_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class TimeZoneMode(models.TextChoices):
        LOCAL = "local", "Follow my time zone when I travel"
        HOME = "home", "Keep to my home time, at fixed intervals"

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="medications")
    medication_name = models.CharField("medication", max_length=200, validators=[validate_single_line])
    dosage = models.CharField(
        "dose",
        max_length=100,
        help_text="For example “1 tablet” or “500 mg”.",
        validators=[validate_single_line],
    )
    instructions = models.CharField(
        "instructions",
        max_length=300,
        blank=True,
        help_text="For example “with food”.",
        validators=[validate_single_line],
    )
    # Schedule.to_json(); the brief's "Array schedule", made explicit.
    schedule = models.JSONField()
    grace_minutes = models.PositiveIntegerField(
        "minutes before a dose counts as missed",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    is_active = models.BooleanField("active", default=True, help_text="Off pauses this medication.")
    time_zone_mode = models.CharField(max_length=8, choices=TimeZoneMode.choices, default=TimeZoneMode.LOCAL)
    # The zone a HOME-mode medication keeps to; set from the patient's zone when created.
    home_time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # Doses exist up to this instant (exclusive). The make-doses job picks
    # the medications whose doses run out within the horizon, nothing else.
    doses_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MedicationReminderQuerySet.as_manager()

    class Meta:
        verbose_name = "medication"
        ordering = ["medication_name", "pk"]
        indexes = [
            # reminders.services.doses_make_ahead: active medications whose doses run out soon.
            models.Index(
                fields=["doses_until"], condition=Q(is_active=True), name="reminder_doses_until_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.medication_name} {self.dosage}".strip()

    @cached_property
    def parsed_schedule(self) -> Schedule:
        return Schedule.from_json(self.schedule)

    @property
    def is_confirmed(self) -> bool:
        """The brief's isConfirmed: the latest dose already due was taken.

        Uses the `with_is_confirmed()` annotation when present, else one query.
        """
        if hasattr(self, "latest_due_status"):
            status = self.latest_due_status
        else:
            status = (
                self.doses.filter(scheduled_at__lte=timezone.now())
                .order_by("-scheduled_at")
                .values_list("status", flat=True)
                .first()
            )
        return status == Dose.Status.TAKEN

    @property
    def schedule_summary(self) -> str:
        return describe_schedule(self.parsed_schedule)

    @property
    def is_as_needed(self) -> bool:
        return bool(self.schedule.get("as_needed"))

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The zone doses are scheduled in: the patient's own, or home time for fixed intervals."""
        if self.time_zone_mode == self.TimeZoneMode.HOME:
            return zoneinfo.ZoneInfo(self.home_time_zone)
        return self.patient.zone

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)


# The rules of a dose's life, kept by reminders.services and shown by reminders.selectors.
# "Remind me again in 10, 30 or 60 minutes" (dose_snooze).
SNOOZE_MINUTES = (10, 30, 60)
# How long a "taken" or "skip" can be taken back (dose_undo).
UNDO_WINDOW = timedelta(minutes=10)
# How far before its time a scheduled dose may be recorded as taken.
EARLIEST_BEFORE_SCHEDULE = timedelta(hours=12)


class Dose(models.Model):
    # The API's objectId: opaque, not a guessable sequence.
    object_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        TAKEN = "taken", "Taken"
        SKIPPED = "skipped", "Skipped"
        MISSED = "missed", "Missed"

    class SkipReason(models.TextChoices):
        UNWELL = "unwell", "Felt unwell"
        RAN_OUT = "ran_out", "Ran out"
        DOCTOR = "doctor", "Doctor's advice"
        AWAY = "away", "Away from my medicines"
        OTHER = "other", "Other"

    reminder = models.ForeignKey(MedicationReminder, on_delete=models.CASCADE, related_name="doses")
    # Denormalised from reminder.patient: "today" and history are one indexed query per patient.
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="doses")
    scheduled_at = models.DateTimeField()
    window_ends_at = models.DateTimeField(help_text="After this the dose counts as missed.")
    dosage = models.CharField(max_length=100, blank=True, validators=[validate_single_line])
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # A dose of an as-needed medication, made when it was taken.
    as_needed = models.BooleanField(default=False)
    taken_at = models.DateTimeField(null=True, blank=True, help_text="When it was taken, as the person said.")
    skip_reason = models.CharField(max_length=8, choices=SkipReason.choices, blank=True)
    skip_note = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="When the first reminder went out.")
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # The next reminder of a dose still pending: a snooze, or "every N minutes".
    remind_again_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was taken, skipped or missed."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "pk"]
        constraints = [
            # Making doses again is harmless: one row per medication and moment.
            models.UniqueConstraint(
                fields=["reminder", "scheduled_at"], name="dose_one_per_reminder_and_time"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "taken", "skipped", "missed"]), name="dose_status_known"
            ),
        ]
        indexes = [
            # Today, history, the caregiver dashboard: a patient's doses by time.
            models.Index(fields=["patient", "scheduled_at"], name="dose_patient_time"),
            # The missed-dose sweep: pending doses whose window has ended, and nothing else.
            models.Index(
                fields=["window_ends_at"], condition=Q(status="pending"), name="dose_pending_window_ends"
            ),
            # Due reminders: pending doses not yet reminded, by time...
            models.Index(
                fields=["scheduled_at"],
                condition=Q(status="pending", reminded_at__isnull=True, as_needed=False),
                name="dose_pending_unreminded",
            ),
            # ...and those to remind again (snoozed, or repeating).
            models.Index(
                fields=["remind_again_at"],
                condition=Q(status="pending", remind_again_at__isnull=False),
                name="dose_pending_remind_again",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reminder} at {self.scheduled_at:%Y-%m-%d %H:%M} UTC"

    @property
    def records_from(self) -> datetime.datetime:
        """The earliest moment this dose may be recorded, taken or skipped (EARLIEST_BEFORE_SCHEDULE)."""
        return self.scheduled_at - EARLIEST_BEFORE_SCHEDULE

    @property
    def is_resolved(self) -> bool:
        return self.status != self.Status.PENDING

    @property
    def taken_late(self) -> bool:
        return (
            self.status == self.Status.TAKEN
            and self.taken_at is not None
            and self.taken_at > self.window_ends_at
        )


class ConfirmationLog(models.Model):
    """One "taken": the brief's ConfirmationLog (reminder, confirmedAt), plus the dose, who and how."""

    # The API's objectId: opaque, not a guessable sequence.
    object_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Method(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        LINK = "link", "Signed link"

    class Role(models.TextChoices):
        PATIENT = "patient", "The patient"
        CAREGIVER = "caregiver", "A caregiver"

    reminder = models.ForeignKey(MedicationReminder, on_delete=models.CASCADE, related_name="confirmations")
    # Denormalised from reminder.patient, as on Dose: whose record this is, without a join (the
    # audit trail files the entry under the patient without reading the reminder).
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="confirmations")
    # SET_NULL: the record of a confirmation outlives an as-needed dose that was undone.
    dose = models.ForeignKey(Dose, on_delete=models.SET_NULL, null=True, related_name="confirmations")
    confirmed_at = models.DateTimeField(help_text="When the dose was taken.")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    method = models.CharField(max_length=4, choices=Method.choices)
    late = models.BooleanField(default=False, help_text="Taken after the dose's window had ended.")
    undone_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-confirmed_at", "-pk"]
        constraints = [
            # Two taps, or two requests at once: one confirmation per dose.
            models.UniqueConstraint(
                fields=["dose"],
                condition=Q(undone_at__isnull=True),
                name="confirmation_one_standing_per_dose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reminder} taken {self.confirmed_at:%Y-%m-%d %H:%M} UTC"


class MissedDoseAlert(models.Model):
    """The brief's MissedDoseAlert (reminder, alertedAt): one per missed dose, never two.

    Made by the missed-dose sweep (notifications/sweep.py). The patient is
    told at once; caregivers whose link includes alerts are told in the order
    and after the delay the patient chose, until one of them acknowledges it
    ("I'm handling it"), which stops the later steps.
    """

    # The API's objectId: opaque, not a guessable sequence.
    object_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reminder = models.ForeignKey(MedicationReminder, on_delete=models.CASCADE, related_name="missed_alerts")
    dose = models.OneToOneField(Dose, on_delete=models.CASCADE, related_name="missed_alert")
    # Denormalised from dose.patient, as on Dose: a patient's alerts are one indexed query.
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="missed_alerts")
    alerted_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Escalation: caregivers whose delay is at most this many minutes have been told...
    escalated_through = models.IntegerField(default=-1, editable=False)
    # ...and the next step is due then (None: no more steps).
    escalation_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "missed-dose alert"
        ordering = ["-alerted_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "alerted_at"], name="alert_patient_time"),
            # The escalation job: alerts with a step due, and nothing else.
            models.Index(
                fields=["escalation_due_at"],
                condition=Q(escalation_due_at__isnull=False),
                name="alert_escalation_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Missed: {self.dose}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def escalation_is_over(self) -> bool:
        """No caregiver needs telling any more: someone is handling it, the dose was recorded
        since (taken or skipped late), or the patient paused reminders and alerts.

        Reads self.dose and self.patient: load them with the alert (select_related).
        """
        return (
            self.acknowledged_at is not None
            or self.dose.status in (Dose.Status.TAKEN, Dose.Status.SKIPPED)
            or not self.patient.is_active
        )

    @staticmethod
    def first_escalation_due_at(
        alerted_at: datetime.datetime, delays: Iterable[int]
    ) -> datetime.datetime | None:
        """When a new alert's first caregiver step is due: after the shortest delay, or None."""
        shortest = min(delays, default=None)
        return None if shortest is None else alerted_at + timedelta(minutes=shortest)

    def escalation_step(self, *, delays: Mapping[int, int], now: datetime.datetime) -> EscalationStep:
        """The escalation step due at `now`: who is told, and when the step after it is due.

        `delays` maps each caregiver who may receive alerts now (their user id, as the access
        policy answers) to their delay in minutes after `alerted_at`. Pure: no queries, no
        writes; escalate() (notifications/sweep.py) stores the result by compare-and-set.

        * A caregiver is told once their delay has passed, unless an earlier step already went
          past it (`escalated_through`): a delay shortened after its step, or a caregiver added
          later with a shorter delay than a step already taken, is not told late.
        * Caregivers with the same delay are told in the same step.
        * Once the escalation is over (acknowledged, recorded, paused) nobody is told and no
          step follows, however long the delays.
        * Minutes are counted on the UTC timeline, so a delay of 60 is 60 real minutes even
          across a daylight-saving change of the patient's clock.
        """
        if self.escalation_is_over:
            return EscalationStep(tell=frozenset(), through=self.escalated_through, next_due_at=None)
        elapsed = (now - self.alerted_at) / timedelta(minutes=1)
        tell = frozenset(
            caregiver for caregiver, delay in delays.items() if self.escalated_through < delay <= elapsed
        )
        later = [delay for delay in delays.values() if delay > elapsed]
        return EscalationStep(
            tell=tell,
            through=max([self.escalated_through, *(delays[caregiver] for caregiver in tell)]),
            next_due_at=self.alerted_at + timedelta(minutes=min(later)) if later else None,
        )


@dataclass(frozen=True)
class EscalationStep:
    """What MissedDoseAlert.escalation_step() decided."""

    tell: frozenset[int]  # the caregivers (user ids) to tell now
    through: int  # the new escalated_through: every delay up to this has had its step
    next_due_at: datetime.datetime | None  # the new escalation_due_at; None: no more steps
