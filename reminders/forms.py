"""The medication form: what a patient takes, and when, in plain fields.

The form's fields are flat (times, repeat, dates, taper steps) so that a page
without JavaScript can hold them; `schedule()` turns them into a Schedule,
whose problems() come back as messages next to the fields they concern.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from adherence.text import validate_single_line
from reminders import schedule as rules
from reminders.models import Dose, MedicationReminder
from reminders.schedule import WEEKDAYS, MaxPerPeriod, Repeat, Schedule, ScheduleError, Step

# How many inputs the page shows (within the schedule's own limits, rules.MAX_TIMES_PER_DAY
# and rules.MAX_STEPS); a schedule with more is kept, and edited elsewhere (see can_show).
TIME_SLOTS = 4
TAPER_STEPS = 4
WEEKDAY_CHOICES = [
    (str(index), name)
    for index, name in enumerate(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
]


def schedule_number(label: str, maximum: int, **kwargs) -> forms.IntegerField:
    """A number of the schedule. The browser is told its range; on the server the schedule's own
    problems() say what is out of it (reminders/schedule.py holds the limits, once)."""
    return forms.IntegerField(
        label=label, required=False, widget=forms.NumberInput(attrs={"min": 1, "max": maximum}), **kwargs
    )


class MedicationForm(forms.Form):
    SCHEDULED, AS_NEEDED, TAPERING = "scheduled", "as_needed", "tapering"

    medication_name = forms.CharField(label="Medication", max_length=200, validators=[validate_single_line])
    dosage = forms.CharField(
        label="Dose",
        max_length=100,
        help_text="For example “1 tablet” or “500 mg”.",
        validators=[validate_single_line],
    )
    instructions = forms.CharField(
        label="Instructions (optional)",
        max_length=300,
        required=False,
        help_text="For example “with food”.",
        validators=[validate_single_line],
    )
    kind = forms.ChoiceField(
        label="When do you take it?",
        choices=[
            (SCHEDULED, "At set times"),
            (TAPERING, "At set times, with the dose changing in steps (tapering)"),
            (AS_NEEDED, "Only when needed"),
        ],
        widget=forms.RadioSelect,
        initial=SCHEDULED,
    )
    repeat = forms.ChoiceField(
        label="How often?",
        choices=[
            ("daily", "Every day"),
            ("weekdays", "On certain days of the week"),
            ("every_n_days", "Every few days"),
            ("every_n_hours", "Every few hours"),
            ("cycle", "Some days on, then some days off (for example 21 on, 7 off)"),
        ],
        widget=forms.RadioSelect,
        initial="daily",
        required=False,
    )
    weekdays = forms.MultipleChoiceField(
        label="On these days", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    every = schedule_number(
        "Every how many days or hours?",
        rules.MAX_EVERY,
        help_text="For “every few days” or “every few hours”.",
    )
    on_days = schedule_number("Days on", rules.MAX_DAYS)
    off_days = schedule_number("Days off", rules.MAX_DAYS)
    start_date = forms.DateField(
        label="First day", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.ChoiceField(
        label="Until when?",
        choices=[("none", "No end date"), ("date", "Until a date"), ("days", "For a number of days")],
        widget=forms.RadioSelect,
        initial="none",
    )
    end_date = forms.DateField(
        label="Last day", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    duration_days = schedule_number("Number of days", rules.MAX_DAYS)
    max_count = schedule_number(
        "At most this many doses (optional)",
        rules.MAX_PER_PERIOD_COUNT,
        help_text="We warn you before you record a dose over this.",
    )
    max_hours = schedule_number("In how many hours", rules.MAX_PER_PERIOD_HOURS)
    grace_minutes = forms.IntegerField(
        label="Count a dose as missed after (minutes)", min_value=1, max_value=24 * 60, initial=60
    )
    time_zone_mode = forms.ChoiceField(
        label="When you travel",
        choices=MedicationReminder.TimeZoneMode.choices,
        widget=forms.RadioSelect,
        initial=MedicationReminder.TimeZoneMode.LOCAL,
        help_text="Most tablets follow local time. Some (the pill, insulin) keep to fixed intervals.",
    )

    def __init__(self, *args, today: datetime.date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = today or timezone.localdate()
        for slot in range(1, TIME_SLOTS + 1):
            self.fields[f"time_{slot}"] = forms.TimeField(
                label=f"Time {slot}" + (" (optional)" if slot > 1 else ""),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
        for step in range(1, TAPER_STEPS + 1):
            self.fields[f"step_{step}_dosage"] = forms.CharField(
                label=f"Step {step}: dose",
                max_length=rules.MAX_DOSAGE_LENGTH,
                required=False,
                validators=[validate_single_line],
            )
            self.fields[f"step_{step}_days"] = schedule_number(
                f"Step {step}: for how many days", rules.MAX_DAYS
            )

    # Groups for the template.
    def time_fields(self):
        return [self[f"time_{slot}"] for slot in range(1, TIME_SLOTS + 1)]

    def step_fields(self):
        return [
            (self[f"step_{step}_dosage"], self[f"step_{step}_days"]) for step in range(1, TAPER_STEPS + 1)
        ]

    @staticmethod
    def can_show(schedule: Schedule) -> bool:
        """Whether this form can hold the whole schedule (the API or the admin can set more)."""
        if schedule.count or schedule.as_needed:
            return not schedule.count
        first = schedule.steps[0]
        return (
            len(first.times) <= TIME_SLOTS
            and len(schedule.steps) <= TAPER_STEPS
            and all(step.times == first.times and step.repeat == first.repeat for step in schedule.steps)
        )

    @classmethod
    def initial_for(cls, reminder: MedicationReminder) -> dict:
        """The form's fields for an existing medication."""
        schedule = reminder.parsed_schedule
        initial = {
            "medication_name": reminder.medication_name,
            "dosage": reminder.dosage,
            "instructions": reminder.instructions,
            "grace_minutes": reminder.grace_minutes,
            "time_zone_mode": reminder.time_zone_mode,
            "start_date": schedule.start_date,
            "end": "date" if schedule.end_date else "days" if schedule.duration_days else "none",
            "end_date": schedule.end_date,
            "duration_days": schedule.duration_days,
        }
        if schedule.as_needed:
            initial["kind"] = cls.AS_NEEDED
            if schedule.max_per_period:
                initial["max_count"] = schedule.max_per_period.count
                initial["max_hours"] = schedule.max_per_period.hours
            return initial
        first = schedule.steps[0]
        initial["kind"] = cls.TAPERING if len(schedule.steps) > 1 else cls.SCHEDULED
        initial["repeat"] = first.repeat.kind
        initial["weekdays"] = [str(day) for day in first.repeat.weekdays]
        initial["every"] = (
            first.repeat.every if first.repeat.kind in ("every_n_days", "every_n_hours") else None
        )
        initial["on_days"] = first.repeat.on_days or None
        initial["off_days"] = first.repeat.off_days or None
        for slot, at in enumerate(first.times, start=1):
            initial[f"time_{slot}"] = at
        if len(schedule.steps) > 1:
            for number, step in enumerate(schedule.steps, start=1):
                initial[f"step_{number}_dosage"] = step.dosage
                initial[f"step_{number}_days"] = step.days
        return initial

    def clean(self):
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        kind = cleaned.get("kind")
        times = [cleaned.get(f"time_{slot}") for slot in range(1, TIME_SLOTS + 1)]
        given = [at for at in times if at is not None]
        if kind != self.AS_NEEDED:
            if not given:
                self.add_error("time_1", "Give at least one time of day.")
            seen = set()
            for slot, at in enumerate(times, start=1):
                if at is not None and at in seen:
                    self.add_error(f"time_{slot}", f"{at:%H:%M} is listed twice.")
                seen.add(at)
            repeat = cleaned.get("repeat") or "daily"
            if repeat == "weekdays" and not cleaned.get("weekdays"):
                self.add_error("weekdays", "Choose at least one day of the week.")
            if repeat in ("every_n_days", "every_n_hours") and not cleaned.get("every"):
                self.add_error("every", "Say every how many days or hours.")
            if repeat == "every_n_hours" and len(given) > 1:
                self.add_error("time_2", "For “every few hours”, give only the time of the first dose.")
            if repeat == "cycle":
                for name in ("on_days", "off_days"):
                    if not cleaned.get(name):
                        self.add_error(name, "Say how many days.")
        if kind == self.TAPERING:
            steps = [
                (cleaned.get(f"step_{n}_dosage"), cleaned.get(f"step_{n}_days"))
                for n in range(1, TAPER_STEPS + 1)
            ]
            filled = [(dose, days) for dose, days in steps if dose or days]
            if len(filled) < 2:
                self.add_error(
                    "step_1_dosage", "A tapering schedule needs at least two steps, each with a dose."
                )
            for number, (dose, days) in enumerate(steps, start=1):
                if (dose or days) and not dose:
                    self.add_error(f"step_{number}_dosage", "Give the dose for this step.")
                is_last = all(not (d or n) for d, n in steps[number:])
                if (dose or days) and not days and not is_last:
                    self.add_error(f"step_{number}_days", "Give the number of days for this step.")
        end = cleaned.get("end")
        if end == "date" and not cleaned.get("end_date"):
            self.add_error("end_date", "Give the last day.")
        if end == "days" and not cleaned.get("duration_days"):
            self.add_error("duration_days", "Give the number of days.")
        start_date, end_date = cleaned.get("start_date"), cleaned.get("end_date")
        if end == "date" and start_date and end_date and end_date < start_date:
            self.add_error("end_date", "The last day is before the first day.")
        if kind == self.AS_NEEDED and bool(cleaned.get("max_count")) != bool(cleaned.get("max_hours")):
            self.add_error("max_hours", "Give both the number of doses and the hours, or neither.")
        if not self.errors:
            try:
                schedule = self.schedule()
            except ScheduleError as error:
                raise forms.ValidationError(str(error)) from None
            for problem in schedule.problems():
                self.add_error(None, problem)
        return cleaned

    def schedule(self) -> Schedule:
        data = self.cleaned_data
        end = data.get("end")
        common = {
            "start_date": data["start_date"],
            "end_date": data.get("end_date") if end == "date" else None,
            "duration_days": data.get("duration_days") if end == "days" else None,
        }
        if data["kind"] == self.AS_NEEDED:
            maximum = None
            if data.get("max_count") and data.get("max_hours"):
                maximum = MaxPerPeriod(count=data["max_count"], hours=data["max_hours"])
            return Schedule(as_needed=True, max_per_period=maximum, **common)
        times = tuple(
            sorted({data[f"time_{slot}"] for slot in range(1, TIME_SLOTS + 1) if data.get(f"time_{slot}")})
        )
        kind = data.get("repeat") or "daily"
        repeat = Repeat(
            kind=kind,
            weekdays=tuple(sorted(int(day) for day in data.get("weekdays") or []))
            if kind == "weekdays"
            else (),
            every=data.get("every") or 1 if kind in ("every_n_days", "every_n_hours") else 1,
            on_days=data.get("on_days") or 0 if kind == "cycle" else 0,
            off_days=data.get("off_days") or 0 if kind == "cycle" else 0,
        )
        if data["kind"] == self.TAPERING:
            steps = tuple(
                Step(
                    times=times,
                    repeat=repeat,
                    dosage=data[f"step_{n}_dosage"],
                    days=data.get(f"step_{n}_days"),
                )
                for n in range(1, TAPER_STEPS + 1)
                if data.get(f"step_{n}_dosage")
            )
        else:
            steps = (Step(times=times, repeat=repeat),)
        return Schedule(steps=steps, **common)

    def reminder_fields(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("medication_name", "dosage", "instructions", "grace_minutes", "time_zone_mode")
        }


class TakenAtForm(forms.Form):
    """ "I took it earlier": a time today, in the patient's zone."""

    taken_at = forms.TimeField(
        label="Taken at", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class SkipForm(forms.Form):
    reason = forms.ChoiceField(label="Why?", choices=Dose.SkipReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="In a few words", max_length=200, required=False, validators=[validate_single_line]
    )

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("reason") == Dose.SkipReason.OTHER and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Say in a few words why you are skipping this dose.")
        return cleaned


__all__ = ["WEEKDAYS", "MedicationForm", "SkipForm", "TakenAtForm"]
