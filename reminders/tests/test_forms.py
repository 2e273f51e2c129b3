"""Adding and changing a medication through its form, for every shape of schedule.

Nina lives in New York. It is Monday 1 June 2026, 07:00 UTC: 03:00 for her
(EDT, UTC-4), so her 08:00 is 12:00 UTC. Doses are made a week ahead.
"""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import pytest
from django.urls import reverse

from adherence.tests.html import Page, get, post
from patients.tests.factories import PatientFactory
from reminders import services
from reminders.forms import MedicationForm
from reminders.models import Dose, MedicationReminder
from reminders.schedule import Repeat, Schedule, Step
from reminders.services import NO_MORE_DOSES
from reminders.tests.factories import MEDICATION_FORM, medication_form

NOW = datetime.datetime(2026, 6, 1, 7, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW)]


@pytest.fixture(autouse=True)
def nina_signed_in(clock, client, nina) -> None:
    """Every test here is Nina in New York, signed in, at NOW."""
    client.force_login(nina.user)


def new_url(patient) -> str:
    return reverse("reminders:medication_new", args=[patient.pk])


def edit_url(reminder) -> str:
    return reverse("reminders:medication_edit", args=[reminder.patient_id, reminder.pk])


def list_url(patient) -> str:
    return reverse("reminders:medications", args=[patient.pk])


BASE = MEDICATION_FORM


form_data = medication_form


def step(times: list[str], repeat: dict, days=None, dosage="") -> dict:
    return {"times": times, "repeat": repeat, "days": days, "dosage": dosage}


def schedule(*steps: dict, **fields) -> dict:
    return {
        "start_date": "2026-06-01",
        "steps": list(steps),
        "as_needed": False,
        "end_date": None,
        "duration_days": None,
        "count": None,
        "max_per_period": None,
    } | fields


DAILY = {"kind": "daily"}

# Each shape: what is typed on top of BASE, the schedule stored, the first doses in Nina's own time
# (and their dose, when it is not the medication's), the summary on the medication list.
SHAPES = {
    "twice daily": (
        {"time_2": "20:00"},
        schedule(step(["08:00", "20:00"], DAILY)),
        ["Mon 1 08:00", "Mon 1 20:00", "Tue 2 08:00", "Tue 2 20:00"],
        "08:00, 20:00 every day. From 1 June 2026.",
    ),
    "weekdays": (
        {"repeat": "weekdays", "weekdays": ["0", "2", "4"]},
        schedule(step(["08:00"], {"kind": "weekdays", "weekdays": ["mon", "wed", "fri"]})),
        ["Mon 1 08:00", "Wed 3 08:00", "Fri 5 08:00"],
        "08:00 on Monday, Wednesday, Friday. From 1 June 2026.",
    ),
    "every 2 days": (
        {"repeat": "every_n_days", "every": "2"},
        schedule(step(["08:00"], {"kind": "every_n_days", "every": 2})),
        ["Mon 1 08:00", "Wed 3 08:00", "Fri 5 08:00", "Sun 7 08:00"],
        "08:00 every 2 days. From 1 June 2026.",
    ),
    "every 8 hours": (
        {"repeat": "every_n_hours", "every": "8", "time_1": "06:00"},
        schedule(step(["06:00"], {"kind": "every_n_hours", "every": 8})),
        ["Mon 1 06:00", "Mon 1 14:00", "Mon 1 22:00", "Tue 2 06:00"],
        "Every 8 hours from 06:00. From 1 June 2026.",
    ),
    "21 on, 7 off": (
        {"repeat": "cycle", "on_days": "21", "off_days": "7", "time_1": "09:00"},
        schedule(step(["09:00"], {"kind": "cycle", "on_days": 21, "off_days": 7})),
        ["Mon 1 09:00", "Tue 2 09:00", "Wed 3 09:00"],
        "09:00 21 days on, then 7 days off. From 1 June 2026.",
    ),
    "until a date": (
        {"end": "date", "end_date": "2026-06-03"},
        schedule(step(["08:00"], DAILY), end_date="2026-06-03"),
        ["Mon 1 08:00", "Tue 2 08:00", "Wed 3 08:00"],
        "08:00 every day. From 1 June 2026 to 3 June 2026.",
    ),
    "for a number of days": (
        {"end": "days", "duration_days": "2"},
        schedule(step(["08:00"], DAILY), duration_days=2),
        ["Mon 1 08:00", "Tue 2 08:00"],
        "08:00 every day. From 1 June 2026 for 2 days.",
    ),
    "tapering": (
        {
            "kind": "tapering",
            "medication_name": "Prednisolone",
            "dosage": "as the step says",
            "step_1_dosage": "40 mg",
            "step_1_days": "5",
            "step_2_dosage": "20 mg",
            "step_2_days": "5",
        },
        schedule(step(["08:00"], DAILY, 5, "40 mg"), step(["08:00"], DAILY, 5, "20 mg")),
        [
            "Mon 1 08:00 40 mg",
            "Tue 2 08:00 40 mg",
            "Wed 3 08:00 40 mg",
            "Thu 4 08:00 40 mg",
            "Fri 5 08:00 40 mg",
            "Sat 6 08:00 20 mg",
            "Sun 7 08:00 20 mg",
        ],
        "40 mg for 5 days (08:00 every day), then 20 mg for 5 days (08:00 every day). From 1 June 2026.",
    ),
    "as needed, at most 4 in 24 hours": (
        {
            "kind": "as_needed",
            "medication_name": "Paracetamol",
            "time_1": None,
            "repeat": None,
            "max_count": "4",
            "max_hours": "24",
        },
        schedule(as_needed=True, max_per_period={"count": 4, "hours": 24}),
        [],
        "When needed, at most 4 in 24 hours. From 1 June 2026.",
    ),
}


