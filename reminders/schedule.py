"""When a medication's doses fall: the schedule model and its expansion into instants.

Pure Python on purpose (no Django): the reminder scheduler, the forms, the FHIR export
and the tests all share it, and it must behave the same everywhere.

A schedule is a list of steps run one after another from the start date (one step is a
plain schedule, several are a tapering course). Doses are local wall-clock times in a
zone the caller chooses, so "08:00" stays 08:00 across daylight-saving changes and a
patient who moves can expand the same schedule in their new zone.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from adherence.text import SINGLE_LINE_MESSAGE, is_single_line

__all__ = [
    "FIRST_YEAR",
    "KINDS",
    "LAST_YEAR",
    "MAX_COUNT",
    "MAX_DAYS",
    "MAX_DOSAGE_LENGTH",
    "MAX_EVERY",
    "MAX_PER_PERIOD_COUNT",
    "MAX_PER_PERIOD_HOURS",
    "MAX_STEPS",
    "MAX_TIMES_PER_DAY",
    "TIME_PATTERN",
    "WEEKDAYS",
    "MaxPerPeriod",
    "Occurrence",
    "Repeat",
    "Schedule",
    "ScheduleError",
    "Step",
    "format_time",
    "local_to_utc",
    "occurrences",
    "step_on",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index 0 = Monday, as date.weekday()
KINDS = ("daily", "weekdays", "every_n_days", "every_n_hours", "cycle")

# A schedule's limits, defined here and nowhere else: problems() enforces them; the medication
# form, the admin and the API report its words, and the API's OpenAPI description of a schedule
# takes its maxima from these names (api/serializers.py; a test compares the two).
FIRST_YEAR, LAST_YEAR = 1900, 2999  # the start and end dates
MAX_STEPS = 12  # steps of a tapering course
MAX_TIMES_PER_DAY = 48  # times of day in one step: up to every half hour
MAX_DAYS = 3650  # ten years: a schedule's number of days, a step's days, a cycle's days on and off
MAX_EVERY = 90  # every N days, or every N hours
MAX_COUNT = 100_000  # doses of a course of a fixed number
MAX_DOSAGE_LENGTH = 100  # a step's dose, as the medication's own dosage
MAX_PER_PERIOD_COUNT = 50  # as-needed: at most this many doses...
MAX_PER_PERIOD_HOURS = 168  # ...in a window of at most a week

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_UTC = datetime.UTC
_DAY = datetime.timedelta(days=1)
_MIDNIGHT = datetime.time(0, 0)
_SECOND = datetime.timedelta(seconds=1)

# Strict formats: date.fromisoformat and time.fromisoformat accept more shapes
# ("20260105", "0800") than we want to store.
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
TIME_PATTERN = f"^{_TIME_RE.pattern}$"  # a time of day as the JSON stores it, for JSON Schema


class ScheduleError(ValueError):
    """Bad schedule data; the message is plain language that can be shown to a patient.

    `problems` lists the individual mistakes when there are several.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems else [message]


@dataclass(frozen=True)
class Repeat:
    """How the days (or hours) of a step repeat."""

    kind: str  # "daily" | "weekdays" | "every_n_days" | "every_n_hours" | "cycle"
    weekdays: tuple[int, ...] = ()  # for "weekdays": 0=Mon..6=Sun, sorted, unique
    every: int = 1  # N for every_n_days / every_n_hours
    on_days: int = 0  # for "cycle": e.g. 21 on ...
    off_days: int = 0  # ... and 7 off


@dataclass(frozen=True)
class Step:
    """One stretch of a schedule with the same times and dose."""

    times: tuple[datetime.time, ...]  # local times of day; for every_n_hours exactly one, the start time
    repeat: Repeat
    days: int | None = None  # length in days; None = until the schedule ends (last step only)
    dosage: str = ""  # this step's dose ("40 mg"); "" = the medication's own dosage


@dataclass(frozen=True)
class MaxPerPeriod:
    """As-needed limit: at most `count` doses in any window of `hours` hours."""

    count: int
    hours: int


