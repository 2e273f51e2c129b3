"""The brief's own shapes through the API (issue 13, item 1).

- `schedule: ["08:00", "20:00"]`: every day at those times from today in the patient's zone.
- `POST ConfirmationLog {reminder}`: confirms that medication's dose due now.
- A profile without `timeZone`: the account's browser zone, else the site default, said in the answer.
- No database id in any answer.

Ann lives in London, Nina in New York. Unless a test says otherwise it is Wednesday 4 March 2026,
03:00 UTC: in London the 4th, in New York still Tuesday the 3rd (22:00).
"""

from __future__ import annotations

import datetime

import pytest

from api.tests.helpers import DOSES, REMINDERS, detail
from audit.models import AuditEntry
from reminders.models import Dose, MedicationReminder
from reminders.tests.factories import MedicationFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 4, 3, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW), pytest.mark.usefixtures("clock")]


# --- a. A schedule as a list of times ------------------------------------------------------------


def test_a_list_of_times_means_every_day_from_today_in_the_patients_zone(nina, api_for):
    response = api_for(nina.user).post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": ["08:00", "20:00"]}
    )

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    # Still the 3rd in New York: the schedule starts there, and holds the object form.
    assert body["schedule"] == {
        "start_date": "2026-03-03",
        "steps": [{"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}, "days": None, "dosage": ""}],
        "as_needed": False,
        "end_date": None,
        "duration_days": None,
        "count": None,
        "max_per_period": None,
    }
    assert body["times"] == ["08:00", "20:00"]
    assert body["scheduleSummary"] == "08:00, 20:00 every day. From 3 March 2026."
    reminder = MedicationReminder.objects.get()
    assert reminder.schedule == body["schedule"]
    # Its doses are New York's 08:00 and 20:00 (EST, UTC-5); tonight's 20:00 (01:00 UTC) has passed.
    doses = api_for(nina.user).get(f"{DOSES}?reminder={body['objectId']}&to=2026-03-05T02:00:00Z").json()
    assert [dose["scheduledAt"] for dose in doses["results"]] == [
        "2026-03-04T13:00:00Z",
        "2026-03-05T01:00:00Z",
    ]


def test_the_object_form_still_works_and_answers_its_times(ann_api):
    schedule = {"start_date": "2026-03-04", "steps": [{"times": ["09:30"], "repeat": {"kind": "daily"}}]}
    response = ann_api.post(REMINDERS, {"medicationName": "Aspirin", "dosage": "75 mg", "schedule": schedule})

    assert response.status_code == 201, response.content.decode()
    assert response.json()["schedule"]["steps"][0]["times"] == ["09:30"]
    assert response.json()["times"] == ["09:30"]


def test_a_tapering_schedule_answers_the_times_of_todays_step(ann_api):
    schedule = {
        "start_date": "2026-03-02",
        "steps": [
            {"times": ["08:00", "20:00"], "repeat": {"kind": "daily"}, "days": 2},
            {"times": ["08:00"], "repeat": {"kind": "daily"}},
        ],
    }
    response = ann_api.post(
        REMINDERS, {"medicationName": "Prednisolone", "dosage": "5 mg", "schedule": schedule}
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["times"] == ["08:00"]  # the 4th: the second step


def test_patch_with_a_list_of_times_starts_today_in_the_medications_zone(ann, ann_api):
    reminder = MedicationFactory(patient=ann, medication_name="Metformin")

    response = ann_api.patch(detail(REMINDERS, reminder.object_id), {"schedule": ["07:30"]})

    assert response.status_code == 200, response.content.decode()
    assert response.json()["schedule"]["start_date"] == "2026-03-04"
    assert response.json()["times"] == ["07:30"]
    reminder.refresh_from_db()
    assert [step["times"] for step in reminder.schedule["steps"]] == [["07:30"]]
    assert list(
        Dose.objects.filter(reminder=reminder, scheduled_at__gte=NOW).values_list("scheduled_at", flat=True)[
            :1
        ]
    ) == [datetime.datetime(2026, 3, 4, 7, 30, tzinfo=UTC)]


def every_half_hour_and_more() -> list[str]:
    return [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(0, 24 * 60, 20)]


@pytest.mark.parametrize(
    ("times", "said"),
    [
        (["25:00"], "The time must be a time like 08:00, not '25:00'."),
        (["08:00", "8am"], "The time must be a time like 08:00, not '8am'."),
        ([8], "The time must be a time like 08:00, not 8."),
        (["08:00", "20:00", "08:00"], "08:00 is listed twice."),
        ([], "Give at least one time of day."),
        (every_half_hour_and_more(), "Give at most 48 times of day."),
    ],
)
def test_bad_times_answer_400_in_words_and_save_nothing(ann_api, times, said):
    before = AuditEntry.objects.count()

    response = ann_api.post(REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": times})

    assert response.status_code == 400
    assert said in response.json()["errors"]["schedule"]
    assert not MedicationReminder.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_schedule_that_is_neither_a_list_nor_an_object_is_refused_in_words(ann_api):
    response = ann_api.post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": "08:00"}
    )

    assert response.status_code == 400
    assert response.json()["errors"]["schedule"] == [
        'A schedule is a list of times of day (["08:00", "20:00"]) or an object; see the schema\'s examples.'
    ]
