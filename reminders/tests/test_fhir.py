"""FHIR R4 Dosage/Timing export of schedules (pure Python, no database)."""

from __future__ import annotations

import datetime
import json

import pytest

from reminders.fhir import (
    DURATION_DAYS_URL,
    END_DATE_URL,
    START_DATE_URL,
    TOTAL_COUNT_URL,
    UCUM,
    FhirExport,
    to_fhir,
)
from reminders.schedule import MaxPerPeriod, Repeat, Schedule, ScheduleError, Step


def t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def step(*times: str, repeat: Repeat | None = None, days: int | None = None, dosage: str = "") -> Step:
    return Step(
        times=tuple(t(at) for at in times), repeat=repeat or Repeat("daily"), days=days, dosage=dosage
    )


def plain(start: str, *times: str, repeat: Repeat | None = None, **fields) -> Schedule:
    return Schedule(start_date=d(start), steps=(step(*times, repeat=repeat),), **fields)


def repeat_of(export: FhirExport, index: int = 0) -> dict:
    return export.dosages[index]["timing"]["repeat"]


SUPPORTED = {
    "daily once": plain("2026-01-05", "08:00"),
    "daily three times": plain("2026-01-05", "08:00", "14:00", "22:00"),
    "with seconds": plain("2026-01-05", "08:00:30"),
    "weekdays": plain("2026-01-05", "09:00", "21:00", repeat=Repeat("weekdays", weekdays=(0, 2, 4))),
    "every 2 days": plain("2026-01-05", "08:00", "20:00", repeat=Repeat("every_n_days", every=2)),
    "every 8 hours": plain("2026-01-05", "06:00", repeat=Repeat("every_n_hours", every=8)),
    "every 5 hours": plain("2026-01-05", "07:30", repeat=Repeat("every_n_hours", every=5)),
    "cycle": plain("2026-01-05", "21:00", repeat=Repeat("cycle", on_days=21, off_days=7)),
    "end date": plain("2026-01-05", "08:00", end_date=d("2026-02-04")),
    "duration": plain("2026-01-05", "08:00", duration_days=10),
    "count": plain("2026-01-05", "08:00", "20:00", count=20),
    "everything on one step": plain(
        "2026-01-05",
        "08:00",
        repeat=Repeat("cycle", on_days=5, off_days=2),
        end_date=d("2026-06-30"),
        count=40,
    ),
    "step dosage": Schedule(start_date=d("2026-01-05"), steps=(step("08:00", dosage="2 puffs"),)),
    "tapering 2 steps": Schedule(
        start_date=d("2026-01-05"),
        steps=(step("08:00", days=5, dosage="40 mg"), step("08:00", days=5, dosage="20 mg")),
    ),
    "tapering 3 steps, open last step": Schedule(
        start_date=d("2026-01-05"),
        steps=(
            step("08:00", "20:00", days=3, dosage="20 mg"),
            step("08:00", days=4, dosage="10 mg", repeat=Repeat("every_n_days", every=2)),
            step("08:00", dosage="5 mg", repeat=Repeat("weekdays", weekdays=(0, 3))),
        ),
    ),
    "tapering, last step until an end date": Schedule(
        start_date=d("2026-01-05"),
        steps=(step("08:00", days=7, dosage="20 mg"), step("08:00", dosage="10 mg")),
        end_date=d("2026-03-01"),
    ),
    "tapering cut short by an end date": Schedule(
        start_date=d("2026-01-05"),
        steps=(step("08:00", days=7, dosage="20 mg"), step("08:00", days=7, dosage="10 mg")),
        end_date=d("2026-01-08"),
    ),
    "tapering with a cycle, a length and a count": Schedule(
        start_date=d("2026-01-05"),
        steps=(
            step("08:00", days=28, repeat=Repeat("cycle", on_days=21, off_days=7), dosage="40 mg"),
            step("08:00", repeat=Repeat("every_n_hours", every=12), dosage="20 mg"),
        ),
        duration_days=60,
        count=70,
    ),
    "as needed": Schedule(start_date=d("2026-01-05"), as_needed=True),
    "as needed with limit": Schedule(
        start_date=d("2026-01-05"), as_needed=True, max_per_period=MaxPerPeriod(count=4, hours=24)
    ),
    "as needed for 10 days, at most 20": Schedule(
        start_date=d("2026-01-05"),
        as_needed=True,
        duration_days=10,
        count=20,
        max_per_period=MaxPerPeriod(count=2, hours=6),
    ),
    "as needed until an end date": Schedule(
        start_date=d("2026-01-05"), as_needed=True, end_date=d("2026-01-31")
    ),
}


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", SUPPORTED.values(), ids=SUPPORTED.keys())
def test_it_exports_every_supported_shape_as_plain_json(schedule: Schedule) -> None:
    exported = to_fhir(schedule, instructions="Take with water.")

    assert json.loads(json.dumps(exported.dosages)) == exported.dosages
    assert all(dosage["patientInstruction"] == "Take with water." for dosage in exported.dosages)


