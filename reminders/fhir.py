"""Adhere schedules as FHIR R4 Dosage elements (with their Timing), and back.

Only what Timing can say exactly is said in standard elements; the rest goes into small
Adhere extensions on Timing.repeat (so our own round trip is exact) and into plain-language
notes (so the person exporting knows what other systems will and will not see).

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
import re
from dataclasses import dataclass

from reminders.schedule import (
    WEEKDAYS,
    MaxPerPeriod,
    Repeat,
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
    "from_fhir",
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


# --- import ------------------------------------------------------------------------------

# Elements of R4 Dosage and Timing that say nothing about when doses fall: safe to skip.
_DOSAGE_IGNORED = {
    "id",
    "extension",
    "text",
    "additionalInstruction",
    "patientInstruction",
    "site",
    "route",
    "method",
    "doseAndRate",
    "maxDosePerAdministration",
    "maxDosePerLifetime",
}
_DOSAGE_READ = {"sequence", "timing", "asNeededBoolean", "asNeededCodeableConcept", "maxDosePerPeriod"}
_TIMING_READ = {"id", "extension", "repeat", "code"}
_REPEAT_READ = {
    "id",
    "extension",
    "boundsDuration",
    "boundsPeriod",
    "count",
    "frequency",
    "period",
    "periodUnit",
    "dayOfWeek",
    "timeOfDay",
}
# R4 Timing.repeat elements Adhere cannot follow, and why, in words for the error message.
_REPEAT_UNSUPPORTED = {
    "boundsRange": "a range of lengths is not supported; give boundsPeriod or boundsDuration",
    "countMax": "a range of dose counts is not supported; give one count",
    "duration": "how long each dose takes (e.g. an infusion) is not supported",
    "durationMax": "how long each dose takes (e.g. an infusion) is not supported",
    "durationUnit": "how long each dose takes (e.g. an infusion) is not supported",
    "frequencyMax": "a range of doses per period is not supported; give one frequency",
    "periodMax": "a range of periods is not supported; give one period",
    "when": "doses tied to meals or sleep are not supported; give clock times in timeOfDay",
    "offset": "doses tied to meals or sleep are not supported; give clock times in timeOfDay",
}
_UNIT_NAMES = {"s": "seconds", "min": "minutes", "mo": "months", "a": "years"}
_FHIR_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(T.*)?")
_FHIR_TIME_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(\.\d+)?)?")
_DAYS_UNITS = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7}
_HOURS_UNITS = {"h": 1, "hour": 1, "hours": 1, "d": 24, "day": 24, "days": 24, "wk": 168, "week": 168}


@dataclass(frozen=True)
class _Bounds:
    start: datetime.date | None = None
    end: datetime.date | None = None
    days: int | None = None  # from boundsDuration


@dataclass(frozen=True)
class _Extensions:
    """The Adhere extensions found on one Timing.repeat."""

    cycle: tuple[int, int] | None = None  # (on days, off days)
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    duration_days: int | None = None
    total_count: int | None = None


@dataclass(frozen=True)
class _Timing:
    """What one Dosage.timing says, before it becomes part of a Schedule."""

    repeat: dict  # the raw Timing.repeat, checked for unsupported elements
    bounds: _Bounds
    count: int | None
    extensions: _Extensions


def from_fhir(dosages: list[dict], *, start_date: datetime.date | None = None) -> Schedule:
    """A Schedule from FHIR R4 Dosage elements: what to_fhir writes, and common hand-written shapes.

    `start_date` is used only when the FHIR does not say when to start (no boundsPeriod.start),
    e.g. the prescription's authoredOn. Dosage.text becomes each step's dosage. Raises
    ScheduleError naming the element for shapes Adhere does not support, and with the
    schedule's problems() if the result makes no sense.
    """
    if not isinstance(dosages, list) or not dosages:
        raise ScheduleError("Give at least one FHIR Dosage element.")
    for index, element in enumerate(dosages):
        if not isinstance(element, dict):
            raise ScheduleError(f"Dosage {index + 1} is not a JSON object.")
    as_needed = [_as_needed_flag(element, _where(dosages, index)) for index, element in enumerate(dosages)]
    if any(as_needed):
        if len(dosages) > 1:
            raise ScheduleError(
                "Dosage.asNeededBoolean: several Dosage elements with an as-needed one are not supported;"
                " give one Dosage for an as-needed medication."
            )
        schedule = _as_needed_from_fhir(dosages[0], start_date)
    else:
        schedule = _scheduled_from_fhir(_in_sequence(dosages), start_date)
    problems = schedule.problems()
    if problems:
        raise ScheduleError(
            "The FHIR dosage does not make a usable schedule: " + " ".join(problems), problems
        )
    return schedule


def _where(dosages: list[dict], index: int) -> str:
    """Message prefix naming the Dosage, only when there are several."""
    return f"Dosage {index + 1}: " if len(dosages) > 1 else ""


def _as_needed_flag(element: dict, where: str) -> bool:
    """Whether the Dosage is as needed, after checking it has only R4 elements we can read."""
    for key in element:
        if key == "modifierExtension":
            raise ScheduleError(
                f"{where}Dosage.modifierExtension changes the meaning in ways Adhere cannot read."
            )
        if key not in _DOSAGE_IGNORED and key not in _DOSAGE_READ:
            raise ScheduleError(f"{where}Dosage.{key} is not a FHIR R4 Dosage element.")
    flag = element.get("asNeededBoolean", False)
    if not isinstance(flag, bool):
        raise ScheduleError(f"{where}Dosage.asNeededBoolean must be true or false.")
    # "As needed for pain" is still as needed; the reason is not part of the schedule.
    return flag or "asNeededCodeableConcept" in element


def _in_sequence(dosages: list[dict]) -> list[dict]:
    """The Dosage elements in the order they are taken.

    Equal sequences mean "at the same time" in FHIR, which Adhere does not support.
    """
    if len(dosages) == 1:
        return dosages
    sequences = []
    for index, element in enumerate(dosages):
        sequence = element.get("sequence")
        if isinstance(sequence, bool) or not isinstance(sequence, int):
            raise ScheduleError(
                f"Dosage {index + 1}: Dosage.sequence is needed when there are several Dosage elements"
                " (Adhere reads them as steps taken one after another)."
            )
        sequences.append(sequence)
    if len(set(sequences)) != len(sequences):
        raise ScheduleError(
            "Dosage.sequence: Dosage elements with the same sequence (taken at the same time)"
            " are not supported."
        )
    return [element for _, element in sorted(zip(sequences, dosages, strict=True), key=lambda pair: pair[0])]


def _as_needed_from_fhir(element: dict, start_date: datetime.date | None) -> Schedule:
    timing = _read_timing(element.get("timing"), "", as_needed=True)
    rhythm = [
        key for key in ("frequency", "period", "periodUnit", "dayOfWeek", "timeOfDay") if key in timing.repeat
    ]
    if rhythm:
        raise ScheduleError(
            f"Timing.repeat.{rhythm[0]} on an as-needed Dosage is not supported: an as-needed medication"
            " has no set times (give a limit in Dosage.maxDosePerPeriod)."
        )
    return Schedule(
        start_date=_start_date(timing, start_date, ""),
        as_needed=True,
        end_date=timing.bounds.end,
        duration_days=timing.bounds.days,
        count=timing.count,
        max_per_period=_max_per_period(element.get("maxDosePerPeriod")),
    )


def _scheduled_from_fhir(dosages: list[dict], start_date: datetime.date | None) -> Schedule:
    if any("maxDosePerPeriod" in element for element in dosages):
        raise ScheduleError(
            "Dosage.maxDosePerPeriod on scheduled doses is not supported;"
            " Adhere keeps it for as-needed medicines."
        )
    timings: list[_Timing] = []
    rhythms: list[tuple[Repeat, tuple[datetime.time, ...]]] = []
    texts: list[str] = []
    for index, element in enumerate(dosages):
        where = _where(dosages, index)
        if "timing" not in element:
            raise ScheduleError(
                f"{where}Dosage.timing is missing: Adhere needs to know when doses are taken."
            )
        timing = _read_timing(element["timing"], where, as_needed=False)
        timings.append(timing)
        rhythms.append(_step_rhythm(timing, where))
        text = element.get("text", "")
        if not isinstance(text, str):
            raise ScheduleError(f"{where}Dosage.text must be text.")
        texts.append(text)
    start = _start_date(timings[0], start_date, _where(dosages, 0))
    limits = timings[0].extensions

    if len(dosages) == 1:
        timing = timings[0]
        repeat, times = rhythms[0]
        return Schedule(
            start_date=start,
            steps=(Step(times=times, repeat=repeat, dosage=texts[0]),),
            end_date=timing.bounds.end or limits.end_date,
            duration_days=timing.bounds.days or limits.duration_days,
            count=timing.count if timing.count is not None else limits.total_count,
        )

    steps: list[Step] = []
    end_date: datetime.date | None = None
    first = start
    for index, (timing, (repeat, times)) in enumerate(zip(timings, rhythms, strict=True)):
        where = _where(dosages, index)
        is_last = index == len(timings) - 1
        if timing.count is not None:
            raise ScheduleError(
                f"{where}Timing.repeat.count on one step of a tapering schedule is not supported;"
                " give each step a length in days instead."
            )
        bounds = timing.bounds
        if bounds.start is not None and bounds.start != first:
            raise ScheduleError(
                f"{where}Timing.repeat.boundsPeriod.start ({bounds.start.isoformat()}) is not the day"
                f" this step starts ({first.isoformat()}): steps run one after another."
            )
        days = bounds.days
        if days is None and bounds.end is not None:
            if is_last:
                end_date = bounds.end
            else:
                days = (bounds.end - first).days + 1
                if days < 1:
                    raise ScheduleError(f"{where}Timing.repeat.boundsPeriod ends before it starts.")
        if days is None and not is_last:
            raise ScheduleError(
                f"{where}Timing.repeat.boundsDuration is missing:"
                " every step but the last needs a length in days."
            )
        steps.append(Step(times=times, repeat=repeat, days=days, dosage=texts[index]))
        if days is not None:
            first += days * _DAY
    return Schedule(
        start_date=start,
        steps=tuple(steps),
        end_date=end_date or limits.end_date,
        duration_days=limits.duration_days,
        count=limits.total_count,
    )


def _start_date(timing: _Timing, fallback: datetime.date | None, where: str) -> datetime.date:
    start = timing.bounds.start or timing.extensions.start_date or fallback
    if start is None:
        raise ScheduleError(
            f"{where}Timing.repeat.boundsPeriod.start is missing: Adhere needs the day the schedule starts."
        )
    return start


def _read_timing(timing: object, where: str, *, as_needed: bool) -> _Timing:
    """Dosage.timing checked for elements we cannot follow, with its bounds, count and our extensions read."""
    if timing is None and as_needed:
        return _Timing({}, _Bounds(), None, _Extensions())
    if not isinstance(timing, dict):
        raise ScheduleError(f"{where}Dosage.timing must be a Timing object.")
    for key in timing:
        if key == "event":
            raise ScheduleError(
                f"{where}Timing.event (a list of exact dates and times) is not supported; give Timing.repeat."
            )
        if key == "modifierExtension":
            raise ScheduleError(
                f"{where}Timing.modifierExtension changes the meaning in ways Adhere cannot read."
            )
        if key not in _TIMING_READ:
            raise ScheduleError(f"{where}Timing.{key} is not a FHIR R4 Timing element.")
    repeat = timing.get("repeat")
    if repeat is None:
        if as_needed:
            return _Timing({}, _Bounds(), None, _Extensions())
        # Timing.code alone ("BID") does not say at what times.
        raise ScheduleError(
            f"{where}Timing.repeat is missing: Adhere needs the times of day in Timing.repeat."
        )
    if not isinstance(repeat, dict):
        raise ScheduleError(f"{where}Timing.repeat must be an object.")
    for key in repeat:
        if key in _REPEAT_UNSUPPORTED:
            raise ScheduleError(f"{where}Timing.repeat.{key}: {_REPEAT_UNSUPPORTED[key]}.")
        if key == "modifierExtension":
            raise ScheduleError(
                f"{where}Timing.repeat.modifierExtension changes the meaning in ways Adhere cannot read."
            )
        if key not in _REPEAT_READ:
            raise ScheduleError(f"{where}Timing.repeat.{key} is not a FHIR R4 Timing.repeat element.")
    return _Timing(
        repeat=repeat,
        bounds=_parse_bounds(repeat, where),
        count=_optional_whole(repeat.get("count"), f"{where}Timing.repeat.count"),
        extensions=_adhere_extensions(repeat.get("extension", []), where),
    )


def _step_rhythm(timing: _Timing, where: str) -> tuple[Repeat, tuple[datetime.time, ...]]:
    """A step's Repeat and times, with the cycle extension applied."""
    repeat, times = _parse_rhythm(timing.repeat, where)
    cycle = timing.extensions.cycle
    if cycle is None:
        return repeat, times
    if repeat.kind != "daily":
        raise ScheduleError(f"{where}The dose-cycle extension is only supported on a daily Timing.repeat.")
    return Repeat("cycle", on_days=cycle[0], off_days=cycle[1]), times