@dataclass(frozen=True)
class Schedule:
    """A medication's whole schedule. `problems()` says whether it makes sense."""

    start_date: datetime.date
    steps: tuple[Step, ...] = ()  # several = tapering, run one after another from start_date
    as_needed: bool = False  # PRN: no scheduled doses (steps must be empty)
    end_date: datetime.date | None = None  # inclusive last day
    duration_days: int | None = None  # alternative to end_date, counted from start_date
    count: int | None = None  # stop after this many doses in total
    max_per_period: MaxPerPeriod | None = None  # as-needed only: the app warns before a dose over it

    def to_json(self) -> dict:
        """A JSON-safe dict; `from_json` reads it back to an equal Schedule.

        Repeat fields that do not apply to the kind (e.g. `every` of a daily step) are left out.
        """
        return {
            "start_date": self.start_date.isoformat(),
            "steps": [_step_to_json(step) for step in self.steps],
            "as_needed": self.as_needed,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "duration_days": self.duration_days,
            "count": self.count,
            "max_per_period": (
                {"count": self.max_per_period.count, "hours": self.max_per_period.hours}
                if self.max_per_period
                else None
            ),
        }

    @classmethod
    def from_json(cls, data: dict) -> Schedule:
        """The inverse of `to_json`. Raises ScheduleError when the data is not a schedule's shape.

        It checks shape and types only, so that any stored schedule can be loaded and shown;
        call `problems()` for whether the schedule makes sense.
        """
        return _schedule_from_json(data)

    def problems(self) -> list[str]:
        """Everything wrong with the schedule, in words a patient understands; [] when it is fine."""
        found: list[str] = []
        if self.as_needed:
            if self.steps:
                found.append("An as-needed medication has no times.")
        else:
            if not self.steps:
                found.append("Give at least one time of day.")
            if self.max_per_period is not None:
                found.append("A most-doses-per-period limit is only for as-needed medications.")
        if self.max_per_period is not None and (
            self.max_per_period.count < 1 or self.max_per_period.hours < 1
        ):
            found.append("The most-doses limit needs 1 or more doses in 1 or more hours.")
        if self.max_per_period is not None and (
            self.max_per_period.count > MAX_PER_PERIOD_COUNT
            or self.max_per_period.hours > MAX_PER_PERIOD_HOURS
        ):
            found.append(
                f"The most-doses limit goes up to {MAX_PER_PERIOD_COUNT} doses"
                f" in up to {MAX_PER_PERIOD_HOURS} hours."
            )
        if len(self.steps) > MAX_STEPS:
            found.append(f"A schedule has at most {MAX_STEPS} steps.")
        if any(step.days is None for step in self.steps[:-1]):
            found.append("Only the last step may run without a number of days.")
        for index, step in enumerate(self.steps):
            # Name the step only when there are several, so a plain schedule reads naturally.
            prefix = f"Step {index + 1}: " if len(self.steps) > 1 else ""
            found.extend(prefix + problem for problem in _step_problems(step))
        if self.end_date is not None and self.duration_days is not None:
            found.append("Give an end date or a number of days, not both.")
        if self.end_date is not None and self.end_date < self.start_date:
            found.append("The end date is before the start date.")
        if any(
            day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR
            for day in (self.start_date, self.end_date)
        ):
            found.append(f"Dates must fall between the years {FIRST_YEAR} and {LAST_YEAR}.")
        if self.duration_days is not None and self.duration_days < 1:
            found.append("The number of days must be 1 or more.")
        if self.duration_days is not None and self.duration_days > MAX_DAYS:
            found.append(f"The number of days goes up to {MAX_DAYS}.")
        if self.count is not None and self.count < 1:
            found.append("The number of doses must be 1 or more.")
        if self.count is not None and self.count > MAX_COUNT:
            found.append(f"The number of doses goes up to {MAX_COUNT}.")
        return found

    @property
    def last_day(self) -> datetime.date | None:
        """The last day a dose can fall on, or None when the schedule is open-ended (ignoring `count`)."""
        candidates: list[datetime.date] = []
        if self.end_date is not None:
            candidates.append(self.end_date)
        if self.duration_days is not None:
            candidates.append(self.start_date + datetime.timedelta(days=self.duration_days - 1))
        if self.steps and all(step.days is not None for step in self.steps):
            total = sum(step.days or 0 for step in self.steps)
            candidates.append(self.start_date + datetime.timedelta(days=total - 1))
        return min(candidates) if candidates else None


