"""MissedDoseAlert.escalation_step(): who is told when, as a pure function of the alert and the delays.

No database: the alert, its dose and its patient are unsaved objects, as select_related loads them.
"""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from patients.models import PatientProfile
from reminders.models import Dose, MissedDoseAlert

ALERTED = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night London springs forward

delays_strategy = st.dictionaries(
    keys=st.integers(min_value=1, max_value=50), values=st.integers(min_value=0, max_value=600), max_size=6
)


def alert(
    *, through: int = -1, acknowledged: bool = False, dose_status: str = "missed", active: bool = True
) -> MissedDoseAlert:
    return MissedDoseAlert(
        dose=Dose(status=dose_status),
        patient=PatientProfile(is_active=active),
        alerted_at=ALERTED,
        escalated_through=through,
        acknowledged_at=ALERTED if acknowledged else None,
    )


def minutes(n: float) -> datetime.datetime:
    return ALERTED + timedelta(minutes=n)


def test_it_tells_the_caregivers_whose_delay_has_passed_and_says_when_the_next_is_due():
    step = alert().escalation_step(delays={1: 0, 2: 30, 3: 30, 4: 120}, now=minutes(45))
    assert step.tell == {1, 2, 3}
    assert step.through == 30
    assert step.next_due_at == minutes(120)


def test_it_does_not_tell_again_whom_an_earlier_step_told():
    step = alert(through=30).escalation_step(delays={1: 0, 2: 30, 4: 120}, now=minutes(130))
    assert step.tell == {4}
    assert step.through == 120
    assert step.next_due_at is None


def test_a_caregiver_added_with_a_delay_already_passed_is_not_told_late():
    step = alert(through=60).escalation_step(delays={9: 15}, now=minutes(61))
    assert step.tell == frozenset()
    assert step.through == 60


def test_before_the_first_delay_nobody_is_told():
    step = alert().escalation_step(delays={1: 30}, now=minutes(29.9))
    assert step.tell == frozenset()
    assert step.through == -1
    assert step.next_due_at == minutes(30)


def test_without_caregivers_there_is_no_step():
    step = alert().escalation_step(delays={}, now=minutes(5))
    assert (step.tell, step.through, step.next_due_at) == (frozenset(), -1, None)


def test_delays_count_real_minutes_across_a_daylight_saving_change():
    # 00:30 UTC + 60 minutes is 01:30 UTC, 02:30 on London's clock that night: one hour later all the same.
    step = alert().escalation_step(delays={1: 60}, now=datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert step.tell == {1}


def test_the_first_step_is_due_after_the_shortest_delay():
    assert MissedDoseAlert.first_escalation_due_at(ALERTED, [90, 15, 30]) == minutes(15)
    assert MissedDoseAlert.first_escalation_due_at(ALERTED, []) is None


@given(
    delays=delays_strategy,
    why=st.sampled_from(["acknowledged", "taken", "skipped", "paused"]),
    now=st.integers(min_value=0, max_value=700),
)
def test_once_the_escalation_is_over_nobody_is_told_and_no_step_follows(delays, why, now):
    over = alert(
        acknowledged=why == "acknowledged",
        dose_status={"taken": "taken", "skipped": "skipped"}.get(why, "missed"),
        active=why != "paused",
        through=7,
    )
    step = over.escalation_step(delays=delays, now=minutes(now))
    assert (step.tell, step.through, step.next_due_at) == (frozenset(), 7, None)


@given(
    delays=delays_strategy,
    through=st.integers(min_value=-1, max_value=600),
    now=st.floats(min_value=0, max_value=700, allow_nan=False),
)
def test_one_step_against_its_definition(delays, through, now):
    step = alert(through=through).escalation_step(delays=delays, now=minutes(now))
    assert step.tell == {who for who, delay in delays.items() if through < delay <= now}
    assert step.through == max([through, *(delays[who] for who in step.tell)])
    assert step.through >= through
    later = [delay for delay in delays.values() if delay > now]
    assert step.next_due_at == (minutes(min(later)) if later else None)
    if step.next_due_at is not None:
        assert step.next_due_at > minutes(now)


@settings(max_examples=200)
@given(delays=delays_strategy, late=st.lists(st.integers(min_value=0, max_value=90), max_size=10))
def test_run_step_by_step_each_caregiver_is_told_once_and_never_before_their_delay(delays, late):
    """The escalation job, simulated: each run comes at or after the step's due time (a late worker)."""
    missed = alert()
    told_at: dict[int, datetime.datetime] = {}
    due = MissedDoseAlert.first_escalation_due_at(ALERTED, delays.values())
    runs = iter(late)
    while due is not None:
        now = due + timedelta(minutes=next(runs, 0))
        step = missed.escalation_step(delays=delays, now=now)
        for who in step.tell:
            assert who not in told_at, "told twice"
            told_at[who] = now
        missed.escalated_through, due = step.through, step.next_due_at
    # Everyone is told, late runs or not, and nobody before their delay.
    assert set(told_at) == set(delays)
    for who, at in told_at.items():
        assert at >= minutes(delays[who])
    if not late:
        assert told_at == {who: minutes(delay) for who, delay in delays.items()}