def test_a_lone_step_with_days_comes_back_as_the_same_length_of_schedule() -> None:
    schedule = Schedule(start_date=d("2026-01-05"), steps=(step("08:00", days=5),))

    exported = to_fhir(schedule)

    assert repeat_of(exported)["boundsDuration"] == {"value": 5, "unit": "days", "system": UCUM, "code": "d"}


def test_the_step_dosage_wins_over_the_medication_dosage() -> None:
    exported = to_fhir(SUPPORTED["step dosage"], dosage="1 tablet")

    assert exported.dosages[0]["text"] == "2 puffs"


# --- exact exports -----------------------------------------------------------------------


def test_twice_daily_with_a_start_and_end_date() -> None:
    schedule = plain("2026-01-05", "20:00", "08:00", end_date=d("2026-02-04"))

    exported = to_fhir(schedule, dosage="1 tablet", instructions="Take with food.")

    assert exported == FhirExport(
        dosages=[
            {
                "sequence": 1,
                "text": "1 tablet",
                "patientInstruction": "Take with food.",
                "timing": {
                    "repeat": {
                        "frequency": 2,
                        "period": 1,
                        "periodUnit": "d",
                        "timeOfDay": ["08:00:00", "20:00:00"],
                        "boundsPeriod": {"start": "2026-01-05", "end": "2026-02-04"},
                    }
                },
            }
        ],
        notes=[],
    )


def test_as_needed_at_most_4_in_24_hours() -> None:
    exported = to_fhir(SUPPORTED["as needed with limit"], dosage="1 tablet")

    assert exported == FhirExport(
        dosages=[
            {
                "text": "1 tablet",
                "timing": {"repeat": {"boundsPeriod": {"start": "2026-01-05"}}},
                "asNeededBoolean": True,
                "maxDosePerPeriod": {
                    "numerator": {"value": 4},
                    "denominator": {"value": 24, "unit": "h", "system": UCUM, "code": "h"},
                },
            }
        ],
        notes=[],
    )


def test_the_repeat_for_each_kind() -> None:
    def rhythm(name: str) -> dict:
        return {
            key: value for key, value in repeat_of(to_fhir(SUPPORTED[name])).items() if key != "boundsPeriod"
        }

    assert rhythm("weekdays") == {
        "frequency": 2,
        "period": 1,
        "periodUnit": "d",
        "timeOfDay": ["09:00:00", "21:00:00"],
        "dayOfWeek": ["mon", "wed", "fri"],
    }
    assert rhythm("every 2 days") == {
        "frequency": 2,
        "period": 2,
        "periodUnit": "d",
        "timeOfDay": ["08:00:00", "20:00:00"],
    }
    assert rhythm("every 8 hours") == {
        "frequency": 1,
        "period": 8,
        "periodUnit": "h",
        "timeOfDay": ["06:00:00"],
    }
    assert rhythm("count")["count"] == 20


