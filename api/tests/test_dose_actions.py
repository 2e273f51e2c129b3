"""The dose actions of the pages in the API: skip, undo, snooze, and acknowledging an alert.

Each goes through the pages' service and the pages' rule (patients.access): the patient, a
caregiver whose link allows it, one whose link does not (403, nothing changes), an outsider
(404, nothing changes), bad input (400 in words, nothing changes), and the audit entry's actor.
"""

from __future__ import annotations

import datetime

import pytest

from api.tests.helpers import DOSES, detail
from audit.models import AuditEntry
from patients.tests.factories import CareLinkFactory
from reminders import services
from reminders.models import ConfirmationLog, Dose, MissedDoseAlert
from reminders.tests.factories import AsNeededFactory, DoseFactory, MedicationFactory

# Monday 2 March 2026, 08:20 UTC (London is on GMT): the 08:00 dose is due.
T0 = datetime.datetime(2026, 3, 2, 8, 20, tzinfo=datetime.UTC)
T0_JSON = "2026-03-02T08:20:00Z"
MINUTE = datetime.timedelta(minutes=1)
ALERTS = "/api/v1/alerts/"

pytestmark = [pytest.mark.django_db, pytest.mark.clock(T0), pytest.mark.usefixtures("clock")]


@pytest.fixture
def daily_metformin(ann):
    """Metformin every day at 08:00 (the factory's schedule)."""
    return MedicationFactory(patient=ann, medication_name="Metformin")


@pytest.fixture
def due_dose(daily_metformin):
    """The 08:00 dose, due twenty minutes ago; its window closes at 09:00."""
    return DoseFactory(
        reminder=daily_metformin, scheduled_at=datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    )


def _action(due_dose: Dose, name: str) -> str:
    return f"{detail(DOSES, due_dose.object_id)}{name}/"


def _dose_updates(due_dose: Dose) -> list[AuditEntry]:
    return [
        entry
        for entry in AuditEntry.objects.filter(entity_type="reminders.Dose", action="update").order_by("pk")
        if entry.patient_id == due_dose.patient_id
    ]


def _unchanged(due_dose: Dose) -> None:
    fresh = Dose.objects.get(pk=due_dose.pk)
    assert (fresh.status, fresh.skip_reason, fresh.remind_again_at) == ("pending", "", None)
    assert _dose_updates(due_dose) == []


# --- Skip ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["patient", "caregiver who may confirm"])
def test_a_dose_is_skipped_with_a_reason(who, ann, carl, api_for, due_dose):
    user = ann.user if who == "patient" else carl
    response = api_for(user).post(_action(due_dose, "skip"), {"reason": "unwell"})

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["objectId"] == str(due_dose.object_id)
    assert (body["status"], body["skipReason"], body["skipNote"], body["resolvedAt"]) == (
        "skipped",
        "unwell",
        "",
        T0_JSON,
    )
    fresh = Dose.objects.get(pk=due_dose.pk)
    assert (fresh.status, fresh.skip_reason) == ("skipped", "unwell")
    [entry] = _dose_updates(due_dose)
    assert (entry.actor_type, entry.actor_id) == ("user", user.pk)
    assert entry.payload["changes"]["status"] == ["pending", "skipped"]


def test_other_needs_a_note_and_keeps_it(ann_api, due_dose):
    refused = ann_api.post(_action(due_dose, "skip"), {"reason": "other", "note": "   "})
    assert refused.status_code == 400
    assert refused.json()["errors"]["note"] == ["Say in a few words why you are skipping this dose."]
    _unchanged(due_dose)

    response = ann_api.post(
        _action(due_dose, "skip"), {"reason": "other", "note": "Fasting for a blood test"}
    )
    assert response.status_code == 200
    assert (response.json()["skipReason"], response.json()["skipNote"]) == (
        "other",
        "Fasting for a blood test",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "reason"),
        ({"reason": "bored"}, "reason"),
        ({"reason": 3}, "reason"),
        ({"reason": "unwell", "note": "two\nlines"}, "note"),
        ({"reason": "unwell", "note": "x" * 201}, "note"),
        ({"reason": "unwell", "note": 5}, "note"),
    ],
)
def test_a_skip_with_bad_input_is_refused_in_words(ann_api, due_dose, data, field):
    response = ann_api.post(_action(due_dose, "skip"), data)

    assert response.status_code == 400, response.content.decode()
    [message] = response.json()["errors"][field]
    assert len(message.split()) > 2
    _unchanged(due_dose)


