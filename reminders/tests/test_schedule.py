"""The schedule model and its expansion into dose instants (pure Python, no database)."""

from __future__ import annotations

import cProfile
import dataclasses
import datetime
import itertools
import json
import pstats
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.schedule import (
    MAX_COUNT,
    WEEKDAYS,
    MaxPerPeriod,
    Occurrence,
    Repeat,
    Schedule,
    ScheduleError,
    Step,
    local_to_utc,
    occurrences,
)

UTC = datetime.UTC
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
ZONE_UTC = ZoneInfo("UTC")


def utc(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def step(*times: str, repeat: Repeat | None = None, days: int | None = None, dosage: str = "") -> Step:
    return Step(
        times=tuple(t(at) for at in times), repeat=repeat or Repeat("daily"), days=days, dosage=dosage
    )


def plain(start: str, *times: str, repeat: Repeat | None = None, **fields) -> Schedule:
    """A one-step schedule."""
    return Schedule(start_date=d(start), steps=(step(*times, repeat=repeat),), **fields)


def instants(found: list[Occurrence]) -> list[datetime.datetime]:
    return [occurrence.at for occurrence in found]


def local_strings(found: list[Occurrence]) -> list[str]:
    return [occurrence.local.strftime("%Y-%m-%d %H:%M %z") for occurrence in found]


# Every shape the model has, for round trips.
SHAPES = {
    "daily once": plain("2026-01-05", "08:00"),
    "daily three times": plain("2026-01-05", "08:00", "14:00", "22:00"),
    "with seconds": plain("2026-01-05", "08:00:30"),
    "weekdays": plain("2026-01-05", "09:00", repeat=Repeat("weekdays", weekdays=(0, 2, 4))),
    "every 2 days": plain("2026-01-05", "08:00", "20:00", repeat=Repeat("every_n_days", every=2)),
    "every 8 hours": plain("2026-01-05", "06:00", repeat=Repeat("every_n_hours", every=8)),
    "every 5 hours": plain("2026-01-05", "07:30", repeat=Repeat("every_n_hours", every=5)),
    "cycle": plain("2026-01-05", "21:00", repeat=Repeat("cycle", on_days=21, off_days=7)),
    "end date": plain("2026-01-05", "08:00", end_date=d("2026-02-04")),
    "duration": plain("2026-01-05", "08:00", duration_days=10),
    "count": plain("2026-01-05", "08:00", "20:00", count=20),
    "tapering 2": Schedule(
        start_date=d("2026-01-05"),
        steps=(step("08:00", days=5, dosage="40 mg"), step("08:00", days=5, dosage="20 mg")),
    ),
    "tapering 3": Schedule(
        start_date=d("2026-01-05"),
        steps=(
            step("08:00", "20:00", days=3, dosage="20 mg"),
            step("08:00", days=4, dosage="10 mg", repeat=Repeat("every_n_days", every=2)),
            step("08:00", dosage="5 mg", repeat=Repeat("weekdays", weekdays=(0, 3))),
        ),
        end_date=d("2026-03-01"),
    ),
    "as needed": Schedule(start_date=d("2026-01-05"), as_needed=True),
    "as needed with limit": Schedule(
        start_date=d("2026-01-05"), as_needed=True, max_per_period=MaxPerPeriod(count=4, hours=24)
    ),
}


# --- JSON --------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", SHAPES.values(), ids=SHAPES.keys())
def test_it_reads_back_what_it_writes_as_json(schedule: Schedule) -> None:
    stored = json.loads(json.dumps(schedule.to_json()))

    assert Schedule.from_json(stored) == schedule


def test_to_json_writes_dates_times_and_weekday_names() -> None:
    schedule = Schedule(
        start_date=d("2026-01-05"),
        steps=(
            step("08:00", "20:30", repeat=Repeat("weekdays", weekdays=(0, 6)), days=7, dosage="1 tablet"),
        ),
        end_date=d("2026-01-31"),
        count=12,
    )

    assert schedule.to_json() == {
        "start_date": "2026-01-05",
        "steps": [
            {
                "times": ["08:00", "20:30"],
                "repeat": {"kind": "weekdays", "weekdays": ["mon", "sun"]},
                "days": 7,
                "dosage": "1 tablet",
            }
        ],
        "as_needed": False,
        "end_date": "2026-01-31",
        "duration_days": None,
        "count": 12,
        "max_per_period": None,
    }


def test_to_json_writes_only_the_repeat_fields_of_its_kind() -> None:
    assert SHAPES["every 2 days"].to_json()["steps"][0]["repeat"] == {"kind": "every_n_days", "every": 2}
    assert SHAPES["cycle"].to_json()["steps"][0]["repeat"] == {"kind": "cycle", "on_days": 21, "off_days": 7}
    assert SHAPES["as needed with limit"].to_json()["max_per_period"] == {"count": 4, "hours": 24}


def test_from_json_fills_in_what_may_be_left_out() -> None:
    schedule = Schedule.from_json(
        {"start_date": "2026-01-05", "steps": [{"times": ["08:00"], "repeat": {"kind": "daily"}}]}
    )

    assert schedule == plain("2026-01-05", "08:00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "The schedule is not in the expected form."),
        ([], "The schedule is not in the expected form."),
        ("2026-01-05", "The schedule is not in the expected form."),
        ({}, "The start date is missing."),
        ({"start_date": "2026-13-01"}, "The start date must be a date like 2026-01-31, not '2026-13-01'."),
        ({"start_date": "20260105"}, "The start date must be a date like 2026-01-31, not '20260105'."),
        ({"start_date": 20260105}, "The start date must be a date like 2026-01-31, not 20260105."),
        (
            {"start_date": "2026-01-05", "end_day": "2026-02-01"},
            "The schedule has something unexpected: end_day.",
        ),
        ({"start_date": "2026-01-05", "steps": "daily"}, "The steps must be a list."),
        ({"start_date": "2026-01-05", "as_needed": "yes"}, "As-needed must be true or false."),
        (
            {"start_date": "2026-01-05", "count": True},
            "The number of doses must be a whole number, not True.",
        ),
        (
            {"start_date": "2026-01-05", "duration_days": "5"},
            "The number of days must be a whole number, not '5'.",
        ),
        (
            {"start_date": "2026-01-05", "max_per_period": 4},
            "The most-doses limit is not in the expected form.",
        ),
        ({"start_date": "2026-01-05", "steps": ["08:00"]}, "The step is not in the expected form."),
        (
            {"start_date": "2026-01-05", "steps": [{"times": ["8am"], "repeat": {"kind": "daily"}}]},
            "The step: the time must be a time like 08:00, not '8am'.",
        ),
        (
            {"start_date": "2026-01-05", "steps": [{"times": ["24:00"], "repeat": {"kind": "daily"}}]},
            "The step: the time must be a time like 08:00, not '24:00'.",
        ),
        (
            {"start_date": "2026-01-05", "steps": [{"times": "08:00", "repeat": {"kind": "daily"}}]},
            "The step: the times of day must be a list.",
        ),
        ({"start_date": "2026-01-05", "steps": [{"times": ["08:00"]}]}, "The step: how often is missing."),
        (
            {
                "start_date": "2026-01-05",
                "steps": [{"times": ["08:00"], "repeat": {"kind": "weekdays", "weekdays": ["monday"]}}],
            },
            "The step: 'monday' is not a weekday (use mon, tue, wed, thu, fri, sat or sun).",
        ),
        (
            {
                "start_date": "2026-01-05",
                "steps": [
                    {"times": ["08:00"], "repeat": {"kind": "daily"}, "days": 5},
                    {"times": ["08:00"], "repeat": {"kind": "daily"}, "days": 2.5},
                ],
            },
            "Step 2: the number of days must be a whole number, not 2.5.",
        ),
    ],
)
def test_from_json_refuses_garbage_in_plain_words(data: object, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Schedule.from_json(data)  # type: ignore[arg-type]

    assert str(caught.value) == message


def test_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^The start date is missing\.$"):
        Schedule.from_json({})


# --- problems ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (Schedule(start_date=d("2026-01-05")), ["Give at least one time of day."]),
        (Schedule(start_date=d("2026-01-05"), steps=(step(),)), ["Give at least one time of day."]),
        (
            plain("2026-01-05", "08:00", end_date=d("2026-01-04")),
            ["The end date is before the start date."],
        ),
        (plain("2026-01-05", "08:00", "08:00"), ["08:00 is listed twice."]),
        (plain("2026-01-05", "08:00", "08:00", "08:00"), ["08:00 is listed 3 times."]),
        (plain("2026-01-05", "08:00", repeat=Repeat("weekdays")), ["Choose at least one weekday."]),
        (
            plain("2026-01-05", "08:00", repeat=Repeat("weekdays", weekdays=(2, 2))),
            ["Wednesday is listed twice."],
        ),
        (
            plain("2026-01-05", "08:00", repeat=Repeat("weekdays", weekdays=(7,))),
            ["Weekdays go from Monday (0) to Sunday (6)."],
        ),
        (
            plain("2026-01-05", "08:00", repeat=Repeat("every_n_days", every=0)),
            ["Every N days needs N of 1 or more."],
        ),
        (
            plain("2026-01-05", "08:00", repeat=Repeat("every_n_hours", every=0)),
            ["Every N hours needs N of 1 or more."],
        ),
        (
            plain("2026-01-05", "08:00", "12:00", repeat=Repeat("every_n_hours", every=4)),
            ["Every N hours needs exactly one start time."],
        ),
        (
            plain("2026-01-05", "08:00", repeat=Repeat("cycle", on_days=0, off_days=0)),
            ["A cycle needs at least 1 day on.", "A cycle needs at least 1 day off."],
        ),
        (
            plain("2026-01-05", "08:00", repeat=Repeat("fortnightly")),
            [
                "Choose how often: every day, on some weekdays, every N days, every N hours,"
                " or a cycle of days on and off."
            ],
        ),
        (
            Schedule(start_date=d("2026-01-05"), steps=(step("08:00"), step("08:00", days=5))),
            ["Only the last step may run without a number of days."],
        ),
        (
            Schedule(start_date=d("2026-01-05"), steps=(step("08:00", days=0), step("08:00"))),
            ["Step 1: A step needs 1 or more days."],
        ),
        (
            Schedule(start_date=d("2026-01-05"), steps=(step("08:00", days=5), step("09:00", "09:00"))),
            ["Step 2: 09:00 is listed twice."],
        ),
        (
            Schedule(start_date=d("2026-01-05"), as_needed=True, steps=(step("08:00"),)),
            ["An as-needed medication has no times."],
        ),
        (
            plain("2026-01-05", "08:00", end_date=d("2026-02-01"), duration_days=10),
            ["Give an end date or a number of days, not both."],
        ),
        (plain("2026-01-05", "08:00", duration_days=0), ["The number of days must be 1 or more."]),
        (plain("2026-01-05", "08:00", count=0), ["The number of doses must be 1 or more."]),
        (
            plain("2026-01-05", "08:00", max_per_period=MaxPerPeriod(4, 24)),
            ["A most-doses-per-period limit is only for as-needed medications."],
        ),
        (
            Schedule(start_date=d("2026-01-05"), as_needed=True, max_per_period=MaxPerPeriod(0, 24)),
            ["The most-doses limit needs 1 or more doses in 1 or more hours."],
        ),
        (
            Schedule(
                start_date=d("2026-01-05"),
                steps=(Step(times=(datetime.time(8, tzinfo=UTC),), repeat=Repeat("daily")),),
            ),
            ["Times of day are clock times, without a time zone."],
        ),
    ],
)
def test_problems_says_what_is_wrong_in_plain_words(schedule: Schedule, expected: list[str]) -> None:
    assert schedule.problems() == expected


