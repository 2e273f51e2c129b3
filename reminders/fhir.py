"""Adhere schedules as FHIR R4 Dosage elements (with their Timing), for the API's fhirDosage.

Only what Timing can say exactly is said in standard elements; the rest goes into small
Adhere extensions on Timing.repeat (so that nothing of the schedule is lost) and into
plain-language notes (so the person exporting knows what other systems will and will not see).
Export only: no feature reads FHIR in, so there is no import to keep in step with it.

Standard shapes written:
- daily:          frequency = number of times, period 1, periodUnit "d", timeOfDay
- weekdays:       the same plus dayOfWeek
- every N days:   frequency = number of times, period N, periodUnit "d", timeOfDay
- every N hours:  frequency 1, period N, periodUnit "h", timeOfDay [start time]
- cycle:          daily, plus the dose-cycle extension (Timing has no "21 days on, 7 off")
- as needed:      asNeededBoolean true, maxDosePerPeriod
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from reminders.schedule import (
    WEEKDAYS,
    Schedule,
    ScheduleError,
    Step,
)

__all__ = [
    "CYCLE_URL",
    "DURATION_DAYS_URL",
    "END_DATE_URL",
    "START_DATE_URL",
    "TOTAL_COUNT_URL",
    "UCUM",
    "FhirExport",
    "to_fhir",
]

UCUM = "http://unitsofmeasure.org"
_EXTENSIONS = "https://adhere.example.org/fhir/StructureDefinition/"
CYCLE_URL = _EXTENSIONS + "dose-cycle"  # sub-extensions onDays, offDays (valueInteger)
# bounds[x] is a choice element: a Timing has boundsPeriod OR boundsDuration, never both.
# When boundsDuration is needed the start date travels in this extension (valueDate).
START_DATE_URL = _EXTENSIONS + "start-date"
# Limits of a whole tapering schedule, which no single step's Timing can carry.
END_DATE_URL = _EXTENSIONS + "end-date"  # valueDate
DURATION_DAYS_URL = _EXTENSIONS + "duration-days"  # valueInteger
TOTAL_COUNT_URL = _EXTENSIONS + "total-count"  # valueInteger

_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class FhirExport:
    dosages: list[
        dict
    ]  # FHIR R4 Dosage elements (JSON dicts), one per step (sequence 1..n), or one for as-needed
    notes: list[str]  # anything the export could not say exactly, in plain words


# --- export ------------------------------------------------------------------------------


def to_fhir(schedule: Schedule, *, dosage: str = "", instructions: str = "") -> FhirExport:
    """The schedule as FHIR R4 Dosage elements. `dosage` is the medication's own dose (Dosage.text
    for steps without their own); `instructions` becomes Dosage.patientInstruction.

    Raises ScheduleError when the schedule has problems().
    """
    problems = schedule.problems()
    if problems:
        raise ScheduleError(" ".join(problems), problems)
    notes: list[str] = []
    if schedule.as_needed:
        return FhirExport([_as_needed_dosage(schedule, dosage, instructions, notes)], notes)
    if len(schedule.steps) == 1:
        return FhirExport([_single_step_dosage(schedule, dosage, instructions, notes)], notes)
    return FhirExport(_tapering_dosages(schedule, dosage, instructions, notes), notes)


def _dosage(sequence: int | None, text: str, instructions: str, repeat: dict) -> dict:
    """A Dosage with the elements common to every shape; empty strings are left out (FHIR forbids them)."""
    element: dict = {}
    if sequence is not None:
        element["sequence"] = sequence
    if text:
        element["text"] = text
    if instructions:
        element["patientInstruction"] = instructions
    element["timing"] = {"repeat": repeat}
    return element


def _as_needed_dosage(schedule: Schedule, dosage: str, instructions: str, notes: list[str]) -> dict:
    repeat = _whole_schedule_bounds(schedule, schedule.end_date, schedule.duration_days, notes)
    if schedule.count is not None:
        repeat["count"] = schedule.count
    element = _dosage(None, dosage, instructions, repeat)
    element["asNeededBoolean"] = True
    if schedule.max_per_period is not None:
        element["maxDosePerPeriod"] = {
            "numerator": {"value": schedule.max_per_period.count},
            "denominator": {
                "value": schedule.max_per_period.hours,
                "unit": "h",
                "system": UCUM,
                "code": "h",
            },
        }
    return element


def _single_step_dosage(schedule: Schedule, dosage: str, instructions: str, notes: list[str]) -> dict:
    step = schedule.steps[0]
    end_date, duration_days = schedule.end_date, schedule.duration_days
    last_day = schedule.last_day
    if step.days is not None and last_day is not None:
        # A lone step with its own length is the same as a schedule of that length: say it
        # the standard way (it reads back as duration_days, or end_date if one was given).
        if end_date is not None:
            end_date = last_day
        else:
            duration_days = (last_day - schedule.start_date).days + 1
    repeat = _step_repeat(step, notes)
    repeat.update(_whole_schedule_bounds(schedule, end_date, duration_days, notes))
    if schedule.count is not None:
        repeat["count"] = schedule.count
    return _dosage(1, step.dosage or dosage, instructions, repeat)


def _whole_schedule_bounds(
    schedule: Schedule, end_date: datetime.date | None, duration_days: int | None, notes: list[str]
) -> dict:
    """Timing.repeat bounds for a one-Dosage schedule.

    boundsPeriod when it can say everything, else boundsDuration plus the start-date extension.
    """
    if duration_days is None:
        period = {"start": schedule.start_date.isoformat()}
        if end_date is not None:
            period["end"] = end_date.isoformat()
        return {"boundsPeriod": period}
    notes.append(
        f"The start date ({schedule.start_date.isoformat()}) is in an Adhere extension, because FHIR Timing"
        f" cannot give both a start date and a number of days; other systems will see {_days(duration_days)}"
        " with no start date."
    )
    return {
        "extension": [{"url": START_DATE_URL, "valueDate": schedule.start_date.isoformat()}],
        "boundsDuration": _duration(duration_days),
    }


def _tapering_dosages(schedule: Schedule, dosage: str, instructions: str, notes: list[str]) -> list[dict]:
    """One Dosage per step, in sequence. Steps but the last have lengths, so every step's days are exact.

    The first step says its dates in boundsPeriod (start and end), which carries the start
    date in a standard element; later steps say their length in boundsDuration.
    """
    dosages: list[dict] = []
    end_date_said = False
    first = schedule.start_date
    last_index = len(schedule.steps) - 1
    for index, step in enumerate(schedule.steps):
        repeat = _step_repeat(step, notes)
        if index == 0 and step.days is not None:  # always: only the last step may be open
            repeat["boundsPeriod"] = {
                "start": first.isoformat(),
                "end": (first + (step.days - 1) * _DAY).isoformat(),
            }
        elif step.days is not None:
            repeat["boundsDuration"] = _duration(step.days)
        elif index == last_index and schedule.end_date is not None and schedule.end_date >= first:
            # "20 mg until 30 June": the open last step ends on the schedule's end date.
            repeat["boundsPeriod"] = {"start": first.isoformat(), "end": schedule.end_date.isoformat()}
            end_date_said = True
        dosages.append(_dosage(index + 1, step.dosage or dosage, instructions, repeat))
        if step.days is not None:
            first += step.days * _DAY

    limits: list[dict] = []
    if schedule.end_date is not None and not end_date_said:
        limits.append({"url": END_DATE_URL, "valueDate": schedule.end_date.isoformat()})
        notes.append(
            f"The end date of the whole tapering schedule ({schedule.end_date.isoformat()}) is in an Adhere"
            " extension; other systems will see only each step's own length."
        )
    if schedule.duration_days is not None:
        limits.append({"url": DURATION_DAYS_URL, "valueInteger": schedule.duration_days})
        notes.append(
            f"The length of the whole tapering schedule ({_days(schedule.duration_days)}) is in an Adhere"
            " extension; other systems will see only each step's own length."
        )
    if schedule.count is not None:
        limits.append({"url": TOTAL_COUNT_URL, "valueInteger": schedule.count})
        notes.append(
            f"The limit of {schedule.count} doses in total across the steps is in an Adhere extension;"
            " other systems will not see it."
        )
    if limits:
        first_repeat = dosages[0]["timing"]["repeat"]
        first_repeat["extension"] = first_repeat.get("extension", []) + limits
    return dosages


def _step_repeat(step: Step, notes: list[str]) -> dict:
    """Timing.repeat for one step's rhythm (no bounds)."""
    times = [at.strftime("%H:%M:%S") for at in sorted(step.times)]
    repeat = step.repeat
    if repeat.kind == "every_n_hours":
        return {"frequency": 1, "period": repeat.every, "periodUnit": "h", "timeOfDay": times[:1]}
    element: dict = {}
    if repeat.kind == "cycle":
        element["extension"] = [
            {
                "url": CYCLE_URL,
                "extension": [
                    {"url": "onDays", "valueInteger": repeat.on_days},
                    {"url": "offDays", "valueInteger": repeat.off_days},
                ],
            }
        ]
        notes.append(
            f"The {repeat.on_days} days on, {repeat.off_days} days off cycle is exported as daily doses,"
            " with the cycle in an Adhere extension; other systems will see daily doses."
        )
    element.update(
        frequency=len(times),
        period=repeat.every if repeat.kind == "every_n_days" else 1,
        periodUnit="d",
        timeOfDay=times,
    )
    if repeat.kind == "weekdays":
        element["dayOfWeek"] = [WEEKDAYS[day] for day in sorted(repeat.weekdays)]
    return element


def _duration(days: int) -> dict:
    return {"value": days, "unit": "days", "system": UCUM, "code": "d"}


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"
