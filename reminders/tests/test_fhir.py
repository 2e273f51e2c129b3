"""FHIR R4 Dosage/Timing export and import of schedules (pure Python, no database)."""

from __future__ import annotations

import copy
import datetime
import json
import re

import pytest

from reminders.fhir import (
    CYCLE_URL,
    DURATION_DAYS_URL,
    END_DATE_URL,
    START_DATE_URL,
    TOTAL_COUNT_URL,
    UCUM,
    FhirExport,
    from_fhir,
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
def test_it_reads_back_what_it_exports(schedule: Schedule) -> None:
    exported = to_fhir(schedule, instructions="Take with water.")
    sent = json.loads(json.dumps(exported.dosages))  # it is plain JSON

    assert from_fhir(sent) == schedule


def test_a_lone_step_with_days_comes_back_as_the_same_length_of_schedule() -> None:
    schedule = Schedule(start_date=d("2026-01-05"), steps=(step("08:00", days=5),))

    exported = to_fhir(schedule)

    assert repeat_of(exported)["boundsDuration"] == {"value": 5, "unit": "days", "system": UCUM, "code": "d"}
    assert from_fhir(exported.dosages) == plain("2026-01-05", "08:00", duration_days=5)


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


# --- hand-written FHIR -------------------------------------------------------------------


def dosage(repeat: dict, **elements) -> list[dict]:
    return [{"timing": {"repeat": repeat}, **elements}]


def in_sequence(sequence: int, repeat: dict, **elements) -> dict:
    return {"sequence": sequence, "timing": {"repeat": repeat}, **elements}


@pytest.mark.parametrize(
    ("dosages", "expected"),
    [
        (
            dosage(
                {
                    "frequency": 2,
                    "period": 1,
                    "periodUnit": "d",
                    "timeOfDay": ["20:00:00", "08:00:00"],
                    "boundsPeriod": {"start": "2026-01-05"},
                },
                text="500 mg",
            ),
            Schedule(start_date=d("2026-01-05"), steps=(step("08:00", "20:00", dosage="500 mg"),)),
        ),
        (
            # Only times of day: every day. FHIR decimals and HH:MM are fine.
            dosage(
                {
                    "timeOfDay": ["08:00"],
                    "period": 1.0,
                    "periodUnit": "d",
                    "boundsPeriod": {"start": "2026-01-05"},
                }
            ),
            plain("2026-01-05", "08:00"),
        ),
        (
            dosage(
                {
                    "frequency": 2,
                    "period": 1,
                    "periodUnit": "wk",
                    "dayOfWeek": ["thu", "mon"],
                    "timeOfDay": ["09:00:00"],
                    "boundsPeriod": {"start": "2026-01-05T08:00:00+01:00", "end": "2026-03-31"},
                }
            ),
            plain(
                "2026-01-05", "09:00", repeat=Repeat("weekdays", weekdays=(0, 3)), end_date=d("2026-03-31")
            ),
        ),
        (
            dosage(
                {
                    "frequency": 1,
                    "period": 1,
                    "periodUnit": "d",
                    "dayOfWeek": ["sat"],
                    "timeOfDay": ["10:00:00"],
                    "boundsPeriod": {"start": "2026-01-05"},
                }
            ),
            plain("2026-01-05", "10:00", repeat=Repeat("weekdays", weekdays=(5,))),
        ),
        (
            # Once a week with no weekday: every 7 days from the start.
            dosage(
                {
                    "frequency": 1,
                    "period": 1,
                    "periodUnit": "wk",
                    "timeOfDay": ["08:00:00"],
                    "boundsPeriod": {"start": "2026-01-05"},
                }
            ),
            plain("2026-01-05", "08:00", repeat=Repeat("every_n_days", every=7)),
        ),
        (
            dosage(
                {
                    "frequency": 1,
                    "period": 6,
                    "periodUnit": "h",
                    "timeOfDay": ["06:00:00"],
                    "boundsDuration": {"value": 2, "unit": "wk"},
                    "count": 50,
                    "boundsPeriod": {"start": "2026-01-05"},  # not FHIR (bounds[x] twice) but clear enough
                }
            ),
            plain("2026-01-05", "06:00", repeat=Repeat("every_n_hours", every=6), duration_days=14, count=50),
        ),
        (
            # As needed for a reason, at most 3 a day; other elements and extensions are skipped.
            [
                {
                    "text": "1-2 tablets",
                    "asNeededCodeableConcept": {"text": "pain"},
                    "route": {"text": "oral"},
                    "doseAndRate": [{"doseQuantity": {"value": 1}}],
                    "maxDosePerPeriod": {
                        "numerator": {"value": 3, "unit": "doses"},
                        "denominator": {"value": 1, "unit": "day", "code": "d", "system": UCUM},
                    },
                    "extension": [{"url": "https://example.org/other", "valueString": "x"}],
                }
            ],
            Schedule(
                start_date=d("2026-02-01"), as_needed=True, max_per_period=MaxPerPeriod(count=3, hours=24)
            ),
        ),
        (
            # Tapering in any order of sequence, lengths in days or weeks, the first with its dates.
            [
                {
                    "sequence": 2,
                    "text": "20 mg",
                    "timing": {
                        "repeat": {"timeOfDay": ["08:00:00"], "boundsDuration": {"value": 1, "code": "wk"}}
                    },
                },
                {
                    "sequence": 1,
                    "text": "40 mg",
                    "timing": {
                        "repeat": {
                            "frequency": 1,
                            "period": 1,
                            "periodUnit": "d",
                            "timeOfDay": ["08:00:00"],
                            "boundsPeriod": {"start": "2026-01-05", "end": "2026-01-09"},
                        }
                    },
                },
                {"sequence": 3, "text": "10 mg", "timing": {"repeat": {"timeOfDay": ["08:00:00"]}}},
            ],
            Schedule(
                start_date=d("2026-01-05"),
                steps=(
                    step("08:00", days=5, dosage="40 mg"),
                    step("08:00", days=7, dosage="20 mg"),
                    step("08:00", dosage="10 mg"),
                ),
            ),
        ),
        (
            # The shape first sketched for tapering: boundsDuration with boundsPeriod.start beside it.
            [
                {
                    "sequence": 1,
                    "timing": {
                        "repeat": {
                            "timeOfDay": ["08:00:00"],
                            "boundsDuration": {"value": 5, "unit": "days", "system": UCUM, "code": "d"},
                            "boundsPeriod": {"start": "2026-01-05"},
                        }
                    },
                },
                {
                    "sequence": 2,
                    "timing": {
                        "repeat": {
                            "timeOfDay": ["08:00:00"],
                            "boundsDuration": {"value": 5, "unit": "days", "system": UCUM, "code": "d"},
                        }
                    },
                },
            ],
            Schedule(start_date=d("2026-01-05"), steps=(step("08:00", days=5), step("08:00", days=5))),
        ),
    ],
)
def test_it_reads_common_hand_written_shapes(dosages: list[dict], expected: Schedule) -> None:
    assert from_fhir(dosages, start_date=d("2026-02-01")) == expected


def test_the_start_date_argument_is_only_a_fallback() -> None:
    with_start = dosage({"timeOfDay": ["08:00:00"], "boundsPeriod": {"start": "2026-01-05"}})
    without_start = dosage({"timeOfDay": ["08:00:00"]})

    assert from_fhir(with_start, start_date=d("2030-01-01")).start_date == d("2026-01-05")
    assert from_fhir(without_start, start_date=d("2030-01-01")).start_date == d("2030-01-01")
    with pytest.raises(ScheduleError, match=re.escape("Timing.repeat.boundsPeriod.start is missing")):
        from_fhir(without_start)


def test_import_does_not_change_its_input() -> None:
    dosages = to_fhir(SUPPORTED["tapering with a cycle, a length and a count"]).dosages
    before = copy.deepcopy(dosages)

    from_fhir(dosages)

    assert dosages == before


# --- unsupported FHIR --------------------------------------------------------------------

DAILY = {
    "frequency": 1,
    "period": 1,
    "periodUnit": "d",
    "timeOfDay": ["08:00:00"],
    "boundsPeriod": {"start": "2026-01-05"},
}


def daily_with(**changes) -> list[dict]:
    repeat = {**DAILY, **changes}
    return dosage({key: value for key, value in repeat.items() if value is not None})


@pytest.mark.parametrize(
    ("dosages", "message"),
    [
        (
            daily_with(periodUnit="min", period=30),
            "Timing.repeat.periodUnit 'min' (minutes) is not supported",
        ),
        (daily_with(periodUnit="s"), "Timing.repeat.periodUnit 's' (seconds) is not supported"),
        (daily_with(periodUnit="mo"), "Timing.repeat.periodUnit 'mo' (months) is not supported"),
        (daily_with(periodUnit="a"), "Timing.repeat.periodUnit 'a' (years) is not supported"),
        (
            daily_with(periodUnit="fortnight"),
            "Timing.repeat.periodUnit 'fortnight' is not a FHIR units-of-time code",
        ),
        (daily_with(periodUnit=None), "Timing.repeat.periodUnit is missing"),
        (daily_with(timeOfDay=None, when=["ACM"]), "Timing.repeat.when: doses tied to meals"),
        (daily_with(timeOfDay=None, when=["C"], offset=30), "Timing.repeat.when"),
        (daily_with(offset=30), "Timing.repeat.offset: doses tied to meals"),
        (daily_with(frequencyMax=3), "Timing.repeat.frequencyMax: a range of doses per period"),
        (daily_with(periodMax=2), "Timing.repeat.periodMax: a range of periods"),
        (daily_with(countMax=10), "Timing.repeat.countMax"),
        (daily_with(duration=30, durationUnit="min"), "Timing.repeat.duration: how long each dose takes"),
        (daily_with(boundsRange={"low": {"value": 1}}), "Timing.repeat.boundsRange"),
        (daily_with(timeOfDay=None), "Timing.repeat.timeOfDay is missing"),
        (daily_with(frequency=3), "Timing.repeat.frequency 3 does not match timeOfDay and dayOfWeek"),
        (daily_with(period=2, dayOfWeek=["mon"]), "Timing.repeat.dayOfWeek with a period of 2 days"),
        (
            daily_with(periodUnit="wk", period=2, dayOfWeek=["mon"]),
            "Timing.repeat.period: doses on set weekdays",
        ),
        (daily_with(period=0.5), "Timing.repeat.period 0.5 is not a whole number"),
        (daily_with(period=0), "Timing.repeat.period must be 1 or more"),
        (daily_with(dayOfWeek=["monday"]), "Timing.repeat.dayOfWeek 'monday' is not a day code"),
        (daily_with(timeOfDay=["8am"]), "Timing.repeat.timeOfDay '8am' is not a time"),
        (daily_with(timeOfDay=["08:00:00", "08:00:00"], frequency=2), "08:00 is listed twice."),
        (
            daily_with(periodUnit="h", period=8, timeOfDay=["06:00:00", "14:00:00"]),
            "Timing.repeat.timeOfDay must give",
        ),
        (
            daily_with(periodUnit="h", period=8, frequency=2),
            "Timing.repeat.frequency must be 1 with periodUnit 'h'",
        ),
        (
            daily_with(periodUnit="h", period=8, dayOfWeek=["mon"]),
            "Timing.repeat.dayOfWeek with a period in hours",
        ),
        (
            daily_with(boundsDuration={"value": 8, "code": "h"}, boundsPeriod=None),
            "Timing.repeat.boundsDuration in 'h'",
        ),
        (
            daily_with(boundsPeriod={"start": "2026-01"}),
            "Timing.repeat.boundsPeriod.start '2026-01' is not a full date",
        ),
        (
            daily_with(
                boundsPeriod={"start": "2026-01-05", "end": "2026-02-01"}, boundsDuration={"value": 3}
            ),
            "Timing.repeat has both boundsPeriod and boundsDuration",
        ),
        (daily_with(modifierExtension=[{"url": "x"}]), "Timing.repeat.modifierExtension"),
        (daily_with(frequncy=2), "Timing.repeat.frequncy is not a FHIR R4 Timing.repeat element"),
        (
            daily_with(extension=[{"url": CYCLE_URL, "extension": [{"url": "onDays", "valueInteger": 21}]}]),
            "dose-cycle extension needs onDays and offDays",
        ),
        (
            daily_with(
                period=2,
                extension=[
                    {
                        "url": CYCLE_URL,
                        "extension": [
                            {"url": "onDays", "valueInteger": 21},
                            {"url": "offDays", "valueInteger": 7},
                        ],
                    }
                ],
            ),
            "The dose-cycle extension is only supported on a daily Timing.repeat",
        ),
        ([{"timing": {"event": ["2026-01-05T08:00:00Z"]}}], "Timing.event"),
        ([{"timing": {"code": {"text": "BID"}}}], "Timing.repeat is missing"),
        ([{"timing": {"repeat": DAILY, "modifierExtension": []}}], "Timing.modifierExtension"),
        ([{"text": "1 tablet"}], "Dosage.timing is missing"),
        ([{"timing": DAILY}], "Timing.frequency is not a FHIR R4 Timing element"),
        (dosage(DAILY, modifierExtension=[{"url": "x"}]), "Dosage.modifierExtension"),
        (dosage(DAILY, asNeeded=True), "Dosage.asNeeded is not a FHIR R4 Dosage element"),
        (dosage(DAILY, asNeededBoolean="yes"), "Dosage.asNeededBoolean must be true or false"),
        (
            dosage(
                DAILY, maxDosePerPeriod={"numerator": {"value": 4}, "denominator": {"value": 24, "code": "h"}}
            ),
            "Dosage.maxDosePerPeriod on scheduled doses is not supported",
        ),
        (
            dosage({"frequency": 1, "period": 4, "periodUnit": "h"}, asNeededBoolean=True),
            "Timing.repeat.frequency on an as-needed Dosage is not supported",
        ),
        (
            [
                {
                    "asNeededBoolean": True,
                    "timing": {"repeat": {"boundsPeriod": {"start": "2026-01-05"}}},
                    "maxDosePerPeriod": {
                        "numerator": {"value": 4000, "unit": "mg"},
                        "denominator": {"value": 1, "code": "d"},
                    },
                }
            ],
            "Dosage.maxDosePerPeriod.numerator in 'mg' is not a number of doses",
        ),
        (
            [
                {
                    "asNeededBoolean": True,
                    "timing": {"repeat": {"boundsPeriod": {"start": "2026-01-05"}}},
                    "maxDosePerPeriod": {
                        "numerator": {"value": 4},
                        "denominator": {"value": 30, "code": "min"},
                    },
                }
            ],
            "Dosage.maxDosePerPeriod.denominator in 'min' is not supported",
        ),
        (
            [
                {
                    "asNeededBoolean": True,
                    "timing": {"repeat": {"boundsPeriod": {"start": "2026-01-05"}}},
                    "maxDosePerPeriod": [
                        {"numerator": {"value": 4}, "denominator": {"value": 1, "code": "d"}}
                    ],
                }
            ],
            "Dosage.maxDosePerPeriod must be one Ratio (a list is FHIR R5, not R4)",
        ),
        ([], "Give at least one FHIR Dosage element."),
        (["08:00"], "Dosage 1 is not a JSON object."),
        (
            [dosage(DAILY)[0], dosage(DAILY)[0]],
            "Dosage 1: Dosage.sequence is needed when there are several Dosage elements",
        ),
        (
            [in_sequence(1, DAILY), in_sequence(1, DAILY)],
            "Dosage.sequence: Dosage elements with the same sequence (taken at the same time)",
        ),
        (
            [in_sequence(1, DAILY), in_sequence(2, DAILY, asNeededBoolean=True)],
            "Dosage.asNeededBoolean: several Dosage elements with an as-needed one are not supported",
        ),
        (
            [
                in_sequence(1, {"timeOfDay": ["08:00:00"], "boundsPeriod": {"start": "2026-01-05"}}),
                in_sequence(2, {"timeOfDay": ["08:00:00"]}),
            ],
            "Dosage 1: Timing.repeat.boundsDuration is missing: every step but the last needs a length",
        ),
        (
            [
                in_sequence(1, {**DAILY, "boundsPeriod": {"start": "2026-01-05", "end": "2026-01-09"}}),
                in_sequence(2, {**DAILY, "boundsPeriod": {"start": "2026-01-20"}}),
            ],
            "Dosage 2: Timing.repeat.boundsPeriod.start (2026-01-20) is not the day this step starts"
            " (2026-01-10)",
        ),
        (
            [
                in_sequence(1, {**DAILY, "boundsDuration": {"value": 5, "code": "d"}, "boundsPeriod": None}),
                in_sequence(2, {**DAILY, "boundsPeriod": None, "count": 10}),
            ],
            "Timing.repeat.count on one step of a tapering schedule is not supported",
        ),
    ],
)
def test_it_refuses_what_it_cannot_follow_naming_the_element(dosages: list[dict], message: str) -> None:
    # Drop keys set to None by the cases above (a way of leaving an element out).
    for element in dosages:
        if isinstance(element, dict) and isinstance(element.get("timing"), dict):
            repeat = element["timing"].get("repeat")
            if isinstance(repeat, dict):
                element["timing"]["repeat"] = {
                    key: value for key, value in repeat.items() if value is not None
                }

    with pytest.raises(ScheduleError, match=re.escape(message)):
        from_fhir(dosages, start_date=d("2026-01-05"))


def test_a_period_unit_without_a_period_means_one_of_that_unit() -> None:
    assert from_fhir(daily_with(period=None)) == plain("2026-01-05", "08:00")