@pytest.mark.parametrize("schedule", SHAPES.values(), ids=SHAPES.keys())
def test_every_sample_shape_has_no_problems(schedule: Schedule) -> None:
    assert schedule.problems() == []


def test_problems_lists_several_mistakes_at_once() -> None:
    schedule = Schedule(
        start_date=d("2026-01-05"),
        steps=(step("08:00", "08:00", repeat=Repeat("weekdays")),),
        end_date=d("2026-01-01"),
    )

    assert schedule.problems() == [
        "08:00 is listed twice.",
        "Choose at least one weekday.",
        "The end date is before the start date.",
    ]


@pytest.mark.parametrize(
    ("schedule", "last_day"),
    [
        (plain("2026-01-05", "08:00"), None),
        (plain("2026-01-05", "08:00", end_date=d("2026-01-31")), d("2026-01-31")),
        (plain("2026-01-05", "08:00", duration_days=10), d("2026-01-14")),
        (plain("2026-01-05", "08:00", duration_days=1), d("2026-01-05")),
        (SHAPES["tapering 2"], d("2026-01-14")),
        (SHAPES["tapering 3"], d("2026-03-01")),  # open last step, cut by end_date
        # The earlier of the steps' end and the schedule's end wins.
        (
            Schedule(start_date=d("2026-01-05"), steps=(step("08:00", days=5),), end_date=d("2026-01-07")),
            d("2026-01-07"),
        ),
        (Schedule(start_date=d("2026-01-05"), as_needed=True, duration_days=3), d("2026-01-07")),
    ],
)
def test_last_day_is_the_last_day_a_dose_can_fall_on(
    schedule: Schedule, last_day: datetime.date | None
) -> None:
    assert schedule.last_day == last_day