def test_skipping_twice_answers_the_first_skip(ann_api, due_dose):
    first = ann_api.post(_action(due_dose, "skip"), {"reason": "unwell"})
    again = ann_api.post(_action(due_dose, "skip"), {"reason": "away"})

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Dose.objects.get(pk=due_dose.pk).skip_reason == "unwell"
    assert len(_dose_updates(due_dose)) == 1


def test_a_dose_days_ahead_cannot_be_skipped_yet(ann_api, daily_metformin):
    later = DoseFactory(reminder=daily_metformin, scheduled_at=T0 + datetime.timedelta(days=2))

    response = ann_api.post(_action(later, "skip"), {"reason": "away"})

    assert response.status_code == 409
    assert response.json()["detail"].startswith("It is too early to skip this dose")
    assert Dose.objects.get(pk=later.pk).status == "pending"


def test_a_taken_dose_cannot_be_skipped(ann, ann_api, due_dose):
    services.dose_confirm(dose=due_dose, by=ann.user, method=ConfirmationLog.Method.WEB)

    response = ann_api.post(_action(due_dose, "skip"), {"reason": "away"})

    assert response.status_code == 409
    assert response.json()["detail"] == "This dose was already recorded as taken. Undo that first."
    assert Dose.objects.get(pk=due_dose.pk).status == "taken"


def test_a_caregiver_who_may_only_look_cannot_skip(vera, api_for, due_dose):
    response = api_for(vera).post(_action(due_dose, "skip"), {"reason": "unwell"})

    assert response.status_code == 403
    assert "does not allow" in response.json()["detail"]
    _unchanged(due_dose)


def test_an_outsider_cannot_skip_or_learn_the_dose_exists(bob, api_for, due_dose):
    response = api_for(bob.user).post(_action(due_dose, "skip"), {"reason": "unwell"})

    assert response.status_code == 404
    assert "Metformin" not in response.content.decode()
    _unchanged(due_dose)


# --- Undo ------------------------------------------------------------------------------------------


def _taken(due_dose: Dose, by) -> ConfirmationLog:
    return services.dose_confirm(dose=due_dose, by=by, method=ConfirmationLog.Method.WEB)


@pytest.mark.parametrize("who", ["patient", "caregiver who may confirm"])
def test_a_taken_dose_is_undone_within_ten_minutes(who, ann, carl, api_for, clock, due_dose):
    user = ann.user if who == "patient" else carl
    log = _taken(due_dose, ann.user)
    clock.shift(9 * MINUTE)

    response = api_for(user).post(_action(due_dose, "undo"))

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert (body["objectId"], body["status"], body["takenAt"], body["resolvedAt"]) == (
        str(due_dose.object_id),
        "pending",
        None,
        None,
    )
    assert Dose.objects.get(pk=due_dose.pk).status == "pending"
    log.refresh_from_db()
    assert log.undone_at == T0 + 9 * MINUTE
    undo = _dose_updates(due_dose)[-1]
    assert (undo.actor_type, undo.actor_id) == ("user", user.pk)
    assert undo.payload["changes"]["status"] == ["taken", "pending"]


def test_a_skip_is_undone_too(ann_api, due_dose):
    ann_api.post(_action(due_dose, "skip"), {"reason": "away"})

    response = ann_api.post(_action(due_dose, "undo"))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["skipReason"]) == ("pending", "")


def test_undo_after_ten_minutes_is_refused_in_words(ann, ann_api, clock, due_dose):
    _taken(due_dose, ann.user)
    clock.shift(11 * MINUTE)
    before = len(_dose_updates(due_dose))

    response = ann_api.post(_action(due_dose, "undo"))

    assert response.status_code == 409
    assert response.json()["detail"] == "It is too late to undo: that was more than 10 minutes ago."
    assert Dose.objects.get(pk=due_dose.pk).status == "taken"
    assert len(_dose_updates(due_dose)) == before


def test_undoing_twice_says_there_is_nothing_to_undo(ann, ann_api, due_dose):
    _taken(due_dose, ann.user)
    assert ann_api.post(_action(due_dose, "undo")).status_code == 200

    again = ann_api.post(_action(due_dose, "undo"))

    assert again.status_code == 409
    assert again.json()["detail"] == "There is nothing to undo for this dose."