@dataclass(frozen=True)
class Occurrence:
    """One scheduled dose."""

    at: datetime.datetime  # UTC, aware
    local: datetime.datetime  # the same instant in the zone used, aware
    step: int  # index into schedule.steps
    dosage: str  # the step's dosage ("" if the step has none)


# --- problems ----------------------------------------------------------------------------


def _step_problems(step: Step) -> list[str]:
    """What is wrong with one step, without saying which step."""
    found: list[str] = []
    repeat = step.repeat
    if repeat.kind not in KINDS:
        found.append(
            "Choose how often: every day, on some weekdays, every N days, every N hours,"
            " or a cycle of days on and off."
        )
    if not step.times:
        found.append("Give at least one time of day.")
    elif repeat.kind == "every_n_hours" and len(step.times) > 1:
        found.append("Every N hours needs exactly one start time.")
    elif len(step.times) > MAX_TIMES_PER_DAY:
        found.append(f"Give at most {MAX_TIMES_PER_DAY} times of day.")
    for at in dict.fromkeys(step.times):  # first appearance order; no sorting of mixed naive/aware
        found.extend(_repeated(format_time(at), step.times.count(at)))
    if any(at.tzinfo is not None for at in step.times):
        found.append("Times of day are clock times, without a time zone.")
    if step.days is not None and step.days < 1:
        found.append("A step needs 1 or more days.")
    if step.days is not None and step.days > MAX_DAYS:
        found.append(f"A step lasts at most {MAX_DAYS} days.")
    if len(step.dosage) > MAX_DOSAGE_LENGTH:
        found.append(f"A step's dose is at most {MAX_DOSAGE_LENGTH} characters of text.")
    elif not is_single_line(step.dosage):
        found.append(f"A step's dose: {SINGLE_LINE_MESSAGE[0].lower()}{SINGLE_LINE_MESSAGE[1:]}")
    if repeat.kind == "weekdays":
        if not repeat.weekdays:
            found.append("Choose at least one weekday.")
        if any(not 0 <= day <= 6 for day in repeat.weekdays):
            found.append("Weekdays go from Monday (0) to Sunday (6).")
        for day in dict.fromkeys(repeat.weekdays):
            if 0 <= day <= 6:
                found.extend(_repeated(_WEEKDAY_NAMES[day], repeat.weekdays.count(day)))
    elif repeat.kind in ("every_n_days", "every_n_hours"):
        unit = "days" if repeat.kind == "every_n_days" else "hours"
        if repeat.every < 1:
            found.append(f"Every N {unit} needs N of 1 or more.")
        if repeat.every > MAX_EVERY:
            found.append(f"Every N {unit} goes up to every {MAX_EVERY} {unit}.")
    elif repeat.kind == "cycle":
        if repeat.on_days < 1:
            found.append("A cycle needs at least 1 day on.")
        # With no days off it is just "daily"; saying so keeps one way to write each schedule.
        if repeat.off_days < 1:
            found.append("A cycle needs at least 1 day off.")
        if repeat.on_days > MAX_DAYS or repeat.off_days > MAX_DAYS:
            found.append(f"A cycle has at most {MAX_DAYS} days on and {MAX_DAYS} days off.")
    # Numbers that do not apply to the kind are dropped when stored, but sent they must still be
    # in range: the API's schema says so for every kind.
    if repeat.kind not in ("every_n_days", "every_n_hours") and not 1 <= repeat.every <= MAX_EVERY:
        found.append(f"N of every N days or hours goes from 1 to {MAX_EVERY}.")
    if repeat.kind != "cycle" and not (0 <= repeat.on_days <= MAX_DAYS and 0 <= repeat.off_days <= MAX_DAYS):
        found.append(f"Days on and off go from 0 to {MAX_DAYS}.")
    return found


def _repeated(what: str, times: int) -> list[str]:
    """["08:00 is listed twice."] when something appears more than once."""
    if times == 2:
        return [f"{what} is listed twice."]
    if times > 2:
        return [f"{what} is listed {times} times."]
    return []


def format_time(at: datetime.time) -> str:
    """ "08:00", or "08:00:30" when there are seconds (so nothing is lost)."""
    return at.strftime("%H:%M:%S" if at.second else "%H:%M")


# --- JSON --------------------------------------------------------------------------------