# --- local_to_utc ------------------------------------------------------------------------


def test_a_time_in_the_spring_forward_gap_moves_to_the_end_of_the_gap() -> None:
    at = local_to_utc(d("2026-03-08"), t("02:30"), NEW_YORK)

    assert at == utc(2026, 3, 8, 7, 0)
    assert at.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"


def test_lord_howes_half_hour_gap_moves_0215_to_0230() -> None:
    at = local_to_utc(d("2026-10-04"), t("02:15"), LORD_HOWE)

    assert at == utc(2026, 10, 3, 15, 30)
    assert at.astimezone(LORD_HOWE).isoformat() == "2026-10-04T02:30:00+11:00"


def test_a_time_that_happens_twice_is_its_first_occurrence() -> None:
    at = local_to_utc(d("2026-11-01"), t("01:30"), NEW_YORK)

    assert at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST (06:30 UTC)


def test_a_whole_skipped_day_moves_to_the_next_valid_minute() -> None:
    # Samoa jumped from 29 to 31 December 2011: 08:00 on the 30th never happened.
    apia = ZoneInfo("Pacific/Apia")
    at = local_to_utc(d("2011-12-30"), t("08:00"), apia)

    assert at.astimezone(apia).isoformat() == "2011-12-31T00:00:00+14:00"


def test_kolkatas_half_hour_offset() -> None:
    assert local_to_utc(d("2026-01-05"), t("08:00"), KOLKATA) == utc(2026, 1, 5, 2, 30)


# --- occurrences: basics -----------------------------------------------------------------


def test_twice_daily_for_a_week_in_london_in_winter() -> None:
    found = occurrences(plain("2026-01-05", "08:00", "20:00"), LONDON, utc(2026, 1, 5), utc(2026, 1, 12))

    expected = [utc(2026, 1, day, hour) for day in range(5, 12) for hour in (8, 20)]
    assert instants(found) == expected
    assert len(found) == 14
    assert all(occurrence.at.tzinfo is UTC for occurrence in found)
    assert {occurrence.local.strftime("%H:%M %Z") for occurrence in found} == {"08:00 GMT", "20:00 GMT"}


def test_twice_daily_for_a_week_in_london_in_summer_is_an_hour_earlier_in_utc() -> None:
    found = occurrences(plain("2026-06-01", "08:00", "20:00"), LONDON, utc(2026, 6, 1), utc(2026, 6, 8))

    assert instants(found) == [utc(2026, 6, day, hour) for day in range(1, 8) for hour in (7, 19)]
    assert {occurrence.local.strftime("%H:%M %Z") for occurrence in found} == {"08:00 BST", "20:00 BST"}


def test_an_occurrence_carries_its_step_and_dosage() -> None:
    schedule = Schedule(start_date=d("2026-01-05"), steps=(step("08:00", dosage="1 tablet"),))

    (found,) = occurrences(schedule, ZONE_UTC, utc(2026, 1, 5), utc(2026, 1, 6))

    assert found == Occurrence(
        at=utc(2026, 1, 5, 8),
        local=datetime.datetime(2026, 1, 5, 8, tzinfo=ZONE_UTC),
        step=0,
        dosage="1 tablet",
    )


