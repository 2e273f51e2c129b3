"""The brief's field names over our models. Every field is listed; ownership, status and
timestamps are read-only, whatever a client sends."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from adherence.text import validate_single_line
from api.audit_ids import ObjectIds
from audit.models import AuditEntry
from patients import phone
from patients.models import PatientProfile, available_time_zones, validate_date_of_birth
from reminders import schedule as schedule_rules
from reminders.fhir import to_fhir
from reminders.models import SNOOZE_MINUTES, ConfirmationLog, Dose, MedicationReminder, MissedDoseAlert
from reminders.schedule import Schedule, ScheduleError, format_time, step_on


class StrictCharField(serializers.CharField):
    """One line of text, taken as sent: a number is not quietly made into a string, nothing is
    trimmed, and line breaks and control characters are refused (adherence.text)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs["validators"] = [*kwargs.get("validators", []), validate_single_line]
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # Kept as sent, but a required text of spaces only is as empty as the pages' forms find it.
        if not self.allow_blank and not data.strip():
            self.fail("blank")
        return super().to_internal_value(data)


class ObjectIdField(serializers.UUIDField):
    """A pointer: the related object's objectId."""

    def __init__(self, source: str, **kwargs) -> None:
        super().__init__(source=source, read_only=True, **kwargs)


class PatientSerializer(serializers.ModelSerializer):
    """A patient profile. On creation the answer also says where its time zone came from."""

    objectId = serializers.UUIDField(source="object_id", read_only=True)
    user = ObjectIdField(source="user.object_id")
    displayName = StrictCharField(source="display_name", max_length=150)
    dateOfBirth = serializers.DateField(
        source="date_of_birth", required=False, allow_null=True, validators=[validate_date_of_birth]
    )
    phoneNumber = StrictCharField(
        source="phone_number", max_length=32, help_text="E.164, e.g. +447911123456."
    )
    isActive = serializers.BooleanField(source="is_active", required=False)
    timeZone = serializers.ChoiceField(
        source="time_zone",
        choices=sorted(available_time_zones()),
        required=False,
        help_text=(
            "An IANA zone. Optional when creating: then the zone chosen in your notification settings, "
            "else the site's default (the answer's timeZoneSource says which)."
        ),
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = PatientProfile
        fields = [
            "objectId",
            "user",
            "displayName",
            "dateOfBirth",
            "phoneNumber",
            "isActive",
            "timeZone",
            "createdAt",
            "updatedAt",
        ]

    def validate_phoneNumber(self, value: str) -> str:
        try:
            return phone.to_e164(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class PatientCreatedSerializer(PatientSerializer):
    """The answer to creating a profile: the profile, and where its time zone came from."""

    timeZoneSource = serializers.ChoiceField(
        choices=[
            ("request", "Sent in the request"),
            ("notificationSettings", "The zone chosen in your notification settings"),
            ("siteDefault", "The site's default (PATIENT_DEFAULT_TIME_ZONE)"),
        ],
        read_only=True,
        help_text="Where timeZone came from: the request, your notification settings, or the site default.",
    )

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "timeZoneSource"]


# The schedule's JSON Schema, built from reminders/schedule.py's own names so that its bounds
# are the ones Schedule.problems() enforces (api/tests/test_schema.py holds them to it).
SCHEDULE_SCHEMA = {
    "type": "object",
    "description": (
        "When doses are due (reminders/schedule.py). Set times every day, on weekdays, every N days or "
        "hours, N days on and M off, tapering steps, or as needed. Rules a schema cannot say (a time "
        "listed twice, an end before the start, dates between the years "
        f"{schedule_rules.FIRST_YEAR} and {schedule_rules.LAST_YEAR}) answer 400 with the reason in words."
    ),
    "properties": {
        "start_date": {"type": "string", "format": "date"},
        "end_date": {"type": "string", "format": "date", "nullable": True},
        "duration_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": schedule_rules.MAX_DAYS,
            "nullable": True,
        },
        "count": {"type": "integer", "minimum": 1, "maximum": schedule_rules.MAX_COUNT, "nullable": True},
        "as_needed": {"type": "boolean"},
        "max_per_period": {
            "type": "object",
            "nullable": True,
            "properties": {
                "count": {"type": "integer", "minimum": 1, "maximum": schedule_rules.MAX_PER_PERIOD_COUNT},
                "hours": {"type": "integer", "minimum": 1, "maximum": schedule_rules.MAX_PER_PERIOD_HOURS},
            },
            "required": ["count", "hours"],
        },
        "steps": {
            "type": "array",
            "maxItems": schedule_rules.MAX_STEPS,
            "items": {
                "type": "object",
                "properties": {
                    "times": {
                        "type": "array",
                        "maxItems": schedule_rules.MAX_TIMES_PER_DAY,
                        "items": {"type": "string", "pattern": schedule_rules.TIME_PATTERN},
                    },
                    "repeat": {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string", "enum": list(schedule_rules.KINDS)},
                            "weekdays": {
                                "type": "array",
                                "items": {"type": "string", "enum": list(schedule_rules.WEEKDAYS)},
                            },
                            "every": {"type": "integer", "minimum": 1, "maximum": schedule_rules.MAX_EVERY},
                            "on_days": {"type": "integer", "minimum": 0, "maximum": schedule_rules.MAX_DAYS},
                            "off_days": {"type": "integer", "minimum": 0, "maximum": schedule_rules.MAX_DAYS},
                        },
                        "required": ["kind"],
                    },
                    "days": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": schedule_rules.MAX_DAYS,
                        "nullable": True,
                    },
                    "dosage": {"type": "string", "maxLength": schedule_rules.MAX_DOSAGE_LENGTH},
                },
                "required": ["times", "repeat"],
            },
        },
    },
    "required": ["start_date"],
}