def _step_to_json(step: Step) -> dict:
    repeat = step.repeat
    repeat_json: dict = {"kind": repeat.kind}
    if repeat.kind == "weekdays":
        # Out-of-range numbers are kept as numbers so the round trip does not hide the mistake.
        repeat_json["weekdays"] = [WEEKDAYS[day] if 0 <= day <= 6 else day for day in repeat.weekdays]
    elif repeat.kind in ("every_n_days", "every_n_hours"):
        repeat_json["every"] = repeat.every
    elif repeat.kind == "cycle":
        repeat_json["on_days"] = repeat.on_days
        repeat_json["off_days"] = repeat.off_days
    return {
        "times": [format_time(at) for at in step.times],
        "repeat": repeat_json,
        "days": step.days,
        "dosage": step.dosage,
    }


_SCHEDULE_KEYS = {"start_date", "steps", "as_needed", "end_date", "duration_days", "count", "max_per_period"}
_STEP_KEYS = {"times", "repeat", "days", "dosage"}
_REPEAT_KEYS = {"kind", "weekdays", "every", "on_days", "off_days"}


def _schedule_from_json(data: object) -> Schedule:
    if not isinstance(data, dict):
        raise ScheduleError("The schedule is not in the expected form.")
    _reject_unknown_keys(data, _SCHEDULE_KEYS, "The schedule")
    if "start_date" not in data:
        raise ScheduleError("The start date is missing.")
    steps_data = data.get("steps", [])
    if not isinstance(steps_data, list):
        raise ScheduleError("The steps must be a list.")
    as_needed = data.get("as_needed", False)
    if not isinstance(as_needed, bool):
        raise ScheduleError("As-needed must be true or false.")
    max_data = data.get("max_per_period")
    max_per_period = None
    if max_data is not None:
        if not isinstance(max_data, dict):
            raise ScheduleError("The most-doses limit is not in the expected form.")
        _reject_unknown_keys(max_data, {"count", "hours"}, "The most-doses limit")
        max_per_period = MaxPerPeriod(
            count=_json_int(max_data.get("count"), "The most-doses limit's number of doses"),
            hours=_json_int(max_data.get("hours"), "The most-doses limit's hours"),
        )
    return Schedule(
        start_date=_json_date(data["start_date"], "The start date"),
        steps=tuple(
            _step_from_json(step, f"Step {index + 1}" if len(steps_data) > 1 else "The step")
            for index, step in enumerate(steps_data)
        ),
        as_needed=as_needed,
        end_date=_json_optional(data.get("end_date"), _json_date, "The end date"),
        duration_days=_json_optional(data.get("duration_days"), _json_int, "The number of days"),
        count=_json_optional(data.get("count"), _json_int, "The number of doses"),
        max_per_period=max_per_period,
    )


def _step_from_json(data: object, name: str) -> Step:
    if not isinstance(data, dict):
        raise ScheduleError(f"{name} is not in the expected form.")
    _reject_unknown_keys(data, _STEP_KEYS, name)
    times = data.get("times")
    if not isinstance(times, list):
        raise ScheduleError(f"{name}: the times of day must be a list.")
    repeat = data.get("repeat")
    if not isinstance(repeat, dict):
        raise ScheduleError(f"{name}: how often is missing.")
    _reject_unknown_keys(repeat, _REPEAT_KEYS, name)
    kind = repeat.get("kind")
    if not isinstance(kind, str):
        raise ScheduleError(f"{name}: how often is missing.")
    weekdays = repeat.get("weekdays", [])
    if not isinstance(weekdays, list):
        raise ScheduleError(f"{name}: the weekdays must be a list.")
    dosage = data.get("dosage", "")
    if not isinstance(dosage, str):
        raise ScheduleError(f"{name}: the dose must be text.")
    return Step(
        times=tuple(_json_time(at, f"{name}: the time") for at in times),
        repeat=Repeat(
            kind=kind,
            weekdays=tuple(_json_weekday(day, name) for day in weekdays),
            every=_json_int(repeat.get("every", 1), f"{name}: N"),
            on_days=_json_int(repeat.get("on_days", 0), f"{name}: the days on"),
            off_days=_json_int(repeat.get("off_days", 0), f"{name}: the days off"),
        ),
        days=_json_optional(data.get("days"), _json_int, f"{name}: the number of days"),
        dosage=dosage,
    )