def test_an_as_needed_dose_taken_back_is_gone(ann, ann_api):
    reliever = AsNeededFactory(patient=ann, medication_name="Salbutamol")
    taken = services.as_needed_take(reminder=reliever, by=ann.user, method=ConfirmationLog.Method.WEB)

    response = ann_api.post(_action(taken.dose, "undo"))

    assert response.status_code == 204
    assert not Dose.objects.filter(reminder=reliever).exists()


def test_a_caregiver_who_may_only_look_cannot_undo(ann, vera, api_for, due_dose):
    _taken(due_dose, ann.user)

    response = api_for(vera).post(_action(due_dose, "undo"))

    assert response.status_code == 403
    assert Dose.objects.get(pk=due_dose.pk).status == "taken"
    assert len(_dose_updates(due_dose)) == 1


def test_an_outsider_cannot_undo(ann, bob, api_for, due_dose):
    _taken(due_dose, ann.user)

    response = api_for(bob.user).post(_action(due_dose, "undo"))

    assert response.status_code == 404
    assert Dose.objects.get(pk=due_dose.pk).status == "taken"


# --- Snooze ----------------------------------------------------------------------------------------


def test_the_patient_snoozes_a_dose(ann, ann_api, due_dose):
    response = ann_api.post(_action(due_dose, "snooze"), {"minutes": 30})

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert (body["status"], body["remindAgainAt"]) == ("pending", "2026-03-02T08:50:00Z")
    assert Dose.objects.get(pk=due_dose.pk).remind_again_at == T0 + 30 * MINUTE
    [entry] = _dose_updates(due_dose)
    assert (entry.actor_type, entry.actor_id) == ("user", ann.user.pk)
    assert entry.payload["changes"]["remind_again_at"][1].startswith("2026-03-02T08:50:00")


def test_snoozing_again_sets_the_new_time(ann_api, due_dose):
    ann_api.post(_action(due_dose, "snooze"), {"minutes": 30})

    response = ann_api.post(_action(due_dose, "snooze"), {"minutes": 10})

    assert response.status_code == 200
    assert response.json()["remindAgainAt"] == "2026-03-02T08:30:00Z"


def test_a_reminder_after_the_window_is_refused_in_words(ann_api, due_dose):
    response = ann_api.post(_action(due_dose, "snooze"), {"minutes": 60})

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "A reminder then would be too late: this dose counts as missed at 09:00. Take it now, or skip it."
    )
    _unchanged(due_dose)


def test_a_snoozed_dose_once_recorded_has_no_reminder_to_come(ann_api, due_dose):
    ann_api.post(_action(due_dose, "snooze"), {"minutes": 30})

    skipped = ann_api.post(_action(due_dose, "skip"), {"reason": "unwell"})

    assert (skipped.json()["status"], skipped.json()["remindAgainAt"]) == ("skipped", None)


def test_a_recorded_dose_is_not_snoozed(ann, ann_api, due_dose):
    _taken(due_dose, ann.user)

    response = ann_api.post(_action(due_dose, "snooze"), {"minutes": 10})

    assert response.status_code == 409
    assert response.json()["detail"] == "This dose is already recorded; there is nothing to remind you of."
    assert Dose.objects.get(pk=due_dose.pk).remind_again_at is None


@pytest.mark.parametrize(
    "data", [{}, {"minutes": 15}, {"minutes": "soon"}, {"minutes": None}, {"minutes": [10]}]
)
def test_a_snooze_with_bad_minutes_is_refused_in_words(ann_api, due_dose, data):
    response = ann_api.post(_action(due_dose, "snooze"), data)

    assert response.status_code == 400, response.content.decode()
    [message] = response.json()["errors"]["minutes"]
    assert message in (
        "Choose 10, 30 or 60 minutes.",
        "This field is required.",
        "This field may not be null.",
    )
    _unchanged(due_dose)


@pytest.mark.parametrize("who", ["carl", "vera"])
def test_caregivers_do_not_snooze_the_patients_reminders(who, carl, vera, api_for, due_dose):
    """The page's rule: snoozing is the patient's own, even for a caregiver who may confirm."""
    response = api_for({"carl": carl, "vera": vera}[who]).post(_action(due_dose, "snooze"), {"minutes": 10})

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the patient can snooze their reminders."
    _unchanged(due_dose)