def first_doses(reminder, count: int) -> list[str]:
    """The reminder's first doses in the patient's own time, as 'Mon 1 08:00' (+ the step's dose)."""
    zone = reminder.patient.zone
    shown = []
    for dose in Dose.objects.filter(reminder=reminder).order_by("scheduled_at")[:count]:
        text = f"{dose.scheduled_at.astimezone(zone):%a %-d %H:%M}"
        shown.append(text if dose.dosage == reminder.dosage else f"{text} {dose.dosage}")
    return shown


# --- Adding a medication -----------------------------------------------------------------------------


def test_the_new_medication_form_starts_on_the_patients_own_day(client):
    # 07:00 UTC on 1 June is still 21:00 on 31 May in Honolulu.
    hana = PatientFactory(time_zone="Pacific/Honolulu")
    client.force_login(hana.user)

    page = get(client, new_url(hana))

    assert page.h1 == "Add a medication"
    values = page.values()
    assert values["start_date"] == ["2026-05-31"]
    assert values["kind"] == ["scheduled"]
    assert values["repeat"] == ["daily"]
    assert values["end"] == ["none"]
    assert values["grace_minutes"] == ["60"]
    assert values["time_zone_mode"] == ["local"]


@pytest.mark.parametrize("shape", SHAPES)
def test_adding_a_medication_stores_its_schedule_and_first_doses(client, nina, shape):
    typed, stored, doses, _summary = SHAPES[shape]

    response = client.post(new_url(nina), form_data(**typed))

    assert response.status_code == 302
    assert response.url == reverse("patients:detail", args=[nina.pk])
    reminder = MedicationReminder.objects.get(patient=nina)
    assert reminder.schedule == stored
    assert (reminder.home_time_zone, reminder.grace_minutes, reminder.is_active) == (
        "America/New_York",
        60,
        True,
    )
    assert first_doses(reminder, len(doses) or 1) == doses
    for dose in Dose.objects.filter(reminder=reminder):
        assert dose.window_ends_at == dose.scheduled_at + timedelta(minutes=60)
        assert dose.status == Dose.Status.PENDING
    page = get(client, response.url)
    assert page.messages == [f"{reminder.medication_name} is added."]