@pytest.mark.parametrize(
    ("zone", "change", "before_utc", "on_utc", "after_utc"),
    [
        # Spring forward: 08:00 local comes an hour (Lord Howe: half an hour) earlier in UTC.
        ("America/New_York", "2026-03-08", (2026, 3, 7, 13, 0), (2026, 3, 8, 12, 0), (2026, 3, 9, 12, 0)),
        ("Europe/London", "2026-03-29", (2026, 3, 28, 8, 0), (2026, 3, 29, 7, 0), (2026, 3, 30, 7, 0)),
        (
            "Australia/Lord_Howe",
            "2026-10-04",
            (2026, 10, 2, 21, 30),
            (2026, 10, 3, 21, 0),
            (2026, 10, 4, 21, 0),
        ),
        # Fall back: an hour (half an hour) later in UTC.
        ("America/New_York", "2026-11-01", (2026, 10, 31, 12, 0), (2026, 11, 1, 13, 0), (2026, 11, 2, 13, 0)),
        ("Europe/London", "2026-10-25", (2026, 10, 24, 7, 0), (2026, 10, 25, 8, 0), (2026, 10, 26, 8, 0)),
        (
            "Australia/Lord_Howe",
            "2026-04-05",
            (2026, 4, 3, 21, 0),
            (2026, 4, 4, 21, 30),
            (2026, 4, 5, 21, 30),
        ),
    ],
)
def test_0800_stays_0800_local_across_daylight_saving_changes(
    zone: str, change: str, before_utc: tuple, on_utc: tuple, after_utc: tuple
) -> None:
    tz = ZoneInfo(zone)
    day = d(change)
    schedule = plain("2026-01-01", "08:00")
    window_start = local_to_utc(day - datetime.timedelta(days=1), t("00:00"), tz)
    window_end = local_to_utc(day + datetime.timedelta(days=2), t("00:00"), tz)

    found = occurrences(schedule, tz, window_start, window_end)

    assert instants(found) == [utc(*before_utc), utc(*on_utc), utc(*after_utc)]
    assert [occurrence.local.replace(tzinfo=None) for occurrence in found] == [
        datetime.datetime.combine(day + datetime.timedelta(days=offset), t("08:00")) for offset in (-1, 0, 1)
    ]


def test_a_dose_in_the_gap_comes_at_the_end_of_the_gap_on_that_day_only() -> None:
    found = occurrences(plain("2026-03-07", "02:30"), NEW_YORK, utc(2026, 3, 7), utc(2026, 3, 10))

    assert local_strings(found) == [
        "2026-03-07 02:30 -0500",
        "2026-03-08 03:00 -0400",
        "2026-03-09 02:30 -0400",
    ]
    assert found[1].at == utc(2026, 3, 8, 7, 0)


def test_lord_howe_0215_on_its_spring_forward_day_is_0230() -> None:
    found = occurrences(plain("2026-10-03", "02:15"), LORD_HOWE, utc(2026, 10, 2), utc(2026, 10, 5))

    assert local_strings(found) == [
        "2026-10-03 02:15 +1030",
        "2026-10-04 02:30 +1100",
        "2026-10-05 02:15 +1100",
    ]


def test_times_moved_onto_the_same_instant_are_one_dose() -> None:
    # 02:00 and 02:30 do not exist that day; both become 03:00 EDT, which is also listed.
    schedule = plain("2026-03-08", "02:00", "02:30", "03:00", "09:00")

    found = occurrences(schedule, NEW_YORK, utc(2026, 3, 8), utc(2026, 3, 9))

    assert instants(found) == [utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 13, 0)]


def test_a_dose_moved_past_midnight_is_found_from_a_window_starting_that_day() -> None:
    # Samoa skipped 2011-12-30: its 08:00 dose comes at 00:00 on the 31st, which starts the window.
    apia = ZoneInfo("Pacific/Apia")
    window_start = datetime.datetime(2011, 12, 31, tzinfo=apia)

    found = occurrences(
        plain("2011-12-28", "08:00"), apia, window_start, window_start + datetime.timedelta(hours=12)
    )

    assert local_strings(found) == ["2011-12-31 00:00 +1400", "2011-12-31 08:00 +1400"]
    assert instants(found) == [utc(2011, 12, 30, 10), utc(2011, 12, 30, 18)]


def test_a_time_that_happens_twice_gives_one_dose_the_first() -> None:
    found = occurrences(plain("2026-10-31", "01:30"), NEW_YORK, utc(2026, 11, 1), utc(2026, 11, 2))

    assert instants(found) == [utc(2026, 11, 1, 5, 30)]
    assert local_strings(found) == ["2026-11-01 01:30 -0400"]


def test_kolkata_0800_is_0230_utc() -> None:
    found = occurrences(plain("2026-01-05", "08:00"), KOLKATA, utc(2026, 1, 5), utc(2026, 1, 7))

    assert instants(found) == [utc(2026, 1, 5, 2, 30), utc(2026, 1, 6, 2, 30)]