# The brief's shape: a list of times of day, every day from today. Its bounds are a step's.
SCHEDULE_TIMES_SCHEMA = {
    "type": "array",
    "description": (
        "The brief's shape: times of day (\"HH:MM\", 24-hour), every day from today in the patient's "
        "time zone. Stored as the object form (a daily schedule starting today)."
    ),
    "minItems": 1,
    "maxItems": schedule_rules.MAX_TIMES_PER_DAY,
    "uniqueItems": True,
    "items": {"type": "string", "pattern": schedule_rules.TIME_PATTERN},
}


def daily_schedule_json(times: list, *, start: datetime.date) -> dict:
    """The object form of the brief's array: these times every day from `start`."""
    return {"start_date": start.isoformat(), "steps": [{"times": times, "repeat": {"kind": "daily"}}]}


class ScheduleField(serializers.JSONField):
    """The schedule as Adhere's JSON (see reminders/schedule.py), or the brief's list of times of day.

    Either way it is checked in words by Schedule.from_json and problems(), with the same bounds.
    A list means every day from today in the zone the medication's doses are made in (the
    patient's, or the medication's own home zone when it keeps to home time); the serializer's
    context gives it (`schedule_zone`), else the medication being changed does.
    api/schema.py documents both shapes for requests; answers always hold the object.
    """

    def zone(self) -> datetime.tzinfo:
        instance = getattr(self.parent, "instance", None)
        if isinstance(instance, MedicationReminder):
            return instance.zone
        return self.context.get("schedule_zone") or datetime.UTC

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        as_list = isinstance(data, list)
        if as_list:
            today = timezone.now().astimezone(self.zone()).date()
            data = daily_schedule_json(data, start=today)
        elif not isinstance(data, dict):
            raise serializers.ValidationError(
                'A schedule is a list of times of day (["08:00", "20:00"]) or an object; see the '
                "schema's examples."
            )
        try:
            schedule = Schedule.from_json(data)
        except (ScheduleError, TypeError, ValueError, KeyError) as error:
            message = str(error)
            if as_list:
                # The list is the one step: say it about the times, not about "the step".
                message = message.removeprefix("The step: ")
                message = message[:1].upper() + message[1:]
            raise serializers.ValidationError(message) from None
        if problems := schedule.problems():
            raise serializers.ValidationError(problems)
        return schedule