def test_twice_daily_doses_are_made_for_a_week_ahead_in_the_patients_zone(client, nina):
    client.post(new_url(nina), form_data(time_2="20:00"))

    reminder = MedicationReminder.objects.get()
    scheduled = list(reminder.doses.values_list("scheduled_at", flat=True))
    assert len(scheduled) == 14  # 1 June 12:00 UTC (08:00 EDT) to 8 June 00:00 UTC (7 June 20:00 EDT)
    assert scheduled[0] == datetime.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert scheduled[-1] == datetime.datetime(2026, 6, 8, 0, 0, tzinfo=UTC)
    assert reminder.doses_until == NOW + timedelta(days=7)


def test_a_schedule_with_an_end_has_no_doses_after_it(client, nina):
    client.post(new_url(nina), form_data(end="date", end_date="2026-06-03"))

    reminder = MedicationReminder.objects.get()
    assert reminder.doses.count() == 3
    assert reminder.doses_until == NO_MORE_DOSES


def test_a_cycle_has_no_doses_on_its_days_off(client, nina, clock):
    client.post(new_url(nina), form_data(repeat="cycle", on_days="21", off_days="7", time_1="09:00"))
    reminder = MedicationReminder.objects.get()

    for day in range(1, 35):  # the make-doses job runs each day for five weeks
        clock.move_to(NOW + timedelta(days=day))
        services.doses_make_ahead()

    days = sorted({dose.scheduled_at.astimezone(nina.zone).date() for dose in reminder.doses.all()})
    june = [datetime.date(2026, 6, day) for day in range(1, 22)]
    # The last run, at 07:00 UTC on 5 July, makes doses up to 07:00 UTC on 12 July: 11 July's is the last.
    second_cycle = [datetime.date(2026, 6, 29) + timedelta(days=n) for n in range(13)]
    assert days == june + second_cycle


@pytest.mark.parametrize("shape", SHAPES)
def test_the_medication_list_shows_a_readable_summary(client, nina, shape):
    typed, _stored, _doses, summary = SHAPES[shape]
    client.post(new_url(nina), form_data(**typed))

    page = get(client, list_url(nina))

    assert page.h1 == "My medication list"
    card = page.root.find("li", cls="card")
    assert card.find("h2").text == form_data(**typed)["medication_name"]
    assert card.find("p", cls="muted").text == summary


def test_the_list_shows_the_dose_and_instructions_and_links_to_change_it(client, nina):
    client.post(new_url(nina), form_data())
    reminder = MedicationReminder.objects.get()

    card = get(client, list_url(nina)).root.find("li", cls="card")

    assert "500 mg · with food" in card.text
    assert card.find("a", href=edit_url(reminder)).text == "Change Metformin"


def test_pausing_and_resuming_a_medication(client, nina):
    get(client, new_url(nina))
    post(client, new_url(nina), form_data())
    reminder = MedicationReminder.objects.get()
    pause_url = reverse("reminders:medication_pause", args=[nina.pk, reminder.pk])

    page = post(client, pause_url)

    assert page.messages == ["Metformin is paused: no doses until you resume it."]
    assert "Paused: no doses until it is resumed." in page.main
    assert not reminder.doses.exists()
    page = post(client, pause_url)
    assert page.messages == ["Metformin is on again."]
    assert reminder.doses.count() == 7


def described_by(node) -> list[str]:
    return node.attrs.get("aria-describedby", "").split()


# --- Errors, in words, with what was typed kept ------------------------------------------------------