def test_an_outsider_cannot_snooze(bob, api_for, due_dose):
    response = api_for(bob.user).post(_action(due_dose, "snooze"), {"minutes": 10})

    assert response.status_code == 404
    _unchanged(due_dose)


# --- Acknowledging a missed-dose alert -------------------------------------------------------------


@pytest.fixture
def missed_alert(daily_metformin):
    """Yesterday's 08:00 dose was missed; the alert went out at 09:00."""
    missed = DoseFactory(
        reminder=daily_metformin,
        scheduled_at=datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC),
        status="missed",
        resolved_at=datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC),
    )
    return MissedDoseAlert.objects.create(
        reminder=daily_metformin,
        dose=missed,
        patient=daily_metformin.patient,
        alerted_at=datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC),
    )


def _acknowledge(missed_alert: MissedDoseAlert) -> str:
    return f"{detail(ALERTS, missed_alert.object_id)}acknowledge/"


def _alert_updates(missed_alert: MissedDoseAlert) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            entity_type="reminders.MissedDoseAlert", action="update", patient_id=missed_alert.patient_id
        ).order_by("pk")
    )


def _not_acknowledged(missed_alert: MissedDoseAlert) -> None:
    fresh = MissedDoseAlert.objects.get(pk=missed_alert.pk)
    assert (fresh.acknowledged_by, fresh.acknowledged_at) == (None, None)
    assert _alert_updates(missed_alert) == []


def test_a_caregiver_with_alerts_says_they_are_handling_it(carl, api_for, missed_alert):
    response = api_for(carl).post(_acknowledge(missed_alert))

    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert (body["objectId"], body["acknowledgedBy"], body["acknowledgedAt"]) == (
        str(missed_alert.object_id),
        str(carl.object_id),
        T0_JSON,
    )
    fresh = MissedDoseAlert.objects.get(pk=missed_alert.pk)
    assert (fresh.acknowledged_by, fresh.acknowledged_at) == (carl, T0)
    [entry] = _alert_updates(missed_alert)
    assert (entry.actor_type, entry.actor_id) == ("user", carl.pk)


def test_the_first_caregiver_stands(ann, carl, api_for, clock, missed_alert):
    alma = CareLinkFactory(patient=ann, receives_missed_dose_alerts=True).caregiver
    first = api_for(carl).post(_acknowledge(missed_alert)).json()
    clock.shift(5 * MINUTE)

    again = api_for(carl).post(_acknowledge(missed_alert))
    second = api_for(alma).post(_acknowledge(missed_alert))

    assert again.status_code == second.status_code == 200
    assert again.json() == second.json() == first
    assert len(_alert_updates(missed_alert)) == 1


def test_the_patient_leaves_it_to_their_caregivers(ann_api, missed_alert):
    assert ann_api.get(detail(ALERTS, missed_alert.object_id)).status_code == 200

    response = ann_api.post(_acknowledge(missed_alert))

    assert response.status_code == 403
    assert response.json()["detail"] == "Your caregivers acknowledge the alerts about your missed doses."
    _not_acknowledged(missed_alert)


def test_a_caregiver_without_alerts_cannot_see_or_acknowledge_them(vera, api_for, missed_alert):
    """alerts_for hides the alert from a link without alerts: the same 404 as reading it."""
    vera_api = api_for(vera)
    assert vera_api.get(detail(ALERTS, missed_alert.object_id)).status_code == 404

    response = vera_api.post(_acknowledge(missed_alert))

    assert response.status_code == 404
    _not_acknowledged(missed_alert)


def test_an_outsider_cannot_acknowledge(bob, api_for, missed_alert):
    response = api_for(bob.user).post(_acknowledge(missed_alert))

    assert response.status_code == 404
    assert "Metformin" not in response.content.decode()
    _not_acknowledged(missed_alert)


def test_a_malformed_alert_id_is_the_apis_own_404(carl, api_for, missed_alert):
    response = api_for(carl).post(f"{ALERTS}not-an-id/acknowledge/")

    assert response.status_code == 404
    assert response.json()["detail"]
    _not_acknowledged(missed_alert)