def test_a_cycle_is_daily_doses_with_the_cycle_in_an_extension_and_a_note() -> None:
    exported = to_fhir(SUPPORTED["cycle"])

    assert repeat_of(exported) == {
        "extension": [
            {
                "url": "https://adhere.example.org/fhir/StructureDefinition/dose-cycle",
                "extension": [{"url": "onDays", "valueInteger": 21}, {"url": "offDays", "valueInteger": 7}],
            }
        ],
        "frequency": 1,
        "period": 1,
        "periodUnit": "d",
        "timeOfDay": ["21:00:00"],
        "boundsPeriod": {"start": "2026-01-05"},
    }
    assert exported.notes == [
        "The 21 days on, 7 days off cycle is exported as daily doses, with the cycle in an Adhere extension;"
        " other systems will see daily doses."
    ]


def test_a_length_in_days_uses_bounds_duration_with_the_start_in_an_extension() -> None:
    exported = to_fhir(SUPPORTED["duration"])

    # bounds[x] is a choice: boundsPeriod and boundsDuration cannot both be there.
    assert repeat_of(exported) == {
        "frequency": 1,
        "period": 1,
        "periodUnit": "d",
        "timeOfDay": ["08:00:00"],
        "extension": [{"url": START_DATE_URL, "valueDate": "2026-01-05"}],
        "boundsDuration": {"value": 10, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
    }
    assert exported.notes == [
        "The start date (2026-01-05) is in an Adhere extension, because FHIR Timing cannot give both a start"
        " date and a number of days; other systems will see 10 days with no start date."
    ]


def test_tapering_is_one_dosage_per_step_in_sequence() -> None:
    exported = to_fhir(SUPPORTED["tapering 3 steps, open last step"], dosage="ignored when steps have one")

    assert [dosage["sequence"] for dosage in exported.dosages] == [1, 2, 3]
    assert [dosage["text"] for dosage in exported.dosages] == ["20 mg", "10 mg", "5 mg"]
    # The first step has its dates (which carries the start); later ones their length.
    assert repeat_of(exported, 0)["boundsPeriod"] == {"start": "2026-01-05", "end": "2026-01-07"}
    assert repeat_of(exported, 1)["boundsDuration"] == {
        "value": 4,
        "unit": "days",
        "system": UCUM,
        "code": "d",
    }
    assert "boundsDuration" not in repeat_of(exported, 2)
    assert "boundsPeriod" not in repeat_of(exported, 2)
    assert exported.notes == []


def test_tapering_whose_open_last_step_runs_to_the_end_date_says_so_in_standard_elements() -> None:
    exported = to_fhir(SUPPORTED["tapering, last step until an end date"])

    assert repeat_of(exported, 1)["boundsPeriod"] == {"start": "2026-01-12", "end": "2026-03-01"}
    assert exported.notes == []


def test_limits_of_a_whole_tapering_schedule_go_in_extensions_with_notes() -> None:
    exported = to_fhir(SUPPORTED["tapering with a cycle, a length and a count"])

    assert repeat_of(exported, 0)["extension"][1:] == [
        {"url": DURATION_DAYS_URL, "valueInteger": 60},
        {"url": TOTAL_COUNT_URL, "valueInteger": 70},
    ]
    assert exported.notes[1:] == [
        "The length of the whole tapering schedule (60 days) is in an Adhere extension;"
        " other systems will see only each step's own length.",
        "The limit of 70 doses in total across the steps is in an Adhere extension;"
        " other systems will not see it.",
    ]
    cut = to_fhir(SUPPORTED["tapering cut short by an end date"])
    assert repeat_of(cut, 0)["extension"] == [{"url": END_DATE_URL, "valueDate": "2026-01-08"}]


def test_export_refuses_a_schedule_with_problems() -> None:
    with pytest.raises(ScheduleError, match=r"^08:00 is listed twice\.$"):
        to_fhir(plain("2026-01-05", "08:00", "08:00"))