def test_a_patient_who_moves_gets_local_time_or_keeps_home_time_by_the_zone_given() -> None:
    # Started in Berlin, now living in Los Angeles (winter: Berlin UTC+1, Los Angeles UTC-8).
    schedule = plain("2026-01-10", "08:00")
    window = (utc(2026, 1, 20), utc(2026, 1, 22))

    follows_the_patient = occurrences(schedule, LOS_ANGELES, *window)
    home_time = occurrences(schedule, BERLIN, *window)

    assert instants(follows_the_patient) == [utc(2026, 1, 20, 16), utc(2026, 1, 21, 16)]
    assert local_strings(follows_the_patient) == ["2026-01-20 08:00 -0800", "2026-01-21 08:00 -0800"]
    assert instants(home_time) == [utc(2026, 1, 20, 7), utc(2026, 1, 21, 7)]
    assert local_strings(home_time) == ["2026-01-20 08:00 +0100", "2026-01-21 08:00 +0100"]


# --- occurrences: repeat kinds -----------------------------------------------------------


def test_weekdays_only_on_those_weekdays() -> None:
    schedule = plain(
        "2026-01-01", "09:00", repeat=Repeat("weekdays", weekdays=(0, 2, 4))
    )  # 2026-01-01 is Thu

    found = occurrences(schedule, ZONE_UTC, utc(2026, 1, 1), utc(2026, 1, 15))

    assert [occurrence.local.strftime("%a %d") for occurrence in found] == [
        "Fri 02",
        "Mon 05",
        "Wed 07",
        "Fri 09",
        "Mon 12",
        "Wed 14",
    ]
    assert {occurrence.local.time() for occurrence in found} == {t("09:00")}


def test_every_2_days_counts_from_the_start_date() -> None:
    schedule = plain("2026-01-02", "08:00", "20:00", repeat=Repeat("every_n_days", every=2))

    found = occurrences(schedule, ZONE_UTC, utc(2026, 1, 1), utc(2026, 1, 11))

    assert instants(found) == [utc(2026, 1, day, hour) for day in (2, 4, 6, 8, 10) for hour in (8, 20)]


def test_every_n_days_keeps_its_rhythm_when_the_window_starts_later() -> None:
    schedule = plain("2026-01-02", "08:00", repeat=Repeat("every_n_days", every=3))

    found = occurrences(schedule, ZONE_UTC, utc(2026, 3, 1), utc(2026, 3, 10))

    # 2026-01-02 + 3k: ... 2026-02-28 (k=19), 03-03, 03-06, 03-09.
    assert instants(found) == [utc(2026, 3, 3, 8), utc(2026, 3, 6, 8), utc(2026, 3, 9, 8)]


def test_every_8_hours_from_0600_stays_on_the_clock_across_dst() -> None:
    schedule = plain("2026-03-07", "06:00", repeat=Repeat("every_n_hours", every=8))

    found = occurrences(schedule, NEW_YORK, utc(2026, 3, 7), utc(2026, 3, 10, 5))

    assert local_strings(found) == [
        "2026-03-07 06:00 -0500",
        "2026-03-07 14:00 -0500",
        "2026-03-07 22:00 -0500",
        "2026-03-08 06:00 -0400",
        "2026-03-08 14:00 -0400",
        "2026-03-08 22:00 -0400",
        "2026-03-09 06:00 -0400",
        "2026-03-09 14:00 -0400",
        "2026-03-09 22:00 -0400",
    ]
    # Across the change the night gap is 7 hours of real time, not 8.
    assert found[3].at - found[2].at == datetime.timedelta(hours=7)


def test_every_6_hours_wraps_round_the_clock_but_starts_at_the_start_time() -> None:
    schedule = plain("2026-01-05", "06:00", repeat=Repeat("every_n_hours", every=6))

    found = occurrences(schedule, ZONE_UTC, utc(2026, 1, 1), utc(2026, 1, 7))

    assert instants(found) == [
        utc(2026, 1, 5, 6),
        utc(2026, 1, 5, 12),
        utc(2026, 1, 5, 18),
        utc(2026, 1, 6, 0),
        utc(2026, 1, 6, 6),
        utc(2026, 1, 6, 12),
        utc(2026, 1, 6, 18),
    ]


def test_every_12_hours_from_2000_is_twice_a_day() -> None:
    schedule = plain("2026-01-05", "20:00", repeat=Repeat("every_n_hours", every=12))

    found = occurrences(schedule, ZONE_UTC, utc(2026, 1, 5), utc(2026, 1, 7))

    assert instants(found) == [utc(2026, 1, 5, 20), utc(2026, 1, 6, 8), utc(2026, 1, 6, 20)]


def test_every_5_hours_is_elapsed_time_across_a_dst_change() -> None:
    schedule = plain("2026-03-07", "08:00", repeat=Repeat("every_n_hours", every=5), duration_days=2)

    found = occurrences(schedule, NEW_YORK, utc(2026, 3, 1), utc(2026, 3, 20))

    assert local_strings(found) == [
        "2026-03-07 08:00 -0500",
        "2026-03-07 13:00 -0500",
        "2026-03-07 18:00 -0500",
        "2026-03-07 23:00 -0500",
        "2026-03-08 05:00 -0400",  # 04:00 EST would be 5 hours later; the clocks went forward
        "2026-03-08 10:00 -0400",
        "2026-03-08 15:00 -0400",
        "2026-03-08 20:00 -0400",
        # 2026-03-09 01:00 is after the step ends at local midnight.
    ]
    gaps = {later.at - earlier.at for earlier, later in itertools.pairwise(found)}
    assert gaps == {datetime.timedelta(hours=5)}


def test_every_5_hours_jumps_into_a_late_window_on_the_same_series() -> None:
    schedule = plain("2026-01-01", "00:00", repeat=Repeat("every_n_hours", every=5))

    found = occurrences(schedule, ZONE_UTC, utc(2026, 2, 1), utc(2026, 2, 1, 12))

    # 31 days = 744 h from the start; the series is at multiples of 5 h: 745, 750, 755 h.
    assert instants(found) == [utc(2026, 2, 1, 1), utc(2026, 2, 1, 6), utc(2026, 2, 1, 11)]