# (what is typed on top of BASE, the field that says what is wrong, what it says, fields kept as typed)
ERRORS = {
    "no time": (
        {"time_1": ""},
        "time_1",
        "Give at least one time of day.",
        {
            "medication_name": ["Metformin"],
            "dosage": ["500 mg"],
            "instructions": ["with food"],
            "kind": ["scheduled"],
            "repeat": ["daily"],
            "start_date": ["2026-06-01"],
            "time_1": [""],
        },
    ),
    "end before start": (
        {"end": "date", "end_date": "2026-05-01"},
        "end_date",
        "The last day is before the first day.",
        {"end": ["date"], "end_date": ["2026-05-01"], "start_date": ["2026-06-01"], "time_1": ["08:00"]},
    ),
    "a time twice": (
        {"time_2": "20:00", "time_3": "08:00"},
        "time_3",
        "08:00 is listed twice.",
        {"time_1": ["08:00"], "time_2": ["20:00"], "time_3": ["08:00"], "time_4": [""]},
    ),
    "weekdays without a day": (
        {"repeat": "weekdays"},
        "weekdays",
        "Choose at least one day of the week.",
        {"repeat": ["weekdays"], "weekdays": []},
    ),
    "every few days without a number": (
        {"repeat": "every_n_days", "every": ""},
        "every",
        "Say every how many days or hours.",
        {"repeat": ["every_n_days"], "every": [""]},
    ),
    "every few hours without a number": (
        {"repeat": "every_n_hours"},
        "every",
        "Say every how many days or hours.",
        {"repeat": ["every_n_hours"]},
    ),
    "every few hours with two times": (
        {"repeat": "every_n_hours", "every": "8", "time_2": "14:00"},
        "time_2",
        "For “every few hours”, give only the time of the first dose.",
        {"repeat": ["every_n_hours"], "every": ["8"], "time_2": ["14:00"]},
    ),
    "a cycle without days off": (
        {"repeat": "cycle", "on_days": "21"},
        "off_days",
        "Say how many days.",
        {"repeat": ["cycle"], "on_days": ["21"], "off_days": [""]},
    ),
    "a cycle without days on": (
        {"repeat": "cycle", "off_days": "7"},
        "on_days",
        "Say how many days.",
        {"repeat": ["cycle"], "on_days": [""], "off_days": ["7"]},
    ),
    "tapering with one step": (
        {"kind": "tapering", "step_1_dosage": "40 mg", "step_1_days": "5"},
        "step_1_dosage",
        "A tapering schedule needs at least two steps, each with a dose.",
        {"kind": ["tapering"], "step_1_dosage": ["40 mg"], "step_1_days": ["5"], "step_2_dosage": [""]},
    ),
    "tapering step without a dose": (
        {"kind": "tapering", "step_1_dosage": "40 mg", "step_1_days": "5", "step_2_days": "5"},
        "step_2_dosage",
        "Give the dose for this step.",
        {"kind": ["tapering"], "step_1_dosage": ["40 mg"], "step_2_days": ["5"]},
    ),
    "tapering step without days before the last": (
        {"kind": "tapering", "step_1_dosage": "40 mg", "step_2_dosage": "20 mg"},
        "step_1_days",
        "Give the number of days for this step.",
        {"step_1_dosage": ["40 mg"], "step_1_days": [""], "step_2_dosage": ["20 mg"]},
    ),
    "as needed with a count but no hours": (
        {"kind": "as_needed", "time_1": None, "max_count": "4"},
        "max_hours",
        "Give both the number of doses and the hours, or neither.",
        {"kind": ["as_needed"], "max_count": ["4"], "max_hours": [""]},
    ),
    "until a date without the date": (
        {"end": "date"},
        "end_date",
        "Give the last day.",
        {"end": ["date"], "end_date": [""]},
    ),
    "for a number of days without the number": (
        {"end": "days", "duration_days": ""},
        "duration_days",
        "Give the number of days.",
        {"end": ["days"], "duration_days": [""]},
    ),
    "no name": (
        {"medication_name": ""},
        "medication_name",
        "This field is required.",
        {"medication_name": [""], "dosage": ["500 mg"], "time_1": ["08:00"]},
    ),
    "a time that is not a time": (
        {"time_1": "8 in the morning"},
        "time_1",
        "Enter a valid time.",
        {"time_1": ["8 in the morning"]},
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_a_mistake_is_shown_in_words_next_to_its_field_and_nothing_is_saved(client, nina, case):
    typed, field_name, message, kept = ERRORS[case]

    page = post(client, new_url(nina), form_data(**typed))

    assert page.h1 == "Add a medication"
    assert page.error(field_name) == message
    described = [node for node in page.root.iter() if f"id_{field_name}_error" in described_by(node)]
    assert described, f"nothing is described by the error of {field_name}"
    values = page.values()
    for name, value in kept.items():
        assert values[name] == value, name
    assert not MedicationReminder.objects.exists()
    assert not Dose.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"repeat": "every_n_days", "every": "91"}, "Every N days goes up to every 90 days."),
        ({"end": "days", "duration_days": "3651"}, "The number of days goes up to 3650."),
        ({"kind": "as_needed", "max_count": "51", "max_hours": "24"}, "The most-doses limit goes up to 50"),
    ],
)
def test_it_reports_a_number_past_the_schedules_limits_in_the_schedules_words(client, nina, typed, message):
    page = post(client, new_url(nina), form_data(**typed))

    listed = [item.text for item in page.root.find("div", cls="form-errors").find_all("li")]
    assert [text for text in listed if text.startswith(message)], listed
    assert not MedicationReminder.objects.exists()