def _parse_rhythm(repeat: dict, where: str) -> tuple[Repeat, tuple[datetime.time, ...]]:
    """Repeat and times from frequency, period, periodUnit, dayOfWeek and timeOfDay."""
    times = tuple(sorted(_parse_times(repeat.get("timeOfDay"), where)))
    weekdays = _parse_weekdays(repeat.get("dayOfWeek"), where)
    frequency = _optional_whole(repeat.get("frequency"), f"{where}Timing.repeat.frequency")
    period = _optional_whole(repeat.get("period"), f"{where}Timing.repeat.period")
    unit = repeat.get("periodUnit")
    if unit is None:
        if period is not None:
            raise ScheduleError(
                f"{where}Timing.repeat.periodUnit is missing: say whether the period is h, d or wk."
            )
        # Just times of day (and perhaps weekdays): every day, or on those days.
        unit = "d"
    if not isinstance(unit, str):
        raise ScheduleError(f"{where}Timing.repeat.periodUnit must be a code such as d, wk or h.")
    if unit in _UNIT_NAMES:
        raise ScheduleError(
            f"{where}Timing.repeat.periodUnit {unit!r} ({_UNIT_NAMES[unit]}) is not supported;"
            " Adhere schedules doses by the hour, day or week."
        )
    if unit not in ("h", "d", "wk"):
        raise ScheduleError(f"{where}Timing.repeat.periodUnit {unit!r} is not a FHIR units-of-time code.")
    period = 1 if period is None else period
    if period < 1:
        raise ScheduleError(f"{where}Timing.repeat.period must be 1 or more.")
    if frequency is not None and frequency < 1:
        raise ScheduleError(f"{where}Timing.repeat.frequency must be 1 or more.")

    if unit == "h":
        if weekdays:
            raise ScheduleError(f"{where}Timing.repeat.dayOfWeek with a period in hours is not supported.")
        if frequency not in (None, 1):
            raise ScheduleError(
                f"{where}Timing.repeat.frequency must be 1 with periodUnit 'h' (one dose every N hours)."
            )
        if len(times) != 1:
            raise ScheduleError(
                f"{where}Timing.repeat.timeOfDay must give exactly one start time for a dose every N hours."
            )
        return Repeat("every_n_hours", every=period), times

    if not times:
        raise ScheduleError(
            f"{where}Timing.repeat.timeOfDay is missing: Adhere needs the clock times of the doses."
        )
    if unit == "wk" and weekdays:
        if period != 1:
            raise ScheduleError(
                f"{where}Timing.repeat.period: doses on set weekdays every {period} weeks are not supported."
            )
        _check_frequency(frequency, len(weekdays) * len(times), where, "a week")
        return Repeat("weekdays", weekdays=weekdays), times
    # Without weekdays, each time of day is taken once per period: N days, or N weeks = 7N days.
    _check_frequency(frequency, len(times), where, f"{period} {unit}")
    days = period * 7 if unit == "wk" else period
    if weekdays:
        if days != 1:
            raise ScheduleError(
                f"{where}Timing.repeat.dayOfWeek with a period of {period} days is not supported;"
                " use period 1 d or 1 wk."
            )
        return Repeat("weekdays", weekdays=weekdays), times
    if days == 1:
        return Repeat("daily"), times
    return Repeat("every_n_days", every=days), times