def test_a_21_on_7_off_cycle() -> None:
    schedule = plain("2026-01-01", "08:00", repeat=Repeat("cycle", on_days=21, off_days=7))

    found = occurrences(schedule, ZONE_UTC, utc(2026, 1, 1), utc(2026, 2, 10))

    offsets = [(occurrence.local.date() - d("2026-01-01")).days for occurrence in found]
    assert offsets == [*range(0, 21), *range(28, 40)]
    assert 20 in offsets
    assert 21 not in offsets
    assert 27 not in offsets
    assert 28 in offsets


# --- occurrences: ends, counts, steps ----------------------------------------------------


def test_start_and_end_dates_are_inclusive() -> None:
    schedule = plain("2026-01-05", "08:00", end_date=d("2026-01-07"))

    found = occurrences(schedule, ZONE_UTC, utc(2026, 1, 1), utc(2026, 2, 1))

    assert instants(found) == [utc(2026, 1, 5, 8), utc(2026, 1, 6, 8), utc(2026, 1, 7, 8)]


def test_duration_days_counts_the_start_day() -> None:
    schedule = plain("2026-01-05", "08:00", "23:30", duration_days=2)

    found = occurrences(schedule, NEW_YORK, utc(2026, 1, 1), utc(2026, 2, 1))

    assert local_strings(found) == [
        "2026-01-05 08:00 -0500",
        "2026-01-05 23:30 -0500",
        "2026-01-06 08:00 -0500",
        "2026-01-06 23:30 -0500",
    ]


def test_count_keeps_the_first_doses_from_the_start_date() -> None:
    schedule = plain("2026-01-05", "08:00", "20:00", count=5)

    everything = occurrences(schedule, ZONE_UTC, utc(2026, 1, 1), utc(2026, 2, 1))
    later_window = occurrences(schedule, ZONE_UTC, utc(2026, 1, 6), utc(2026, 2, 1))

    assert instants(everything) == [
        utc(2026, 1, 5, 8),
        utc(2026, 1, 5, 20),
        utc(2026, 1, 6, 8),
        utc(2026, 1, 6, 20),
        utc(2026, 1, 7, 8),
    ]
    # Counting starts at the start date, not at the window.
    assert instants(later_window) == [utc(2026, 1, 6, 8), utc(2026, 1, 6, 20), utc(2026, 1, 7, 8)]


def test_count_counts_merged_gap_doses_once() -> None:
    schedule = plain("2026-03-08", "02:00", "02:30", "09:00", count=3)

    found = occurrences(schedule, NEW_YORK, utc(2026, 3, 1), utc(2026, 4, 1))

    assert local_strings(found) == [
        "2026-03-08 03:00 -0400",
        "2026-03-08 09:00 -0400",
        "2026-03-09 02:00 -0400",
    ]


def test_tapering_40_mg_for_5_days_then_20_mg_for_5_days() -> None:
    found = occurrences(SHAPES["tapering 2"], LONDON, utc(2026, 1, 1), utc(2026, 2, 1))

    assert instants(found) == [utc(2026, 1, day, 8) for day in range(5, 15)]
    assert [occurrence.step for occurrence in found] == [0] * 5 + [1] * 5
    assert [occurrence.dosage for occurrence in found] == ["40 mg"] * 5 + ["20 mg"] * 5
    assert found[-1].local.date() == d("2026-01-14")


def test_tapering_steps_change_times_and_rhythm() -> None:
    found = occurrences(SHAPES["tapering 3"], ZONE_UTC, utc(2026, 1, 1), utc(2026, 1, 20))

    assert [(occurrence.local.strftime("%a %m-%d %H:%M"), occurrence.dosage) for occurrence in found] == [
        ("Mon 01-05 08:00", "20 mg"),
        ("Mon 01-05 20:00", "20 mg"),
        ("Tue 01-06 08:00", "20 mg"),
        ("Tue 01-06 20:00", "20 mg"),
        ("Wed 01-07 08:00", "20 mg"),
        ("Wed 01-07 20:00", "20 mg"),
        ("Thu 01-08 08:00", "10 mg"),  # every 2 days from the step's own first day
        ("Sat 01-10 08:00", "10 mg"),
        ("Mon 01-12 08:00", "5 mg"),  # Mondays and Thursdays, open-ended
        ("Thu 01-15 08:00", "5 mg"),
        ("Mon 01-19 08:00", "5 mg"),
    ]


def test_the_end_date_cuts_an_open_last_step() -> None:
    found = occurrences(SHAPES["tapering 3"], ZONE_UTC, utc(2026, 2, 20), utc(2026, 4, 1))

    assert [occurrence.local.strftime("%a %m-%d") for occurrence in found] == ["Mon 02-23", "Thu 02-26"]


def test_an_as_needed_medication_has_no_scheduled_doses() -> None:
    assert occurrences(SHAPES["as needed with limit"], LONDON, utc(2026, 1, 1), utc(2027, 1, 1)) == []


def test_nothing_before_the_start_date() -> None:
    found = occurrences(plain("2026-01-05", "08:00"), ZONE_UTC, utc(2025, 12, 1), utc(2026, 1, 6))

    assert instants(found) == [utc(2026, 1, 5, 8)]


# --- occurrences: the window -------------------------------------------------------------