def _reject_unknown_keys(data: dict, known: set[str], name: str) -> None:
    # Strict on purpose: a misspelt key ("end_day") would otherwise silently mean "no end".
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise ScheduleError(f"{name} has something unexpected: {', '.join(unknown)}.")


def _json_optional[T](value: object, parse: Callable[[object, str], T], name: str) -> T | None:
    return None if value is None else parse(value, name)


def _json_int(value: object, name: str) -> int:
    # bool is an int in Python; true/false is never a number of days.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScheduleError(f"{name} must be a whole number, not {value!r}.")
    return value


def _json_date(value: object, name: str) -> datetime.date:
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ScheduleError(f"{name} must be a date like 2026-01-31, not {value!r}.")


def _json_time(value: object, name: str) -> datetime.time:
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ScheduleError(f"{name} must be a time like 08:00, not {value!r}.")
    hour, minute, second = match.groups()
    return datetime.time(int(hour), int(minute), int(second or 0))


def _json_weekday(value: object, name: str) -> int:
    if isinstance(value, str) and value in WEEKDAYS:
        return WEEKDAYS.index(value)
    # Numbers are what to_json writes for an out-of-range weekday: keep them for problems().
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ScheduleError(f"{name}: {value!r} is not a weekday (use mon, tue, wed, thu, fri, sat or sun).")


# --- expansion ---------------------------------------------------------------------------