def test_every_mistake_at_once_is_listed(client, nina):
    page = post(client, new_url(nina), form_data(time_1="", repeat="weekdays", end="date", end_date=""))

    assert page.error("time_1") == "Give at least one time of day."
    assert page.error("weekdays") == "Choose at least one day of the week."
    assert page.error("end_date") == "Give the last day."
    assert not MedicationReminder.objects.exists()


def test_a_mistake_keeps_ticked_weekdays_and_typed_steps(client, nina):
    typed = form_data(
        kind="tapering",
        repeat="weekdays",
        weekdays=["1", "3"],
        time_1="",
        step_1_dosage="40 mg",
        step_1_days="5",
        step_2_dosage="20 mg",
    )

    page = post(client, new_url(nina), typed)

    assert page.error("time_1") == "Give at least one time of day."
    values = page.values()
    assert values["weekdays"] == ["1", "3"]
    assert values["kind"] == ["tapering"]
    assert (values["step_1_dosage"], values["step_1_days"], values["step_2_dosage"]) == (
        ["40 mg"],
        ["5"],
        ["20 mg"],
    )


# --- Changing a medication ---------------------------------------------------------------------------


def add(client, patient, typed: dict) -> MedicationReminder:
    response = client.post(new_url(patient), form_data(**typed))
    assert response.status_code == 302, Page(response).main
    return MedicationReminder.objects.get(patient=patient)


def sent(typed: dict) -> dict[str, list[str]]:
    """form_data as the browser's lists of values."""
    return {name: value if isinstance(value, list) else [value] for name, value in form_data(**typed).items()}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_change_form_shows_the_medications_current_values(client, nina, shape):
    typed = SHAPES[shape][0]
    reminder = add(client, nina, typed)

    page = get(client, edit_url(reminder))

    assert page.h1 == f"Change {reminder.medication_name}"
    values = page.values()
    for name, value in sent(typed).items():
        assert values[name] == value, name
    assert MedicationForm.initial_for(reminder)["kind"] == form_data(**typed)["kind"]


@pytest.mark.parametrize("shape", SHAPES)
def test_saving_the_change_form_unchanged_keeps_the_schedule(client, nina, shape):
    reminder = add(client, nina, SHAPES[shape][0])
    stored = reminder.schedule

    page = post(client, edit_url(reminder), get(client, edit_url(reminder)).values())

    assert page.messages == [
        f"{reminder.medication_name} is saved. Doses from now on follow the new schedule."
    ]
    reminder.refresh_from_db()
    assert reminder.schedule == stored


def test_changing_the_times_remakes_the_doses_still_to_come(client, nina, clock):
    reminder = add(client, nina, {"time_2": "20:00"})
    clock.move_to(datetime.datetime(2026, 6, 1, 14, 0, tzinfo=UTC))  # 10:00 in New York
    client.force_login(nina.user)  # signed out while idle
    morning = reminder.doses.order_by("scheduled_at").first()
    services.dose_confirm(dose=morning, by=nina.user, method="web")
    values = get(client, edit_url(reminder)).values()

    page = post(
        client,
        edit_url(reminder),
        values | {"medication_name": ["Metformin XR"], "time_1": ["09:00"], "time_2": ["21:00"]},
    )

    assert page.h1 == "My medication list"
    assert page.messages == ["Metformin XR is saved. Doses from now on follow the new schedule."]
    assert "09:00, 21:00 every day. From 1 June 2026." in page.main
    reminder.refresh_from_db()
    assert reminder.medication_name == "Metformin XR"
    assert reminder.schedule["steps"][0]["times"] == ["09:00", "21:00"]
    assert first_doses(reminder, 3) == ["Mon 1 08:00", "Mon 1 21:00", "Tue 2 09:00"]
    morning.refresh_from_db()
    assert morning.status == Dose.Status.TAKEN