def test_the_window_includes_its_start_and_excludes_its_end() -> None:
    schedule = plain("2026-01-05", "08:00", "20:00")

    found = occurrences(schedule, ZONE_UTC, utc(2026, 1, 5, 8), utc(2026, 1, 6, 8))

    assert instants(found) == [utc(2026, 1, 5, 8), utc(2026, 1, 5, 20)]


def test_the_window_can_be_given_in_any_zone() -> None:
    schedule = plain("2026-01-05", "08:00")
    start = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN)  # = 08:00 UTC

    assert instants(occurrences(schedule, ZONE_UTC, start, start + datetime.timedelta(minutes=1))) == [
        utc(2026, 1, 5, 8)
    ]


def test_an_empty_or_backwards_window_has_nothing() -> None:
    schedule = plain("2026-01-05", "08:00")

    assert occurrences(schedule, ZONE_UTC, utc(2026, 1, 5, 8), utc(2026, 1, 5, 8)) == []
    assert occurrences(schedule, ZONE_UTC, utc(2026, 1, 9), utc(2026, 1, 5)) == []


def test_a_naive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        occurrences(plain("2026-01-05", "08:00"), ZONE_UTC, datetime.datetime(2026, 1, 5), utc(2026, 1, 6))


def test_a_schedule_with_problems_is_refused() -> None:
    with pytest.raises(ScheduleError, match=r"^08:00 is listed twice\.$"):
        occurrences(plain("2026-01-05", "08:00", "08:00"), ZONE_UTC, utc(2026, 1, 5), utc(2026, 1, 6))


def _function_calls(work) -> tuple[object, int, int]:
    """What work() returns, the Python function calls it made and how many of them were local_to_utc.

    A count of work, not a stopwatch: it does not depend on how busy the machine is.
    """
    profile = cProfile.Profile()
    result = profile.runcall(work)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    conversions = sum(
        row[1]
        for (path, _, name), row in stats.items()
        if name == "local_to_utc" and path.endswith("schedule.py")
    )
    return result, sum(row[1] for row in stats.values()), conversions


def test_a_week_of_a_schedule_started_three_years_ago_is_little_work() -> None:
    started = plain("2023-11-25", "08:00", "20:00")
    counted = plain("2023-11-25", "08:00", "20:00", count=10_000)
    window = (utc(2026, 11, 25), utc(2026, 12, 2))
    days_since_start = (window[1].date() - datetime.date(2023, 11, 25)).days  # 1,103

    found, calls, conversions = _function_calls(lambda: occurrences(started, LONDON, *window))
    assert len(found) == 14
    # Open-ended: straight to the window, so only its days (and one either side) are walked.
    assert conversions <= 2 * (7 + 3)
    assert calls < 500

    found, calls, conversions = _function_calls(lambda: occurrences(counted, LONDON, *window))
    assert len(found) == 14
    # `count` counts from the first dose, so every day since the start is walked: two doses a
    # day, each converted once. A walk minute by minute would be 720 times as many.
    assert 2 * days_since_start <= conversions <= 2 * (days_since_start + 3)
    assert calls < 25 * days_since_start  # about 17 a day now


# --- properties --------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",  # changes at midnight
    "Australia/Lord_Howe",  # 30-minute change
    "Asia/Kolkata",
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped a whole day in 2011
]
# Times near the usual changes, so gaps and repeats come up often.
TRICKY_TIMES = [
    t(at) for at in ("00:00", "00:30", "01:00", "01:30", "02:00", "02:15", "02:30", "02:45", "03:00")
]

times_strategy = st.lists(
    st.one_of(
        st.sampled_from(TRICKY_TIMES),
        st.builds(datetime.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    ),
    min_size=1,
    max_size=4,
    unique=True,
).map(lambda times: tuple(sorted(times)))
wall_clock_repeats = st.one_of(
    st.just(Repeat("daily")),
    st.sets(st.integers(0, 6), min_size=1).map(lambda days: Repeat("weekdays", weekdays=tuple(sorted(days)))),
    st.integers(1, 10).map(lambda every: Repeat("every_n_days", every=every)),
    st.tuples(st.integers(1, 30), st.integers(1, 10)).map(
        lambda c: Repeat("cycle", on_days=c[0], off_days=c[1])
    ),
)
wall_clock_steps = st.builds(
    Step, times=times_strategy, repeat=wall_clock_repeats, dosage=st.sampled_from(["", "5 mg"])
)
hours_steps = st.builds(
    Step,
    times=st.builds(datetime.time, st.integers(0, 23), st.sampled_from([0, 30])).map(lambda at: (at,)),
    repeat=st.sampled_from([1, 3, 5, 6, 7, 8, 12, 24, 36]).map(
        lambda every: Repeat("every_n_hours", every=every)
    ),
)


@st.composite
def schedules(draw: st.DrawFn, *, with_hours: bool = False) -> Schedule:
    step_strategy = st.one_of(wall_clock_steps, hours_steps) if with_hours else wall_clock_steps
    steps = draw(st.lists(step_strategy, min_size=1, max_size=3))
    # Every step but the last needs a length; the last may have one.
    lengths = [draw(st.integers(1, 40)) for _ in steps[:-1]] + [draw(st.none() | st.integers(1, 40))]
    steps = [Step(s.times, s.repeat, days, s.dosage) for s, days in zip(steps, lengths, strict=True)]
    start = draw(st.dates(datetime.date(2011, 1, 1), datetime.date(2028, 12, 31)))
    end = draw(st.sampled_from(["none", "end_date", "duration"]))
    return Schedule(
        start_date=start,
        steps=tuple(steps),
        end_date=start + datetime.timedelta(days=draw(st.integers(0, 200))) if end == "end_date" else None,
        duration_days=draw(st.integers(1, 200)) if end == "duration" else None,
        count=draw(st.none() | st.integers(1, 300)),
    )


@st.composite
def windows(draw: st.DrawFn, schedule: Schedule) -> tuple[datetime.datetime, datetime.datetime]:
    first = datetime.datetime.combine(schedule.start_date, datetime.time(), tzinfo=UTC)
    start = first + datetime.timedelta(minutes=draw(st.integers(-3 * 1440, 150 * 1440)))
    return start, start + datetime.timedelta(minutes=draw(st.integers(0, 20 * 1440)))


def _exists(day: datetime.date, at: datetime.time, zone: ZoneInfo) -> bool:
    naive = datetime.datetime.combine(day, at)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, database=None)