def _check_frequency(frequency: int | None, expected: int, where: str, per: str) -> None:
    if frequency is not None and frequency != expected:
        raise ScheduleError(
            f"{where}Timing.repeat.frequency {frequency} does not match timeOfDay and dayOfWeek,"
            f" which give {expected} doses per {per}."
        )


def _parse_times(value: object, where: str) -> list[datetime.time]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScheduleError(f"{where}Timing.repeat.timeOfDay must be a list of times.")
    times = []
    for item in value:
        match = _FHIR_TIME_RE.fullmatch(item) if isinstance(item, str) else None
        if not match:
            raise ScheduleError(f"{where}Timing.repeat.timeOfDay {item!r} is not a time like 08:00:00.")
        hour, minute, second, _fraction = match.groups()
        times.append(datetime.time(int(hour), int(minute), int(second or 0)))
    return times


def _parse_weekdays(value: object, where: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ScheduleError(f"{where}Timing.repeat.dayOfWeek must be a list of day codes.")
    days = []
    for item in value:
        if item not in WEEKDAYS:
            raise ScheduleError(
                f"{where}Timing.repeat.dayOfWeek {item!r} is not a day code (mon, tue, ... sun)."
            )
        days.append(WEEKDAYS.index(item))
    return tuple(sorted(days))


def _parse_bounds(repeat: dict, where: str) -> _Bounds:
    period = repeat.get("boundsPeriod")
    duration = repeat.get("boundsDuration")
    start = end = days = None
    if period is not None:
        if not isinstance(period, dict):
            raise ScheduleError(f"{where}Timing.repeat.boundsPeriod must be a Period object.")
        start = _optional_date(period.get("start"), f"{where}Timing.repeat.boundsPeriod.start")
        end = _optional_date(period.get("end"), f"{where}Timing.repeat.boundsPeriod.end")
    if duration is not None:
        if end is not None:
            raise ScheduleError(
                f"{where}Timing.repeat has both boundsPeriod and boundsDuration; FHIR allows one bounds[x]."
            )
        days = _duration_days(duration, where)
    return _Bounds(start=start, end=end, days=days)


def _duration_days(duration: object, where: str) -> int:
    name = f"{where}Timing.repeat.boundsDuration"
    if not isinstance(duration, dict):
        raise ScheduleError(f"{name} must be a Duration object.")
    value = _optional_whole(duration.get("value"), f"{name}.value")
    if value is None:
        raise ScheduleError(f"{name}.value is missing.")
    unit = duration.get("code", duration.get("unit"))
    if unit not in _DAYS_UNITS:
        raise ScheduleError(
            f"{name} in {unit!r} is not supported; give a number of days (code 'd') or weeks ('wk')."
        )
    return value * _DAYS_UNITS[unit]


def _max_per_period(value: object) -> MaxPerPeriod | None:
    if value is None:
        return None
    name = "Dosage.maxDosePerPeriod"
    if isinstance(value, list):
        raise ScheduleError(f"{name} must be one Ratio (a list is FHIR R5, not R4).")
    if not isinstance(value, dict):
        raise ScheduleError(f"{name} must be a Ratio object.")
    numerator, denominator = value.get("numerator"), value.get("denominator")
    if not isinstance(numerator, dict) or not isinstance(denominator, dict):
        raise ScheduleError(f"{name} needs a numerator and a denominator.")
    numerator_unit = numerator.get("code", numerator.get("unit"))
    if numerator_unit not in (None, "1", "{dose}", "{doses}", "dose", "doses"):
        raise ScheduleError(
            f"{name}.numerator in {numerator_unit!r} is not a number of doses;"
            " Adhere limits doses, not amounts."
        )
    count = _optional_whole(numerator.get("value"), f"{name}.numerator.value")
    hours = _optional_whole(denominator.get("value"), f"{name}.denominator.value")
    if count is None or hours is None:
        raise ScheduleError(f"{name} needs a numerator value and a denominator value.")
    unit = denominator.get("code", denominator.get("unit"))
    if unit not in _HOURS_UNITS:
        raise ScheduleError(
            f"{name}.denominator in {unit!r} is not supported; give hours (code 'h') or days ('d')."
        )
    return MaxPerPeriod(count=count, hours=hours * _HOURS_UNITS[unit])


def _adhere_extensions(value: object, where: str) -> _Extensions:
    """Our extensions on Timing.repeat. Others' extensions are skipped, as FHIR allows."""
    if not isinstance(value, list):
        raise ScheduleError(f"{where}Timing.repeat.extension must be a list.")
    found: dict[str, object] = {}
    for extension in value:
        if not isinstance(extension, dict):
            raise ScheduleError(f"{where}Timing.repeat.extension must be a list of objects.")
        url = extension.get("url")
        name = f"{where}The {url} extension"
        if url == CYCLE_URL:
            parts = extension.get("extension")
            if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
                raise ScheduleError(f"{name} needs onDays and offDays.")
            values = {part.get("url"): part.get("valueInteger") for part in parts}
            on_days = _optional_whole(values.get("onDays"), f"{name} onDays")
            off_days = _optional_whole(values.get("offDays"), f"{name} offDays")
            if on_days is None or off_days is None:
                raise ScheduleError(f"{name} needs onDays and offDays.")
            found["cycle"] = (on_days, off_days)
        elif url in (START_DATE_URL, END_DATE_URL):
            day = _optional_date(extension.get("valueDate"), f"{name} valueDate")
            if day is None:
                raise ScheduleError(f"{name} needs a valueDate.")
            found["start_date" if url == START_DATE_URL else "end_date"] = day
        elif url in (DURATION_DAYS_URL, TOTAL_COUNT_URL):
            number = _optional_whole(extension.get("valueInteger"), f"{name} valueInteger")
            if number is None:
                raise ScheduleError(f"{name} needs a valueInteger.")
            found["duration_days" if url == DURATION_DAYS_URL else "total_count"] = number
    return _Extensions(**found)  # type: ignore[arg-type]


def _optional_whole(value: object, name: str) -> int | None:
    """A whole number from JSON; FHIR decimals such as 2.0 are fine, 0.5 is not."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScheduleError(f"{name} must be a number, not {value!r}.")
    if isinstance(value, float):
        if not value.is_integer():
            raise ScheduleError(f"{name} {value} is not a whole number.")
        return int(value)
    return value


def _optional_date(value: object, name: str) -> datetime.date | None:
    """A FHIR date, or the date part of a dateTime (as written, in its own offset)."""
    if value is None:
        return None
    match = _FHIR_DATE_RE.fullmatch(value) if isinstance(value, str) else None
    if match:
        try:
            return datetime.date.fromisoformat(match.group(1))
        except ValueError:
            pass
    raise ScheduleError(f"{name} {value!r} is not a full date like 2026-01-31.")
