"""One rule for who sees a missed-dose alert: the dashboard and /api/v1/alerts/ agree (issue 21, item 9).

Carl's care link includes missed-dose alerts; Vera's does not (she may only look). Ann's 08:00
dose is missed at 09:00.
"""

from __future__ import annotations

import pytest
from django.test import Client

from adherence.tests.html import get
from api.tests.helpers import Api, log_in
from notifications.sweep import sweep_missed
from notifications.tests.world import at
from patients.models import CareLink
from reminders.models import MissedDoseAlert

ALERTS = "/api/v1/alerts/"


@pytest.fixture
def missed(morning, carl, vera, clock) -> MissedDoseAlert:
    clock.move_to(at(9))
    sweep_missed()
    clock.move_to(at(9, 10))
    return MissedDoseAlert.objects.get()


def api_as(user) -> Api:
    client = Client()
    return Api(client, log_in(client, user.email))


def dashboard_as(user) -> str:
    client = Client()
    client.force_login(user)
    return get(client, "/caring/").main


def test_a_caregiver_without_alerts_sees_none_in_the_api_nor_on_the_dashboard(missed, vera):
    api = api_as(vera)

    assert api.get(ALERTS).json()["results"] == []
    assert api.get(f"{ALERTS}{missed.object_id}/").status_code == 404
    assert "missed Metformin" not in dashboard_as(vera)
    # She still sees the dose itself, missed, as the pages show it.
    assert [dose["status"] for dose in api.get("/api/v1/doses/").json()["results"]].count("missed") == 1


def test_a_caregiver_with_alerts_sees_them_in_the_api_and_on_the_dashboard(missed, carl):
    api = api_as(carl)

    [alert] = api.get(ALERTS).json()["results"]
    assert alert["objectId"] == str(missed.object_id)
    assert api.get(f"{ALERTS}{missed.object_id}/").json() == alert
    assert "Ann Example missed Metformin 500 mg" in dashboard_as(carl)


def test_turning_alerts_off_for_a_caregiver_hides_them_in_both_at_once(missed, carl, ann):
    CareLink.objects.filter(patient=ann, caregiver=carl).update(receives_missed_dose_alerts=False)

    assert api_as(carl).get(ALERTS).json()["results"] == []
    assert "missed Metformin" not in dashboard_as(carl)


def test_the_patient_sees_their_own_alerts_in_the_api(missed, ann):
    [alert] = api_as(ann.user).get(ALERTS).json()["results"]

    assert alert["objectId"] == str(missed.object_id)