class ReminderSerializer(serializers.ModelSerializer):
    objectId = serializers.UUIDField(source="object_id", read_only=True)
    patient = ObjectIdField(source="patient.object_id")
    medicationName = StrictCharField(source="medication_name", max_length=200)
    dosage = StrictCharField(max_length=100)
    instructions = StrictCharField(max_length=300, required=False, allow_blank=True)
    schedule = ScheduleField()
    times = serializers.SerializerMethodField(
        help_text=(
            "The times of day (\"HH:MM\") of the schedule's step in effect today in the patient's zone, "
            "else of its first step; empty for an as-needed medication."
        )
    )
    scheduleSummary = serializers.CharField(source="schedule_summary", read_only=True)
    graceMinutes = serializers.IntegerField(
        source="grace_minutes", min_value=1, max_value=1440, required=False
    )
    isActive = serializers.BooleanField(source="is_active", read_only=True)
    timeZoneMode = serializers.ChoiceField(
        source="time_zone_mode", choices=MedicationReminder.TimeZoneMode.choices, required=False
    )
    isConfirmed = serializers.BooleanField(source="is_confirmed", read_only=True)
    fhirDosage = serializers.SerializerMethodField(help_text="The schedule as FHIR R4 Dosage elements.")
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = MedicationReminder
        fields = [
            "objectId",
            "patient",
            "medicationName",
            "dosage",
            "instructions",
            "schedule",
            "times",
            "scheduleSummary",
            "graceMinutes",
            "isActive",
            "timeZoneMode",
            "isConfirmed",
            "fhirDosage",
            "createdAt",
            "updatedAt",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["schedule"] = instance.schedule
        return data

    def get_times(self, reminder: MedicationReminder) -> list[str]:
        try:
            schedule = reminder.parsed_schedule
        except ScheduleError:
            return []
        if schedule.as_needed or not schedule.steps:
            return []
        today = timezone.now().astimezone(reminder.zone).date()
        step = step_on(schedule, today) or schedule.steps[0]
        return [format_time(at) for at in step.times]

    def get_fhirDosage(self, reminder: MedicationReminder) -> list[dict]:
        try:
            return to_fhir(
                reminder.parsed_schedule, dosage=reminder.dosage, instructions=reminder.instructions
            ).dosages
        except ScheduleError:
            return []


class DoseSerializer(serializers.ModelSerializer):
    objectId = serializers.UUIDField(source="object_id", read_only=True)
    reminder = ObjectIdField(source="reminder.object_id")
    patient = ObjectIdField(source="patient.object_id")
    scheduledAt = serializers.DateTimeField(source="scheduled_at", read_only=True)
    windowEndsAt = serializers.DateTimeField(source="window_ends_at", read_only=True)
    takenAt = serializers.DateTimeField(source="taken_at", read_only=True, allow_null=True)
    skipReason = serializers.CharField(source="skip_reason", read_only=True)
    skipNote = serializers.CharField(source="skip_note", read_only=True)
    remindAgainAt = serializers.DateTimeField(
        source="remind_again_at",
        read_only=True,
        allow_null=True,
        help_text="When a snoozed dose is reminded of again; null once the dose is recorded.",
    )
    asNeeded = serializers.BooleanField(source="as_needed", read_only=True)
    resolvedAt = serializers.DateTimeField(source="resolved_at", read_only=True, allow_null=True)

    class Meta:
        model = Dose
        fields = [
            "objectId",
            "reminder",
            "patient",
            "scheduledAt",
            "windowEndsAt",
            "dosage",
            "status",
            "takenAt",
            "skipReason",
            "skipNote",
            "remindAgainAt",
            "asNeeded",
            "resolvedAt",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.status != Dose.Status.PENDING:  # only a pending dose is reminded of (notifications.due)
            data["remindAgainAt"] = None
        return data


class AlertSerializer(serializers.ModelSerializer):
    """The brief's MissedDoseAlert (reminder, alertedAt), with the dose and who is handling it."""

    objectId = serializers.UUIDField(source="object_id", read_only=True)
    reminder = ObjectIdField(source="reminder.object_id")
    dose = ObjectIdField(source="dose.object_id")
    patient = ObjectIdField(source="patient.object_id")
    alertedAt = serializers.DateTimeField(source="alerted_at", read_only=True)
    acknowledgedBy = ObjectIdField(source="acknowledged_by.object_id", allow_null=True)
    acknowledgedAt = serializers.DateTimeField(source="acknowledged_at", read_only=True, allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = MissedDoseAlert
        fields = [
            "objectId",
            "reminder",
            "dose",
            "patient",
            "alertedAt",
            "acknowledgedBy",
            "acknowledgedAt",
            "createdAt",
            "updatedAt",
        ]
        read_only_fields = fields


class ConfirmationSerializer(serializers.ModelSerializer):
    objectId = serializers.UUIDField(source="object_id", read_only=True)
    reminder = ObjectIdField(source="reminder.object_id")
    dose = serializers.UUIDField(
        source="dose.object_id", allow_null=True, help_text="The dose confirmed (required when creating)."
    )
    confirmedAt = serializers.DateTimeField(
        source="confirmed_at", required=False, help_text="When it was taken; now when left out."
    )
    confirmedBy = ObjectIdField(source="confirmed_by.object_id", allow_null=True)
    role = serializers.CharField(read_only=True)
    method = serializers.CharField(read_only=True)
    late = serializers.BooleanField(read_only=True)
    undoneAt = serializers.DateTimeField(source="undone_at", read_only=True, allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = ConfirmationLog
        fields = [
            "objectId",
            "reminder",
            "dose",
            "confirmedAt",
            "confirmedBy",
            "role",
            "method",
            "late",
            "undoneAt",
            "createdAt",
            "updatedAt",
        ]


class ConfirmRequestSerializer(serializers.Serializer):
    """Which dose was taken: `dose` exactly, or the brief's `reminder` for the dose due now."""

    dose = serializers.UUIDField(
        required=False, help_text="The objectId of the dose that was taken: the precise form."
    )
    reminder = serializers.UUIDField(
        required=False,
        help_text=(
            "The brief's form: the medication's objectId, meaning its dose due now (see the "
            "operation's description). With `dose` too, the dose must be this medication's."
        ),
    )
    confirmedAt = serializers.DateTimeField(required=False, help_text="When it was taken; now when left out.")

    def validate(self, attrs):
        if "dose" not in attrs and "reminder" not in attrs:
            raise serializers.ValidationError(
                {
                    "dose": [
                        "Give the dose that was taken, or the medication (reminder) whose dose is due now."
                    ]
                }
            )
        return attrs


class ErrorSerializer(serializers.Serializer):
    """An error answer, for an operation that documents its own (api.schema.ERROR replaces it)."""

    detail = serializers.CharField()


class SkipSerializer(serializers.Serializer):
    """Why a dose is skipped: the reasons the page's skip form offers, and a note ("other" needs one)."""

    reason = serializers.ChoiceField(
        choices=Dose.SkipReason.choices, help_text="Why the dose is skipped, as a code."
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text='In a few words; required when the reason is "other".',
    )

    def validate(self, attrs):
        if attrs["reason"] == Dose.SkipReason.OTHER and not attrs.get("note", "").strip():
            raise serializers.ValidationError(
                {"note": ["Say in a few words why you are skipping this dose."]}
            )
        return attrs


class SnoozeSerializer(serializers.Serializer):
    minutes = serializers.ChoiceField(
        choices=[(minutes, f"{minutes} minutes") for minutes in SNOOZE_MINUTES],
        help_text="Remind again in this many minutes.",
        error_messages={"invalid_choice": "Choose 10, 30 or 60 minutes."},
    )


class AuditSerializer(serializers.ModelSerializer):
    objectId = serializers.UUIDField(source="uid", read_only=True)
    actor = serializers.SerializerMethodField()
    entityType = serializers.CharField(source="entity_type", read_only=True)
    entityId = serializers.SerializerMethodField(
        help_text="The entity's objectId; null when it has none or no longer exists."
    )
    payload = serializers.SerializerMethodField(
        help_text="What was recorded; related rows are named by objectId (null when they have none)."
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["objectId", "actor", "action", "entityType", "entityId", "payload", "createdAt"]
        read_only_fields = fields

    def _object_ids(self) -> ObjectIds:
        # The view gives the page's lookups (one query per model); one entry alone makes its own.
        found = self.context.get("object_ids") or getattr(self, "_own_object_ids", None)
        if found is None:
            found = self._own_object_ids = ObjectIds(
                [self.instance] if isinstance(self.instance, AuditEntry) else []
            )
        return found

    def get_entityId(self, entry: AuditEntry) -> str | None:
        return self._object_ids().entity_id(entry)

    def get_payload(self, entry: AuditEntry) -> dict:
        return self._object_ids().payload(entry)

    def get_actor(self, entry: AuditEntry) -> dict:
        return {"type": entry.actor_type, "label": entry.actor_label}
