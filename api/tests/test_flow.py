"""The brief's integration flow, through the API only, as an app would run it:

sign in -> set a MedicationReminder (schedule: ["08:00", "20:00"]) -> its doses -> confirm the dose
due now with a ConfirmationLog {reminder}
-> the reminder isConfirmed -> a dose missed -> query MissedDoseAlert.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client

from accounts.tests.factories import PASSWORD, UserFactory
from api.tests.helpers import (
    CONFIRMATIONS,
    DOSES,
    LOGIN,
    PATIENTS,
    REMINDERS,
    Api,
    detail,
    is_uuid,
    log_in,
    send,
)
from notifications.sweep import sweep_missed

pytestmark = pytest.mark.django_db

# Monday 2 March 2026 in London, which is on GMT (UTC) until the 29th.
MORNING = datetime.datetime(2026, 3, 2, 7, 45, tzinfo=datetime.UTC)
JUST_AFTER_EIGHT = datetime.datetime(2026, 3, 2, 8, 10, tzinfo=datetime.UTC)
EVENING = datetime.datetime(2026, 3, 2, 20, 5, tzinfo=datetime.UTC)
LATE_EVENING = datetime.datetime(2026, 3, 2, 21, 30, tzinfo=datetime.UTC)


@dataclass
class Flow:
    api: Api
    patient: dict
    reminder: dict
    doses: list[dict]
    confirmation: dict


def run_the_flow(clock) -> Flow:
    """Everything up to the confirmation, asserting each answer on the way."""
    UserFactory(email="ann@example.org")
    client = Client()

    # Patient -> App -> POST /login: a session token comes back.
    signed_in = send(client, "POST", LOGIN, {"email": "ann@example.org", "password": PASSWORD})
    assert signed_in.status_code == 200
    api = Api(client, signed_in.json()["meta"]["session_token"])

    # The patient context: a new account sets up its profile first.
    patient = api.post(
        PATIENTS, {"displayName": "Ann Example", "phoneNumber": "+447911123456", "timeZone": "Europe/London"}
    )
    assert patient.status_code == 201, patient.content.decode()
    patient = patient.json()
    assert patient.pop("timeZoneSource") == "request"
    assert is_uuid(patient["objectId"])
    assert api.get(PATIENTS).json()["results"] == [patient]

    # Set a MedicationReminder (medicationName, dosage, schedule) in the brief's shape: the schedule
    # a list of times, every day from today in the patient's zone.
    made = api.post(
        REMINDERS, {"medicationName": "Metformin", "dosage": "500 mg", "schedule": ["08:00", "20:00"]}
    )
    assert made.status_code == 201, made.content.decode()
    reminder = made.json()
    assert reminder["patient"] == patient["objectId"]
    assert (reminder["medicationName"], reminder["dosage"], reminder["isConfirmed"]) == (
        "Metformin",
        "500 mg",
        False,
    )
    assert reminder["scheduleSummary"] == "08:00, 20:00 every day. From 2 March 2026."
    assert (reminder["schedule"]["start_date"], reminder["times"]) == ("2026-03-02", ["08:00", "20:00"])

    # Its doses: today's first two, still to come.
    doses = api.get(f"{DOSES}?reminder={reminder['objectId']}&to=2026-03-03T00:00:00Z").json()["results"]
    assert [(dose["scheduledAt"], dose["status"]) for dose in doses] == [
        ("2026-03-02T08:00:00Z", "pending"),
        ("2026-03-02T20:00:00Z", "pending"),
    ]

    # 08:10: the morning dose is due; the patient confirms it with the brief's ConfirmationLog
    # {reminder}: the medication's dose due now.
    clock.move_to(JUST_AFTER_EIGHT)
    assert api.get(detail(REMINDERS, reminder["objectId"])).json()["isConfirmed"] is False
    confirmed = api.post(CONFIRMATIONS, {"reminder": reminder["objectId"]})
    assert confirmed.status_code == 201, confirmed.content.decode()
    confirmation = confirmed.json()
    assert is_uuid(confirmation["objectId"])
    assert (confirmation["reminder"], confirmation["dose"], confirmation["confirmedAt"]) == (
        reminder["objectId"],
        doses[0]["objectId"],
        "2026-03-02T08:10:00Z",
    )
    assert (confirmation["role"], confirmation["method"], confirmation["late"]) == ("patient", "api", False)
    return Flow(api=api, patient=patient, reminder=reminder, doses=doses, confirmation=confirmation)


def test_the_flow_through_the_api():
    with time_machine.travel(MORNING, tick=False) as clock:
        flow = run_the_flow(clock)
        api, reminder_url = flow.api, detail(REMINDERS, flow.reminder["objectId"])

        # The latest dose due was taken: the reminder isConfirmed.
        assert api.get(reminder_url).json()["isConfirmed"] is True
        dose = api.get(detail(DOSES, flow.doses[0]["objectId"])).json()
        assert (dose["status"], dose["takenAt"]) == ("taken", "2026-03-02T08:10:00Z")
        assert api.get(CONFIRMATIONS).json()["results"] == [flow.confirmation]

        # A second tap on "taken" is the same ConfirmationLog, by the medication or by the dose.
        again = api.post(CONFIRMATIONS, {"reminder": flow.reminder["objectId"]})
        assert again.status_code == 200
        assert again.json() == flow.confirmation
        by_dose = api.post(CONFIRMATIONS, {"dose": flow.doses[0]["objectId"]})
        assert (by_dose.status_code, by_dose.json()) == (200, flow.confirmation)

        # 20:05: the evening dose is due and not yet taken.
        clock.move_to(EVENING)
        # Hours later the app signs in again: a token ends after 30 minutes without use.
        assert api.get(reminder_url).status_code == 401
        api.token = log_in(api.client, "ann@example.org")
        assert api.get(reminder_url).json()["isConfirmed"] is False
        assert [dose["scheduledAt"] for dose in api.get(f"{DOSES}?status=taken").json()["results"]] == [
            "2026-03-02T08:00:00Z"
        ]


def test_the_flow_queries_missed_dose_alerts():
    with time_machine.travel(MORNING, tick=False) as clock:
        flow = run_the_flow(clock)
        # 21:30: the 20:00 dose's window closed at 21:00 without a confirmation,
        # and the scheduler's missed-dose sweep has run.
        clock.move_to(LATE_EVENING)
        sweep_missed()
        flow.api.token = log_in(flow.api.client, "ann@example.org")  # hours later: signed in again

        response = flow.api.get("/api/v1/alerts/")
        evening_now = flow.api.get(detail(DOSES, flow.doses[1]["objectId"]))

        assert response.status_code == 200
        alerts = response.json()["results"]
        one = flow.api.get(detail("/api/v1/alerts/", alerts[0]["objectId"]))

    evening = flow.doses[1]
    assert [(a["reminder"], a["dose"], a["patient"], a["alertedAt"]) for a in alerts] == [
        (flow.reminder["objectId"], evening["objectId"], flow.patient["objectId"], "2026-03-02T21:30:00Z")
    ]
    assert is_uuid(alerts[0]["objectId"])
    assert alerts[0]["acknowledgedBy"] is None
    # The morning dose was confirmed: no alert for it; the evening dose now reads missed.
    assert evening_now.json()["status"] == "missed"
    assert one.json() == alerts[0]