def test_changing_an_as_needed_maximum(client, nina):
    reminder = add(client, nina, SHAPES["as needed, at most 4 in 24 hours"][0])
    values = get(client, edit_url(reminder)).values()

    post(client, edit_url(reminder), values | {"max_count": ["3"], "max_hours": ["12"]})

    reminder.refresh_from_db()
    assert reminder.schedule["max_per_period"] == {"count": 3, "hours": 12}
    assert not reminder.doses.exists()


def test_changing_a_taper_into_a_plain_schedule(client, nina):
    reminder = add(client, nina, SHAPES["tapering"][0])
    values = get(client, edit_url(reminder)).values()

    post(client, edit_url(reminder), values | {"kind": ["scheduled"], "dosage": ["20 mg"]})

    reminder.refresh_from_db()
    assert reminder.schedule == schedule(step(["08:00"], DAILY))
    assert set(reminder.doses.values_list("dosage", flat=True)) == {"20 mg"}


def test_a_mistake_in_the_change_form_keeps_what_was_typed_and_changes_nothing(client, nina):
    reminder = add(client, nina, {"time_2": "20:00"})
    stored = reminder.schedule
    values = get(client, edit_url(reminder)).values()

    page = post(
        client, edit_url(reminder), values | {"time_2": ["08:00"], "medication_name": ["Metformin XR"]}
    )

    assert page.h1 == "Change Metformin"
    assert page.error("time_2") == "08:00 is listed twice."
    assert page.values()["medication_name"] == ["Metformin XR"]
    reminder.refresh_from_db()
    assert (reminder.medication_name, reminder.schedule) == ("Metformin", stored)


def _times(*texts: str) -> tuple[datetime.time, ...]:
    return tuple(datetime.time.fromisoformat(text) for text in texts)


UNSHOWABLE = {
    # A total number of doses (the schedule model, the admin and the API have it; the form does not).
    "ten doses in all": Schedule(
        start_date=datetime.date(2026, 6, 1),
        steps=(Step(times=_times("08:00"), repeat=Repeat(kind="daily")),),
        count=10,
    ),
    # A taper whose steps have different times: twice a day, then once.
    "steps at different times": Schedule(
        start_date=datetime.date(2026, 6, 1),
        steps=(
            Step(times=_times("08:00", "20:00"), repeat=Repeat(kind="daily"), days=5, dosage="40 mg"),
            Step(times=_times("08:00"), repeat=Repeat(kind="daily"), days=5, dosage="20 mg"),
        ),
    ),
}


@pytest.mark.parametrize("case", UNSHOWABLE)
def test_saving_unchanged_never_rewrites_a_schedule_the_form_cannot_show(client, nina, case):
    reminder = services.medication_create(
        patient=nina, schedule=UNSHOWABLE[case], medication_name="Prednisolone", dosage="see steps"
    )
    stored = reminder.schedule

    page = client.get(edit_url(reminder)).content.decode()
    assert "cannot be changed here without losing part of it" in page
    assert "<form" not in page.split('id="main"')[1]
    client.post(
        edit_url(reminder),
        {
            "medication_name": "Prednisolone",
            "dosage": "5 mg",
            "kind": "scheduled",
            "repeat": "daily",
            "time_1": "09:00",
            "start_date": "2026-01-01",
            "end": "none",
            "grace_minutes": "60",
            "time_zone_mode": "local",
        },
    )

    reminder.refresh_from_db()
    assert reminder.schedule == stored
