"""The dose services against a real database: making doses ahead, rebuilding them, time zones,
confirming, skipping, undoing, as-needed doses, and the make-doses job run by django-q2.

The clock is fixed with time_machine; times are asserted as the patient would see them
(local wall-clock times) and, where the stored instant matters, in UTC.
"""

from __future__ import annotations

import contextlib
import datetime
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Schedule as Q2Schedule
from django_q.models import Task
from django_q.scheduler import scheduler

from patients.services import patient_profile_update
from patients.tests.factories import CareLinkFactory, PatientFactory
from reminders import services
from reminders.models import UNDO_WINDOW, ConfirmationLog, Dose, MedicationReminder
from reminders.schedule import MaxPerPeriod, Repeat, Schedule, Step
from reminders.services import NO_MORE_DOSES, DoseError, OverMaximum
from reminders.tasks import make_doses

# Sunday 1 March 2026, noon UTC: noon in London (GMT), 13:00 in Berlin, 04:00 in Los Angeles.
T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
LONDON = "Europe/London"
NEW_YORK = "America/New_York"
LOS_ANGELES = "America/Los_Angeles"
BERLIN = "Europe/Berlin"

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0)]


def utc(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def schedule(
    *times: str, start: datetime.date = datetime.date(2026, 1, 1), repeat: str = "daily", **fields
) -> Schedule:
    steps = (Step(times=tuple(datetime.time.fromisoformat(at) for at in times), repeat=Repeat(kind=repeat)),)
    return Schedule(start_date=start, steps=steps, **fields)


def as_needed(count: int = 2, hours: int = 24) -> Schedule:
    return Schedule(
        start_date=datetime.date(2026, 1, 1), as_needed=True, max_per_period=MaxPerPeriod(count, hours)
    )


def medication(
    patient, *times: str, grace: int = 60, mode: str = "local", name: str = "Metformin", **schedule_fields
) -> MedicationReminder:
    """A medication made as the app makes it (services.medication_create), with its doses."""
    return services.medication_create(
        patient=patient,
        schedule=schedule(*times, **schedule_fields),
        medication_name=name,
        dosage="500 mg",
        grace_minutes=grace,
        time_zone_mode=mode,
    )


def local(instant: datetime.datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def dose_times(reminder: MedicationReminder, zone: str | None = None) -> list[str]:
    """The medication's doses as local wall-clock times ("2026-03-01 20:00"), in time order."""
    zone = zone or reminder.patient.time_zone
    return [
        local(at, zone)
        for at in reminder.doses.order_by("scheduled_at").values_list("scheduled_at", flat=True)
    ]


def dose_at(reminder: MedicationReminder, when: str, zone: str | None = None) -> Dose:
    """The medication's dose at this local time ("2026-03-01 08:00")."""
    zone = zone or reminder.patient.time_zone
    naive = datetime.datetime.fromisoformat(when)
    return reminder.doses.get(scheduled_at=naive.replace(tzinfo=ZoneInfo(zone)))


def job(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Run the make-doses job: (doses made, queries it ran)."""
    with CaptureQueriesContext(connection) as queries:
        made = services.doses_make_ahead(now=now)
    return made, len(queries)


# --- 1. Making doses ahead -----------------------------------------------------------------------


def test_a_new_twice_daily_medication_has_doses_for_the_next_seven_days_only(patient, clock):
    reminder = medication(patient, "08:00", "20:00", grace=45)

    # From noon on 1 March to noon on 8 March: nothing in the past, nothing beyond the horizon.
    assert dose_times(reminder) == [
        "2026-03-01 20:00",
        *[f"2026-03-{day:02d} {at}" for day in range(2, 8) for at in ("08:00", "20:00")],
        "2026-03-08 08:00",
    ]
    doses = list(reminder.doses.all())
    assert len(doses) == 14
    assert all(dose.scheduled_at > T0 for dose in doses)
    assert {dose.window_ends_at - dose.scheduled_at for dose in doses} == {timedelta(minutes=45)}
    assert {(dose.status, dose.dosage, dose.patient_id) for dose in doses} == {
        (Dose.Status.PENDING, "500 mg", patient.pk)
    }
    reminder.refresh_from_db()
    assert reminder.doses_until == T0 + 7 * DAY


def test_running_the_job_again_at_once_makes_nothing_and_a_day_later_adds_one_day(patient, clock):
    reminder = medication(patient, "08:00", "20:00")

    assert services.doses_make_ahead() == 0
    assert services.doses_make_ahead() == 0
    assert reminder.doses.count() == 14

    clock.move_to(T0 + HOUR)
    assert services.doses_make_ahead() == 0, "nothing falls between 12:00 and 13:00 on 8 March"

    clock.move_to(T0 + DAY)
    assert services.doses_make_ahead() == 2
    assert dose_times(reminder)[-3:] == ["2026-03-08 08:00", "2026-03-08 20:00", "2026-03-09 08:00"]
    assert reminder.doses.count() == 16
    # One row per medication and moment, however often the job ran.
    assert reminder.doses.values("scheduled_at").distinct().count() == 16


def test_as_needed_paused_and_finished_medications_get_no_scheduled_doses(patient, clock):
    prn = services.medication_create(
        patient=patient, schedule=as_needed(), medication_name="Paracetamol", dosage="1 g"
    )
    paused = services.medication_create(
        patient=patient, schedule=schedule("08:00"), medication_name="Statin", dosage="20 mg", is_active=False
    )
    finished = medication(patient, "08:00", end_date=datetime.date(2026, 2, 20))

    assert Dose.objects.count() == 0
    clock.move_to(T0 + 2 * DAY)
    assert services.doses_make_ahead() == 0
    assert Dose.objects.count() == 0
    for reminder in (prn, paused, finished):
        reminder.refresh_from_db()
    assert prn.doses_until in (None, services.NO_MORE_DOSES)  # never read by the job again
    assert finished.doses_until == NO_MORE_DOSES


def test_a_course_ending_within_the_horizon_stops_on_its_last_day(patient, clock):
    reminder = medication(patient, "08:00", "20:00", end_date=datetime.date(2026, 3, 3))

    assert dose_times(reminder) == [
        "2026-03-01 20:00",
        "2026-03-02 08:00",
        "2026-03-02 20:00",
        "2026-03-03 08:00",
        "2026-03-03 20:00",
    ]
    reminder.refresh_from_db()
    assert reminder.doses_until == NO_MORE_DOSES
    clock.move_to(T0 + 5 * DAY)
    assert services.doses_make_ahead() == 0
    assert reminder.doses.count() == 5


@pytest.mark.parametrize("topped_up", [1, 20, 50])
def test_the_job_reads_only_the_medications_that_need_doses(topped_up, clock):
    # One medication made yesterday: its doses stop a day short of the horizon.
    clock.move_to(T0 - DAY)
    needs_doses = medication(PatientFactory(), "08:00")
    clock.move_to(T0)
    made, baseline = job()
    assert made == 1

    # The same again, now among many medications that need nothing: topped up to the horizon
    # (with a long history of taken doses), finished, paused, as needed.
    clock.move_to(T0 - DAY)
    needs_doses_too = medication(PatientFactory(), "08:00")
    clock.move_to(T0)
    for _ in range(topped_up):
        full = medication(PatientFactory(), "08:00", "20:00")
        Dose.objects.bulk_create(
            Dose(
                reminder=full,
                patient_id=full.patient_id,
                scheduled_at=T0 - days * DAY,
                window_ends_at=T0 - days * DAY + HOUR,
                status=Dose.Status.TAKEN,
                taken_at=T0 - days * DAY,
            )
            for days in range(1, 61)
        )
    medication(PatientFactory(), "08:00", end_date=datetime.date(2026, 2, 1))
    services.medication_create(
        patient=PatientFactory(),
        schedule=schedule("08:00"),
        medication_name="Paused",
        dosage="1",
        is_active=False,
    )
    services.medication_create(
        patient=PatientFactory(), schedule=as_needed(), medication_name="PRN", dosage="1"
    )

    made, queries = job()

    assert made == 1
    assert queries == baseline
    assert dose_times(needs_doses_too)[-1] == dose_times(needs_doses)[-1] == "2026-03-08 08:00"


def test_the_job_does_not_read_a_medication_again_once_its_end_date_has_passed(clock):
    _, nothing_to_do = job()
    reminder = medication(PatientFactory(), "08:00", end_date=datetime.date(2026, 3, 4))
    assert reminder.doses.count() == 3

    for days in (1, 10, 100):
        clock.move_to(T0 + days * DAY)
        assert job() == (0, nothing_to_do)


def test_the_job_does_not_read_a_medication_changed_to_as_needed(clock):
    _, nothing_to_do = job()
    reminder = medication(PatientFactory(), "08:00")
    services.medication_update(reminder=reminder, schedule=as_needed())
    assert reminder.doses.count() == 0

    clock.move_to(T0 + 30 * DAY)
    assert job() == (0, nothing_to_do)


def test_the_job_does_not_read_a_course_of_a_fixed_number_of_doses_once_it_is_over(clock):
    _, nothing_to_do = job()
    reminder = medication(PatientFactory(), "08:00", start=datetime.date(2026, 3, 2), count=3)
    assert dose_times(reminder) == ["2026-03-02 08:00", "2026-03-03 08:00", "2026-03-04 08:00"]

    clock.move_to(T0 + 30 * DAY)
    assert job() == (0, nothing_to_do)


# --- 2. Rebuilding -------------------------------------------------------------------------------


def test_editing_a_schedule_replaces_future_pending_doses_and_keeps_the_past(patient, clock):
    clock.move_to(T0 - 4 * DAY)  # 25 February
    reminder = medication(patient, "08:00")
    clock.move_to(T0)
    services.doses_make_ahead()
    user = patient.user
    taken = dose_at(reminder, "2026-02-26 08:00")
    services.dose_confirm(dose=taken, by=user, method="web", taken_at=utc(2026, 2, 26, 8, 5))
    skipped = dose_at(reminder, "2026-02-27 08:00")
    services.dose_skip(dose=skipped, by=user, reason="unwell", now=utc(2026, 2, 27, 8, 30))
    missed = dose_at(reminder, "2026-02-28 08:00")
    Dose.objects.filter(pk=missed.pk).update(status=Dose.Status.MISSED, resolved_at=utc(2026, 2, 28, 9))
    due = dose_at(reminder, "2026-03-01 08:00")  # due this morning, still pending
    away = dose_at(reminder, "2026-03-03 08:00")
    # Skipped ahead of time, the evening before (within 12 hours of it, as a skip must be).
    services.dose_skip(dose=away, by=user, reason="away", now=utc(2026, 3, 2, 20, 30))
    before = {
        dose.pk: (dose.scheduled_at, dose.status)
        for dose in Dose.objects.filter(pk__in=[taken.pk, skipped.pk, missed.pk, due.pk, away.pk])
    }
    assert sorted(status for _, status in before.values()) == [
        "missed",
        "pending",
        "skipped",
        "skipped",
        "taken",
    ]

    services.medication_update(reminder=reminder, schedule=schedule("09:00", "21:00"), dosage="850 mg")

    after = {dose.pk: (dose.scheduled_at, dose.status) for dose in reminder.doses.filter(pk__in=before)}
    assert after == before
    assert dose_times(reminder) == [
        "2026-02-26 08:00",
        "2026-02-27 08:00",
        "2026-02-28 08:00",
        "2026-03-01 08:00",
        "2026-03-01 21:00",
        "2026-03-02 09:00",
        "2026-03-02 21:00",
        "2026-03-03 08:00",
        *[f"2026-03-{day:02d} {at}" for day in range(3, 8) for at in ("09:00", "21:00")],
        "2026-03-08 09:00",
    ]
    new = reminder.doses.filter(scheduled_at__gt=T0)
    assert {dose.dosage for dose in new if dose.pk != away.pk} == {"850 mg"}
    assert reminder.confirmations.count() == 1


def test_pausing_removes_future_pending_doses_and_resuming_makes_them_from_now(patient, clock):
    clock.move_to(T0 - DAY)
    reminder = medication(patient, "08:00")
    clock.move_to(T0)

    services.medication_set_active(reminder=reminder, active=False)

    assert dose_times(reminder) == ["2026-03-01 08:00"], "the dose already due this morning stays"
    clock.move_to(T0 + DAY)
    assert services.doses_make_ahead() == 0
    assert reminder.doses.count() == 1

    clock.move_to(T0 + 2 * DAY)  # Tuesday 3 March, noon
    services.medication_set_active(reminder=reminder, active=True)

    # Nothing for the days it was paused; from now on, seven days again.
    assert dose_times(reminder) == ["2026-03-01 08:00", *[f"2026-03-{day:02d} 08:00" for day in range(4, 11)]]


def test_a_time_zone_change_moves_local_doses_and_keeps_home_time_doses(patient, clock):
    clock.move_to(T0 - DAY)
    follows = medication(patient, "08:00", name="Follows me")
    home = medication(patient, "08:00", name="Home time", mode="home")
    clock.move_to(T0)
    home_before = {dose.pk: dose.scheduled_at for dose in home.doses.all()}

    patient_profile_update(profile=patient, time_zone=LOS_ANGELES)

    # The London 08:00 dose due this morning stays; the rest are at 08:00 in Los Angeles,
    # which is 16:00 UTC before 8 March and 15:00 UTC from then on (PDT).
    assert dose_times(follows, LOS_ANGELES) == [
        "2026-03-01 00:00",
        *[f"2026-03-{day:02d} 08:00" for day in range(1, 8)],
    ]
    assert dose_at(follows, "2026-03-07 08:00", LOS_ANGELES).scheduled_at == utc(2026, 3, 7, 16)
    # Home time: the same instants as before, 08:00 in London (midnight in Los Angeles).
    assert {dose.pk: dose.scheduled_at for dose in home.doses.all()} == home_before
    assert dose_times(home, LONDON) == [f"2026-03-{day:02d} 08:00" for day in range(1, 8)]
    assert dose_times(home, LOS_ANGELES)[1] == "2026-03-02 00:00"

    clock.move_to(T0 + DAY)
    services.doses_make_ahead()
    assert dose_times(follows, LOS_ANGELES)[-1] == "2026-03-08 08:00"
    assert dose_at(follows, "2026-03-08 08:00", LOS_ANGELES).scheduled_at == utc(2026, 3, 8, 15)
    assert dose_times(home, LONDON)[-1] == "2026-03-09 08:00"


# --- 3. Time zones in the database ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "change_day", "before_utc", "after_utc"),
    [
        pytest.param(
            NEW_YORK, datetime.date(2026, 3, 8), utc(2026, 3, 7, 13), utc(2026, 3, 8, 12), id="NY-spring"
        ),
        pytest.param(
            NEW_YORK, datetime.date(2026, 11, 1), utc(2026, 10, 31, 12), utc(2026, 11, 1, 13), id="NY-fall"
        ),
        pytest.param(
            LONDON, datetime.date(2026, 3, 29), utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), id="London-spring"
        ),
        pytest.param(
            LONDON, datetime.date(2026, 10, 25), utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), id="London-fall"
        ),
        # Lord Howe moves by 30 minutes: +11:00 in summer, +10:30 in winter.
        pytest.param(
            "Australia/Lord_Howe",
            datetime.date(2026, 4, 5),
            utc(2026, 4, 3, 21),
            utc(2026, 4, 4, 21, 30),
            id="LordHowe-autumn",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            datetime.date(2026, 10, 4),
            utc(2026, 10, 2, 21, 30),
            utc(2026, 10, 3, 21),
            id="LordHowe-spring",
        ),
    ],
)
def test_an_8am_dose_stays_at_8am_local_across_daylight_saving(zone, change_day, before_utc, after_utc):
    start = datetime.datetime.combine(change_day - 3 * DAY, datetime.time(12), tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        reminder = medication(PatientFactory(time_zone=zone), "08:00")
        for days in range(1, 8):
            clock.move_to(start + days * DAY)
            services.doses_make_ahead()

    times = dose_times(reminder, zone)
    assert len(times) == 14
    assert {at[-5:] for at in times} == {"08:00"}
    assert len({at[:10] for at in times}) == 14, "one dose each local day"
    day_before = dose_at(reminder, f"{change_day - DAY} 08:00", zone)
    day_of = dose_at(reminder, f"{change_day} 08:00", zone)
    assert (day_before.scheduled_at, day_of.scheduled_at) == (before_utc, after_utc)


def test_an_8am_dose_in_kolkata_is_0230_utc(clock):
    reminder = medication(PatientFactory(time_zone="Asia/Kolkata"), "08:00")

    assert [dose.scheduled_at for dose in reminder.doses.all()][:3] == [
        utc(2026, 3, 2, 2, 30),
        utc(2026, 3, 3, 2, 30),
        utc(2026, 3, 4, 2, 30),
    ]
    assert {
        local(at, "Asia/Kolkata")[-5:] for at in reminder.doses.values_list("scheduled_at", flat=True)
    } == {"08:00"}


def test_a_patient_moving_from_berlin_to_los_angeles_takes_doses_at_8am_there(clock):
    patient = PatientFactory(time_zone=BERLIN)
    reminder = medication(patient, "08:00")
    # 08:00 in Berlin is 07:00 UTC (CET).
    assert [local(at, "UTC") for at in reminder.doses.values_list("scheduled_at", flat=True)][:2] == [
        "2026-03-02 07:00",
        "2026-03-03 07:00",
    ]
    for day in (2, 3, 4):
        clock.move_to(utc(2026, 3, day, 7, 5))
        services.dose_confirm(dose=dose_at(reminder, f"2026-03-0{day} 08:00"), by=patient.user, method="web")

    # Wednesday 4 March 18:00 UTC: 19:00 in Berlin, 10:00 in Los Angeles. They land and change zone.
    clock.move_to(utc(2026, 3, 4, 18))
    patient_profile_update(profile=patient, time_zone=LOS_ANGELES)

    assert dose_times(reminder, BERLIN)[:3] == ["2026-03-02 08:00", "2026-03-03 08:00", "2026-03-04 08:00"]
    assert list(reminder.doses.values_list("status", flat=True)[:3]) == [Dose.Status.TAKEN] * 3
    # From tomorrow, 08:00 in Los Angeles, before and after the US clocks change on 8 March.
    assert dose_times(reminder, LOS_ANGELES)[3:] == [f"2026-03-{day:02d} 08:00" for day in range(5, 12)]
    assert [at.hour for at in reminder.doses.values_list("scheduled_at", flat=True)[3:]] == [16] * 3 + [
        15
    ] * 4
    assert reminder.doses.filter(status=Dose.Status.PENDING).count() == 7


def test_a_dose_at_0230_on_the_us_spring_forward_day_is_at_0300(clock):
    clock.move_to(utc(2026, 3, 5, 12))
    reminder = medication(PatientFactory(time_zone=NEW_YORK), "02:30")

    assert dose_times(reminder)[:5] == [
        "2026-03-06 02:30",
        "2026-03-07 02:30",
        "2026-03-08 03:00",
        "2026-03-09 02:30",
        "2026-03-10 02:30",
    ]
    assert dose_at(reminder, "2026-03-08 03:00").scheduled_at == utc(2026, 3, 8, 7)


def test_a_dose_at_0130_on_the_us_fall_back_day_happens_once(clock):
    clock.move_to(utc(2026, 10, 29, 12))
    reminder = medication(PatientFactory(time_zone=NEW_YORK), "01:30")

    times = dose_times(reminder)
    assert times[:5] == [
        "2026-10-30 01:30",
        "2026-10-31 01:30",
        "2026-11-01 01:30",
        "2026-11-02 01:30",
        "2026-11-03 01:30",
    ]
    on_the_day = [
        dose for dose in reminder.doses.all() if local(dose.scheduled_at, NEW_YORK)[:10] == "2026-11-01"
    ]
    assert [dose.scheduled_at for dose in on_the_day] == [utc(2026, 11, 1, 5, 30)], "the first 01:30 (EDT)"


# --- 4. Confirming, skipping, undoing ------------------------------------------------------------


@pytest.fixture
def morning_dose(patient):
    """A daily 08:00 medication (one-hour window) made at 06:00 on 1 March; the clock stands at 08:10."""
    with time_machine.travel(utc(2026, 3, 1, 6), tick=False) as traveller:
        reminder = medication(patient, "08:00")
        traveller.move_to(utc(2026, 3, 1, 8, 10))
        yield reminder, dose_at(reminder, "2026-03-01 08:00"), traveller


def test_confirming_marks_the_dose_taken_and_logs_who_when_and_how(patient, morning_dose):
    reminder, dose, _ = morning_dose

    log = services.dose_confirm(dose=dose, by=patient.user, method="web", taken_at=utc(2026, 3, 1, 8, 5))

    dose.refresh_from_db()
    assert (dose.status, dose.taken_at, dose.resolved_at) == (
        Dose.Status.TAKEN,
        utc(2026, 3, 1, 8, 5),
        utc(2026, 3, 1, 8, 10),
    )
    assert not dose.taken_late
    assert ConfirmationLog.objects.count() == 1
    log.refresh_from_db()
    assert (log.reminder_id, log.dose_id, log.confirmed_at, log.confirmed_by_id) == (
        reminder.pk,
        dose.pk,
        utc(2026, 3, 1, 8, 5),
        patient.user.pk,
    )
    assert (log.role, log.method, log.late, log.undone_at) == ("patient", "web", False, None)


def test_a_caregiver_confirming_is_logged_as_the_caregiver(patient, morning_dose):
    _, dose, _ = morning_dose
    link = CareLinkFactory(patient=patient, can_confirm_doses=True)

    log = services.dose_confirm(dose=dose, by=link.caregiver, method="link")

    assert (log.role, log.method, log.confirmed_by, log.confirmed_at) == (
        "caregiver",
        "link",
        link.caregiver,
        utc(2026, 3, 1, 8, 10),
    )


def test_confirming_twice_returns_the_same_log(patient, morning_dose):
    _, dose, clock = morning_dose
    first = services.dose_confirm(dose=dose, by=patient.user, method="web")
    clock.move_to(utc(2026, 3, 1, 8, 11))
    stale = Dose.objects.get(pk=dose.pk)
    stale.status = Dose.Status.PENDING  # a second tab that still shows the dose as pending

    second = services.dose_confirm(dose=stale, by=patient.user, method="api")

    assert second.pk == first.pk
    assert ConfirmationLog.objects.count() == 1
    assert Dose.objects.get(pk=dose.pk).taken_at == utc(2026, 3, 1, 8, 10)


def test_confirming_after_the_window_is_allowed_and_marked_late(patient, morning_dose):
    _, dose, clock = morning_dose
    clock.move_to(utc(2026, 3, 1, 9, 30))  # the window ended at 09:00

    log = services.dose_confirm(dose=dose, by=patient.user, method="web")

    dose.refresh_from_db()
    assert dose.status == Dose.Status.TAKEN
    assert dose.taken_late
    assert log.late is True


def test_a_missed_dose_can_be_confirmed_late(patient, morning_dose):
    _, dose, clock = morning_dose
    clock.move_to(utc(2026, 3, 1, 11))
    Dose.objects.filter(pk=dose.pk).update(status=Dose.Status.MISSED, resolved_at=utc(2026, 3, 1, 9, 1))

    log = services.dose_confirm(dose=dose, by=patient.user, method="web", taken_at=utc(2026, 3, 1, 10, 30))

    dose.refresh_from_db()
    assert (dose.status, dose.taken_at, log.late) == (Dose.Status.TAKEN, utc(2026, 3, 1, 10, 30), True)


def test_a_time_still_to_come_or_long_before_the_dose_is_refused(patient, morning_dose):
    reminder, dose, clock = morning_dose

    with pytest.raises(DoseError, match="still to come"):
        services.dose_confirm(dose=dose, by=patient.user, method="web", taken_at=utc(2026, 3, 1, 8, 30))
    clock.move_to(utc(2026, 3, 1, 21))
    tomorrow = dose_at(reminder, "2026-03-02 08:00")
    with pytest.raises(DoseError, match="more than 12 hours before"):
        services.dose_confirm(dose=tomorrow, by=patient.user, method="web", taken_at=utc(2026, 3, 1, 19, 59))

    assert ConfirmationLog.objects.count() == 0
    assert set(reminder.doses.values_list("status", flat=True)) == {Dose.Status.PENDING}
    # A minute inside the 12 hours is fine: the person took tomorrow's dose early.
    services.dose_confirm(dose=tomorrow, by=patient.user, method="web", taken_at=utc(2026, 3, 1, 20, 1))


def test_a_dose_up_to_12_hours_early_can_be_confirmed(patient, morning_dose):
    reminder, _, clock = morning_dose
    clock.move_to(utc(2026, 3, 1, 20))
    tomorrow = dose_at(reminder, "2026-03-02 08:00")

    log = services.dose_confirm(dose=tomorrow, by=patient.user, method="web")

    assert (Dose.objects.get(pk=tomorrow.pk).status, log.late) == (Dose.Status.TAKEN, False)


def test_a_schedule_edit_keeps_a_dose_taken_early(patient, morning_dose):
    reminder, _, clock = morning_dose
    clock.move_to(utc(2026, 3, 1, 21))
    tomorrow = dose_at(reminder, "2026-03-02 08:00")
    services.dose_confirm(dose=tomorrow, by=patient.user, method="web")

    services.medication_update(reminder=reminder, schedule=schedule("08:00"), grace_minutes=30)

    kept = Dose.objects.get(pk=tomorrow.pk)
    assert (kept.status, kept.window_ends_at) == (Dose.Status.TAKEN, utc(2026, 3, 2, 9))
    assert dose_times(reminder) == [f"2026-03-{day:02d} 08:00" for day in range(1, 9)]
    assert reminder.doses.get(scheduled_at=utc(2026, 3, 3, 8)).window_ends_at == utc(2026, 3, 3, 8, 30)


def test_rebuilding_says_how_many_doses_are_new(patient, morning_dose):
    reminder, _, clock = morning_dose
    clock.move_to(utc(2026, 3, 1, 21))
    services.dose_confirm(dose=dose_at(reminder, "2026-03-02 08:00"), by=patient.user, method="web")
    before = reminder.doses.count()

    made = services.doses_rebuild(reminder=reminder)

    # 3 to 7 March were removed and made again; 8 March is new; 2 March (taken) was already there.
    assert reminder.doses.count() - before == 1
    assert made == 6


def test_a_schedule_edit_keeps_the_log_of_an_undone_confirmation(patient, morning_dose):
    reminder, _, clock = morning_dose
    clock.move_to(utc(2026, 3, 1, 21))
    log = services.dose_confirm(dose=dose_at(reminder, "2026-03-02 08:00"), by=patient.user, method="web")
    clock.move_to(utc(2026, 3, 1, 21, 5))
    services.dose_undo(dose=log.dose, by=patient.user)

    clock.move_to(utc(2026, 3, 1, 21, 10))
    services.medication_update(reminder=reminder, schedule=schedule("09:00"))

    assert ConfirmationLog.objects.get(pk=log.pk).undone_at == utc(2026, 3, 1, 21, 5)


def test_a_skipped_dose_cannot_be_confirmed_until_the_skip_is_undone(patient, morning_dose):
    _, dose, clock = morning_dose
    services.dose_skip(dose=dose, by=patient.user, reason="unwell")

    with pytest.raises(DoseError, match=r"skipped\. Undo the skip first"):
        services.dose_confirm(dose=dose, by=patient.user, method="web")
    assert ConfirmationLog.objects.count() == 0

    clock.move_to(utc(2026, 3, 1, 8, 15))
    undone = services.dose_undo(dose=dose, by=patient.user)
    assert (undone.status, undone.skip_reason, undone.resolved_at) == (Dose.Status.PENDING, "", None)
    services.dose_confirm(dose=dose, by=patient.user, method="web")
    assert Dose.objects.get(pk=dose.pk).status == Dose.Status.TAKEN


def test_undo_within_ten_minutes_restores_pending_and_a_new_confirmation_is_a_second_log(
    patient, morning_dose
):
    _, dose, clock = morning_dose
    first = services.dose_confirm(dose=dose, by=patient.user, method="web")

    clock.move_to(utc(2026, 3, 1, 8, 19))
    undone = services.dose_undo(dose=dose, by=patient.user)

    assert (undone.status, undone.taken_at, undone.resolved_at) == (Dose.Status.PENDING, None, None)
    first.refresh_from_db()
    assert first.undone_at == utc(2026, 3, 1, 8, 19)

    clock.move_to(utc(2026, 3, 1, 8, 25))
    second = services.dose_confirm(dose=dose, by=patient.user, method="web")

    assert second.pk != first.pk
    assert ConfirmationLog.objects.filter(dose=dose).count() == 2
    assert list(ConfirmationLog.objects.filter(dose=dose, undone_at__isnull=True)) == [second]
    assert Dose.objects.get(pk=dose.pk).taken_at == utc(2026, 3, 1, 8, 25)


def test_undo_after_the_window_has_ended_leaves_the_dose_missed(patient, morning_dose):
    _, dose, clock = morning_dose
    clock.move_to(utc(2026, 3, 1, 9, 30))
    services.dose_confirm(dose=dose, by=patient.user, method="web")

    clock.move_to(utc(2026, 3, 1, 9, 35))
    undone = services.dose_undo(dose=dose, by=patient.user)

    assert (undone.status, undone.taken_at, undone.resolved_at) == (
        Dose.Status.MISSED,
        None,
        utc(2026, 3, 1, 9, 35),
    )


def test_undo_more_than_ten_minutes_later_is_refused(patient, morning_dose):
    _, dose, clock = morning_dose
    log = services.dose_confirm(dose=dose, by=patient.user, method="web")

    clock.move_to(utc(2026, 3, 1, 8, 10) + UNDO_WINDOW + MINUTE)
    with pytest.raises(DoseError, match="too late to undo"):
        services.dose_undo(dose=dose, by=patient.user)

    assert Dose.objects.get(pk=dose.pk).status == Dose.Status.TAKEN
    log.refresh_from_db()
    assert log.undone_at is None


def test_nothing_to_undo_on_a_pending_dose(patient, morning_dose):
    _, dose, _ = morning_dose
    with pytest.raises(DoseError, match="nothing to undo"):
        services.dose_undo(dose=dose, by=patient.user)


def test_skipping_needs_a_reason_and_other_needs_a_note(patient, morning_dose):
    _, dose, _ = morning_dose

    with pytest.raises(DoseError, match="Choose why"):
        services.dose_skip(dose=dose, by=patient.user, reason="")
    with pytest.raises(DoseError, match="Say in a few words"):
        services.dose_skip(dose=dose, by=patient.user, reason="other", note="   ")
    assert Dose.objects.get(pk=dose.pk).status == Dose.Status.PENDING

    skipped = services.dose_skip(dose=dose, by=patient.user, reason="other", note="  Dentist said wait  ")

    assert (skipped.status, skipped.skip_reason, skipped.skip_note, skipped.resolved_at) == (
        Dose.Status.SKIPPED,
        "other",
        "Dentist said wait",
        utc(2026, 3, 1, 8, 10),
    )


def test_a_taken_dose_cannot_be_skipped(patient, morning_dose):
    _, dose, _ = morning_dose
    services.dose_confirm(dose=dose, by=patient.user, method="web")
    with pytest.raises(DoseError, match="already recorded as taken"):
        services.dose_skip(dose=dose, by=patient.user, reason="unwell")
    assert Dose.objects.get(pk=dose.pk).status == Dose.Status.TAKEN


def test_is_confirmed_says_whether_the_latest_due_dose_was_taken(patient, morning_dose):
    reminder, dose, clock = morning_dose

    def both() -> tuple[bool, bool]:
        fresh = MedicationReminder.objects.get(pk=reminder.pk)
        annotated = MedicationReminder.objects.with_is_confirmed().get(pk=reminder.pk)
        return fresh.is_confirmed, annotated.is_confirmed

    assert both() == (False, False)
    services.dose_confirm(dose=dose, by=patient.user, method="web")
    assert both() == (True, True)
    clock.move_to(utc(2026, 3, 2, 8, 1))  # the next dose is due and not yet taken
    assert both() == (False, False)
    services.dose_confirm(dose=dose_at(reminder, "2026-03-02 08:00"), by=patient.user, method="web")
    assert both() == (True, True)
    assert (
        MedicationReminder.objects.with_is_confirmed(now=utc(2026, 3, 1, 9)).get(pk=reminder.pk).is_confirmed
    )


# --- 5. As needed --------------------------------------------------------------------------------


@pytest.fixture
def prn(patient, clock):
    return services.medication_create(
        patient=patient, schedule=as_needed(count=2, hours=24), medication_name="Ibuprofen", dosage="400 mg"
    )


def test_taking_an_as_needed_dose_records_a_taken_dose_and_a_log(patient, prn):
    log = services.as_needed_take(reminder=prn, by=patient.user, method="web")

    dose = prn.doses.get()
    assert (dose.status, dose.as_needed, dose.scheduled_at, dose.taken_at, dose.dosage) == (
        Dose.Status.TAKEN,
        True,
        T0,
        T0,
        "400 mg",
    )
    assert (log.dose_id, log.reminder_id, log.confirmed_at, log.role, log.method) == (
        dose.pk,
        prn.pk,
        T0,
        "patient",
        "web",
    )


def test_a_second_tap_within_a_minute_is_the_same_dose(patient, prn, clock):
    first = services.as_needed_take(reminder=prn, by=patient.user, method="web")
    clock.move_to(T0 + timedelta(seconds=50))

    second = services.as_needed_take(reminder=prn, by=patient.user, method="web")

    assert second.pk == first.pk
    assert prn.doses.count() == 1
    assert ConfirmationLog.objects.count() == 1


def test_over_the_maximum_is_refused_unless_the_person_says_take_anyway(patient, prn, clock):
    services.as_needed_take(reminder=prn, by=patient.user, method="web")
    clock.move_to(T0 + 4 * HOUR)
    services.as_needed_take(reminder=prn, by=patient.user, method="web")
    clock.move_to(T0 + 8 * HOUR)

    with pytest.raises(OverMaximum) as refused:
        services.as_needed_take(reminder=prn, by=patient.user, method="web")
    assert str(refused.value) == (
        "You have taken 2 doses in the last 24 hours; the most for this medication is 2."
    )
    assert (refused.value.taken, refused.value.count, refused.value.hours) == (2, 2, 24)
    assert prn.doses.count() == 2

    log = services.as_needed_take(reminder=prn, by=patient.user, method="web", over_maximum_ok=True)
    assert log.dose.status == Dose.Status.TAKEN
    assert prn.doses.count() == 3

    # A day after the first dose, it has left the 24-hour window.
    clock.move_to(T0 + 24 * HOUR + MINUTE)
    with pytest.raises(OverMaximum, match="taken 2 doses"):
        services.as_needed_take(reminder=prn, by=patient.user, method="web")
    clock.move_to(T0 + 28 * HOUR + MINUTE)
    services.as_needed_take(reminder=prn, by=patient.user, method="web")
    assert prn.doses.count() == 4


def test_undoing_an_as_needed_dose_removes_it(patient, prn, clock):
    log = services.as_needed_take(reminder=prn, by=patient.user, method="web")
    clock.move_to(T0 + 2 * MINUTE)

    assert services.dose_undo(dose=log.dose, by=patient.user) is None

    assert prn.doses.count() == 0
    # It no longer counts towards the maximum, and a new tap is a new dose.
    services.as_needed_take(reminder=prn, by=patient.user, method="web")
    assert prn.doses.count() == 1


def test_undoing_an_as_needed_dose_keeps_its_log_marked_undone(patient, prn, clock):
    log = services.as_needed_take(reminder=prn, by=patient.user, method="web")
    clock.move_to(T0 + 2 * MINUTE)

    services.dose_undo(dose=log.dose, by=patient.user)

    assert ConfirmationLog.objects.get(pk=log.pk).undone_at == T0 + 2 * MINUTE


def test_two_back_dated_doses_entered_one_after_the_other_are_both_recorded(patient, prn, clock):
    first = services.as_needed_take(reminder=prn, by=patient.user, method="web", taken_at=T0 - 6 * HOUR)
    clock.move_to(T0 + timedelta(seconds=20))

    second = services.as_needed_take(reminder=prn, by=patient.user, method="web", taken_at=T0 - HOUR)

    assert second.pk != first.pk
    assert sorted(prn.doses.values_list("taken_at", flat=True)) == [T0 - 6 * HOUR, T0 - HOUR]


def test_an_as_needed_dose_at_a_time_already_recorded_is_not_a_crash(patient, prn, clock):
    services.as_needed_take(reminder=prn, by=patient.user, method="web", taken_at=T0 - HOUR)
    clock.move_to(T0 + 5 * MINUTE)

    with contextlib.suppress(DoseError):  # refusing with a message would be fine; crashing is not
        services.as_needed_take(reminder=prn, by=patient.user, method="web", taken_at=T0 - HOUR)

    assert prn.doses.filter(taken_at=T0 - HOUR).count() >= 1


# --- 6. The make-doses job through django-q2 -----------------------------------------------------


def test_migrate_registers_the_make_doses_job():
    job_row = Q2Schedule.objects.get(name="adhere: make doses ahead")
    assert (job_row.func, job_row.schedule_type, job_row.minutes, job_row.repeats) == (
        "reminders.tasks.make_doses",
        Q2Schedule.MINUTES,
        60,
        -1,
    )


def test_make_doses_task_tops_up_to_the_horizon(patient, clock):
    clock.move_to(T0 - DAY)
    reminder = medication(patient, "08:00")
    clock.move_to(T0)
    assert make_doses() == 1
    assert make_doses() == 0
    assert dose_times(reminder)[-1] == "2026-03-08 08:00"


def test_the_q2_scheduler_runs_make_doses_every_hour(patient, clock, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)
    broker = get_broker()
    clock.move_to(T0 - DAY)
    reminder = medication(patient, "08:00", "20:00")
    clock.move_to(T0)
    Q2Schedule.objects.filter(name="adhere: make doses ahead").update(next_run=T0 - timedelta(seconds=1))

    scheduler(broker=broker)

    assert dose_times(reminder)[-2:] == ["2026-03-07 20:00", "2026-03-08 08:00"]
    task = Task.objects.get(group="adhere: make doses ahead")
    assert (task.func, task.success, task.result) == ("reminders.tasks.make_doses", True, 2)

    clock.move_to(T0 + 30 * MINUTE)
    scheduler(broker=broker)
    assert Task.objects.filter(group="adhere: make doses ahead").count() == 1, "ran before it was due"

    clock.move_to(T0 + 9 * HOUR)  # 21:00 on 1 March: the 20:00 dose on 8 March is now within 7 days
    scheduler(broker=broker)
    assert dose_times(reminder)[-1] == "2026-03-08 20:00"
    assert reminder.doses.count() == 17
    assert Task.objects.filter(group="adhere: make doses ahead").count() == 2


def test_it_skips_a_medication_it_cannot_schedule_and_still_makes_everyone_elses_doses(clock, caplog):
    clock.move_to(T0 - DAY)
    # Listed first (by name), so every medication the job reads after it is at stake.
    broken = medication(PatientFactory(time_zone=LONDON), "09:00", name="Aspirin")
    metformin = medication(PatientFactory(time_zone=LONDON), "08:00", name="Metformin")
    ramipril = medication(PatientFactory(time_zone=BERLIN), "20:00", name="Ramipril")
    # What a write around the checks leaves behind: a schedule without a single step.
    MedicationReminder.objects.filter(pk=broken.pk).update(schedule={"start_date": "2026-01-01", "steps": []})
    clock.move_to(T0)

    with caplog.at_level("ERROR", logger="reminders.services"):
        made = make_doses()

    assert made == 2
    assert dose_times(metformin)[-1] == "2026-03-08 08:00"
    assert dose_times(ramipril)[-1] == "2026-03-07 20:00"
    assert dose_times(broken)[-1] == "2026-03-07 09:00", "its doses stay as they were"
    [logged] = [entry.getMessage() for entry in caplog.records if entry.name == "reminders.services"]
    assert (
        logged
        == f"Made no doses for medication id={broken.pk} (ScheduleError); skipped it, the others go on."
    )
    assert "Aspirin" not in caplog.text