def local_to_utc(day: datetime.date, at: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """The UTC instant of a local wall-clock time. A time that does not exist (spring forward) moves to the
    first valid minute after the gap (02:30 on the US spring-forward day -> 03:00 EDT; works for the
    30-minute shift of Australia/Lord_Howe); a time that happens twice (fall back) is its first occurrence."""
    naive = datetime.datetime.combine(day, at.replace(tzinfo=None, fold=0))
    # fold=0 is the first occurrence of a repeated time, which is what we want.
    instant = naive.replace(tzinfo=zone).astimezone(_UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    return _end_of_gap(naive, zone)


def _end_of_gap(naive: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """The transition instant that skipped over `naive`: the first moment whose wall time is after it.

    zoneinfo reads a skipped time with the offset before the transition (fold=0) or after it
    (fold=1); the transition lies between those two instants. Bisect on whole seconds rather
    than assume the gap's length, so 30-minute (Lord Howe) and whole-day (Samoa 2011) gaps work.
    """
    low = naive.replace(tzinfo=zone, fold=1).astimezone(_UTC)  # wall time before the gap
    high = naive.replace(tzinfo=zone, fold=0).astimezone(_UTC)  # wall time after the gap
    low, high = min(low, high), max(low, high)
    while high - low > _SECOND:
        middle = low + ((high - low) // 2 // _SECOND) * _SECOND
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high


def occurrences(
    schedule: Schedule, zone: ZoneInfo, start: datetime.datetime, end: datetime.datetime
) -> list[Occurrence]:
    """Every scheduled dose with start <= at < end (start and end are aware datetimes), sorted by `at`,
    no duplicates. As-needed schedules have none.

    Raises ScheduleError when `schedule.problems()` is not empty.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("occurrences() needs aware datetimes for start and end.")
    problems = schedule.problems()
    if problems:
        raise ScheduleError(" ".join(problems), problems)
    if schedule.as_needed or end <= start:
        return []
    if schedule.count is None:
        # Jump straight to the window. One day early: a dose moved out of a gap that spans
        # midnight (Samoa skipped 2011-12-30) lands on the next local day.
        from_day = max(schedule.start_date, start.astimezone(zone).date() - _DAY)
    else:
        # `count` counts from the very first dose, so every dose before the window matters.
        from_day = schedule.start_date
    to_day = end.astimezone(zone).date() + _DAY

    found: list[Occurrence] = []
    previous: datetime.datetime | None = None
    taken = 0
    # _doses yields in non-decreasing order, so duplicates are adjacent and the first
    # dose at or after `end` means nothing later can be in the window.
    for at, index in _doses(schedule, zone, from_day, to_day):
        if at == previous:
            continue
        previous = at
        taken += 1
        if schedule.count is not None and taken > schedule.count:
            break
        if at >= end:
            break
        if at >= start:
            step = schedule.steps[index]
            found.append(Occurrence(at=at, local=at.astimezone(zone), step=index, dosage=step.dosage))
    return found


def step_on(schedule: Schedule, day: datetime.date) -> Step | None:
    """The step in effect on `day`: None before the start, after the end, or when there is no step."""
    for _index, step, first, last in _step_spans(schedule):
        if first <= day and (last is None or day <= last):
            return step
    return None


def _step_spans(schedule: Schedule) -> Iterator[tuple[int, Step, datetime.date, datetime.date | None]]:
    """(index, step, first day, last day or None) of each step that starts by the schedule's end."""
    last_day = schedule.last_day
    first = schedule.start_date
    for index, step in enumerate(schedule.steps):
        if last_day is not None and first > last_day:
            return
        last = first + datetime.timedelta(days=step.days - 1) if step.days is not None else None
        if last_day is not None and (last is None or last > last_day):
            last = last_day
        yield index, step, first, last
        if last is None:
            return
        first = last + _DAY


def _doses(
    schedule: Schedule, zone: ZoneInfo, from_day: datetime.date, to_day: datetime.date
) -> Iterator[tuple[datetime.datetime, int]]:
    """(UTC instant, step index) of the doses on local days from_day..to_day, in non-decreasing order.

    local_to_utc never goes backwards as wall time goes forwards, so walking days and sorted
    times in order gives instants in order.
    """
    for index, step, first, last in _step_spans(schedule):
        if last is not None and last < from_day:
            continue
        if first > to_day:
            return
        repeat = step.repeat
        if repeat.kind == "every_n_hours" and 24 % repeat.every:
            yield from _elapsed_doses(step, index, zone, first, last, from_day, to_day)
            continue
        times, first_day_times = _times_of_day(step)
        day = max(first, from_day)
        stop = min(last, to_day) if last is not None else to_day
        while day <= stop:
            offset = (day - first).days
            if _is_dose_day(repeat, offset, day):
                for at in first_day_times if offset == 0 else times:
                    yield local_to_utc(day, at, zone), index
            day += _DAY


def _times_of_day(step: Step) -> tuple[tuple[datetime.time, ...], tuple[datetime.time, ...]]:
    """(times on every day, times on the step's first day), each sorted.

    For every N hours with 24 % N == 0 the times are the start time plus multiples of N hours,
    wrapped round the clock (every 12 h from 20:00 is 08:00 and 20:00). The doses before the
    start time on the very first day are left out: the series starts at the start time.
    """
    times = tuple(sorted(set(step.times)))
    if step.repeat.kind != "every_n_hours":
        return times, times
    origin = times[0]
    seconds = origin.hour * 3600 + origin.minute * 60 + origin.second
    every = step.repeat.every * 3600
    daily = tuple(sorted(_clock((seconds + k * every) % 86400) for k in range(86400 // every)))
    return daily, tuple(at for at in daily if at >= origin)


def _clock(seconds: int) -> datetime.time:
    return datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _is_dose_day(repeat: Repeat, offset: int, day: datetime.date) -> bool:
    """Whether `day`, `offset` days into its step, has doses."""
    if repeat.kind == "weekdays":
        return day.weekday() in repeat.weekdays
    if repeat.kind == "every_n_days":
        return offset % repeat.every == 0
    if repeat.kind == "cycle":
        return offset % (repeat.on_days + repeat.off_days) < repeat.on_days
    return True  # daily, and every N hours that fits the day


def _elapsed_doses(
    step: Step,
    index: int,
    zone: ZoneInfo,
    first: datetime.date,
    last: datetime.date | None,
    from_day: datetime.date,
    to_day: datetime.date,
) -> Iterator[tuple[datetime.datetime, int]]:
    """Every N hours of real time (UTC arithmetic) from the start time on the step's first day.

    When N does not divide 24 the clock times drift from day to day anyway, so the interval,
    not the wall clock, is what the patient was told to keep: it stays N hours across DST.
    """
    every = datetime.timedelta(hours=step.repeat.every)
    origin = local_to_utc(first, min(step.times), zone)
    stop = local_to_utc(min(last, to_day) + _DAY if last is not None else to_day + _DAY, _MIDNIGHT, zone)
    lower = local_to_utc(from_day, _MIDNIGHT, zone)
    skip = max(0, -((origin - lower) // every))  # ceil((lower - origin) / every), never negative
    at = origin + skip * every
    while at < stop:
        yield at, index
        at += every