@PROPERTY_SETTINGS
@given(data=st.data(), schedule=schedules(with_hours=True), zone_name=st.sampled_from(ZONES))
def test_property_doses_are_sorted_unique_in_the_window_and_split_windows_agree(
    data: st.DataObject, schedule: Schedule, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    start, end = data.draw(windows(schedule))
    found = occurrences(schedule, zone, start, end)

    ats = instants(found)
    assert ats == sorted(ats)
    assert len(set(ats)) == len(ats)
    assert all(start <= at < end for at in ats)
    # Compare in UTC: an aware time in the repeated hour (fold=1) never equals one in another zone.
    assert all(occurrence.at.tzinfo is UTC for occurrence in found)
    assert all(occurrence.local.astimezone(UTC) == occurrence.at for occurrence in found)
    assert all(occurrence.local.tzinfo is zone for occurrence in found)

    middle = start + (end - start) * data.draw(st.floats(0, 1))
    middle = middle.replace(microsecond=0)
    assert occurrences(schedule, zone, start, middle) + occurrences(schedule, zone, middle, end) == found


@PROPERTY_SETTINGS
@given(data=st.data(), schedule=schedules(), zone_name=st.sampled_from(ZONES))
def test_property_local_times_are_the_scheduled_times_except_out_of_a_gap(
    data: st.DataObject, schedule: Schedule, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    found = occurrences(schedule, zone, *data.draw(windows(schedule)))

    for occurrence in found:
        times = schedule.steps[occurrence.step].times
        local = occurrence.local.replace(tzinfo=None)
        if local.time() in times:
            continue
        # Otherwise it was a time that did not exist, moved to the end of its gap.
        moved_from = [
            (day, at)
            for day in (local.date(), local.date() - datetime.timedelta(days=1))
            for at in times
            if not _exists(day, at, zone) and local_to_utc(day, at, zone) == occurrence.at
        ]
        assert moved_from, f"{local} is not one of {times} in {zone_name}"


@PROPERTY_SETTINGS
@given(data=st.data(), schedule=schedules(with_hours=True), zone_name=st.sampled_from(ZONES))
def test_property_jumping_to_the_window_gives_what_walking_from_the_start_gives(
    data: st.DataObject, schedule: Schedule, zone_name: str
) -> None:
    # A count too big to reach makes occurrences() walk from the start date instead of jumping.
    zone = ZoneInfo(zone_name)
    uncounted = dataclasses.replace(schedule, count=None)
    walked = dataclasses.replace(schedule, count=MAX_COUNT)
    window = data.draw(windows(schedule))

    assert occurrences(uncounted, zone, *window) == occurrences(walked, zone, *window)


@PROPERTY_SETTINGS
@given(schedule=schedules(with_hours=True), zone_name=st.sampled_from(ZONES), count=st.integers(1, 50))
def test_property_count_keeps_a_prefix(schedule: Schedule, zone_name: str, count: int) -> None:
    zone = ZoneInfo(zone_name)
    start = datetime.datetime.combine(schedule.start_date, datetime.time(), tzinfo=UTC) - datetime.timedelta(
        days=2
    )
    end = start + datetime.timedelta(days=60)
    uncounted = occurrences(dataclasses.replace(schedule, count=None), zone, start, end)
    counted = occurrences(dataclasses.replace(schedule, count=count), zone, start, end)

    assert counted == uncounted[:count]


@PROPERTY_SETTINGS
@given(
    day=st.dates(datetime.date(2000, 1, 1), datetime.date(2037, 12, 31)),
    at=st.builds(datetime.time, st.integers(0, 23), st.integers(0, 59)),
    zone_name=st.sampled_from(ZONES),
)
def test_property_local_to_utc_is_the_wall_time_or_the_end_of_its_gap(
    day: datetime.date, at: datetime.time, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    naive = datetime.datetime.combine(day, at)

    instant = local_to_utc(day, at, zone)
    wall = instant.astimezone(zone).replace(tzinfo=None)

    assert instant.tzinfo is UTC
    if _exists(day, at, zone):
        assert wall == naive
        # The first of two occurrences: fold=0 is the earlier one.
        assert instant <= naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    else:
        assert wall > naive
        just_before = (instant - datetime.timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
        assert just_before < naive


@PROPERTY_SETTINGS
@given(schedule=schedules(with_hours=True) | st.just(SHAPES["as needed with limit"]))
def test_property_json_round_trip(schedule: Schedule) -> None:
    assert Schedule.from_json(json.loads(json.dumps(schedule.to_json()))) == schedule


def test_weekday_names_follow_date_weekday() -> None:
    assert WEEKDAYS[d("2026-01-05").weekday()] == "mon"
    assert WEEKDAYS[d("2026-01-11").weekday()] == "sun"
