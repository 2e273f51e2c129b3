"""A schedule in one plain sentence, for lists and emails."""

from __future__ import annotations

from reminders.schedule import Schedule, Step

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _times(step: Step) -> str:
    return ", ".join(at.strftime("%H:%M") for at in step.times)


def _step(step: Step) -> str:
    repeat = step.repeat
    if repeat.kind == "every_n_hours":
        return f"every {repeat.every} hours from {_times(step)}"
    when = {
        "daily": "every day",
        "weekdays": "on " + ", ".join(DAY_NAMES[day] for day in repeat.weekdays),
        "every_n_days": f"every {repeat.every} days",
        "cycle": f"{repeat.on_days} days on, then {repeat.off_days} days off",
    }[repeat.kind]
    return f"{_times(step)} {when}"


def describe_schedule(schedule: Schedule) -> str:
    if schedule.as_needed:
        text = "When needed"
        if schedule.max_per_period:
            maximum = schedule.max_per_period
            text += f", at most {maximum.count} in {maximum.hours} hours"
    elif len(schedule.steps) == 1:
        step = _step(schedule.steps[0])
        text = step[:1].upper() + step[1:]
    else:
        parts = [
            f"{step.dosage}" + (f" for {step.days} days" if step.days else "") + f" ({_step(step)})"
            for step in schedule.steps
        ]
        text = ", then ".join(parts)
    text += f". From {schedule.start_date:%-d %B %Y}"
    if schedule.end_date:
        text += f" to {schedule.end_date:%-d %B %Y}"
    elif schedule.duration_days:
        text += f" for {schedule.duration_days} days"
    if schedule.count:
        text += f", {schedule.count} doses in all"
    return text + "."
