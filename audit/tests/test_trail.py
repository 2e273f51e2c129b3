"""Writing the trail: record(), the model signals, services through the web, auth events and views.

Every entry is read back from the database and checked field by field; secrets
are looked for in everything the trail holds, not only where they would be
expected.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import json
import time
import uuid
from datetime import UTC, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import link_in_last_mail, sign_in
from audit.integrity import entry_digest, verify
from audit.models import Action, ActorType, AuditEntry
from audit.signals import REDACTED
from audit.tests.helpers import Trail, everything_written
from audit.trail import (
    SYSTEM,
    Actor,
    acting_as,
    acting_as_system,
    actor_for,
    current_actor,
    current_path,
    jsonable,
    record,
    together,
)
from patients import services as patient_services
from patients.invitations import invitation_path
from patients.models import CareLink, PatientProfile
from patients.tests.factories import CareLinkFactory
from reminders import services, tasks
from reminders.models import ConfirmationLog, Dose, MedicationReminder
from reminders.tests.factories import AsNeededFactory, DoseFactory, MedicationFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def reread(entry: AuditEntry) -> AuditEntry:
    return AuditEntry.objects.get(uid=entry.uid)


# --- record() ---------------------------------------------------------------------------------------


def test_record_writes_every_field_and_a_digest_of_them(ann):
    trail = Trail()
    with time_machine.travel(NOW, tick=False), acting_as(actor_for(ann.user), "/somewhere/"):
        written = record(Action.VIEW, entity=ann, patient_id=ann.pk, payload={"page": current_path(), "n": 3})

    entry = reread(written)
    assert trail.new() == [entry]
    assert entry.actor_type == ActorType.USER
    assert entry.actor_id == ann.user.pk
    assert entry.actor_label == "ann@example.org"
    assert entry.action == "view"
    assert entry.entity_type == "patients.PatientProfile"
    assert entry.entity_id == str(ann.pk)
    assert entry.patient_id == ann.pk
    assert entry.payload == {"page": "/somewhere/", "n": 3}
    assert entry.created_at == NOW
    assert isinstance(entry.uid, uuid.UUID)
    assert len(entry.digest) == 64
    assert entry.digest == entry_digest(entry) == written.digest


def test_record_without_an_actor_names_the_system():
    entry = reread(record(Action.ALERT, entity_type="reminders.Dose", entity_id=7, payload={"to": "x"}))
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("system", None, "system")
    assert (entry.entity_type, entry.entity_id, entry.patient_id) == ("reminders.Dose", "7", None)
    assert entry.digest == entry_digest(entry)


def test_an_anonymous_visitor_is_recorded_as_anonymous():
    for who in (None, AnonymousUser()):
        actor = actor_for(who)
        assert actor == Actor(ActorType.ANONYMOUS, None, "anonymous")
        with acting_as(actor):
            entry = reread(record(Action.LOGIN_FAILED, entity_type="accounts.User"))
        assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("anonymous", None, "anonymous")
        assert entry.entity_id == ""


def test_acting_as_system_names_the_job_and_ends_with_the_block(ann):
    with acting_as(actor_for(ann.user)):
        with acting_as_system("make doses ahead"):
            job = reread(record(Action.DELIVERY, entity=ann, patient_id=ann.pk))
        after = reread(record(Action.VIEW, entity=ann, patient_id=ann.pk))
    outside = record(Action.ALERT, entity=ann, patient_id=ann.pk)

    assert (job.actor_type, job.actor_id, job.actor_label) == ("system", None, "system: make doses ahead")
    assert (after.actor_type, after.actor_label) == ("user", "ann@example.org")
    assert outside.actor_label == "system"
    assert current_actor() == SYSTEM
    assert current_path() == ""


def test_an_explicit_actor_wins_over_the_current_one(ann):
    with acting_as_system("job"):
        entry = record(Action.LOGIN, entity=ann.user, actor=actor_for(ann.user))
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("user", ann.user.pk, "ann@example.org")


def test_jsonable_keeps_values_the_same_on_every_database():
    paris = datetime.timezone(timedelta(hours=1))
    value = {
        "at": datetime.datetime(2026, 11, 2, 10, 30, tzinfo=paris),
        "day": datetime.date(2026, 11, 2),
        "time": datetime.time(8, 15),
        "amount": decimal.Decimal("2.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        5: ("a", [datetime.date(2026, 1, 1)]),
    }
    assert jsonable(value) == {
        "at": "2026-11-02T09:30:00.000000+00:00",
        "day": "2026-11-02",
        "time": "08:15:00",
        "amount": "2.50",
        "id": "12345678-1234-5678-1234-567812345678",
        "5": ["a", ["2026-01-01"]],
    }


def test_a_payload_with_dates_is_stored_as_json_and_still_matches_its_digest(ann):
    entry = reread(
        record(
            Action.UPDATE,
            entity=ann,
            patient_id=ann.pk,
            payload={"changes": {"date_of_birth": [None, datetime.date(1950, 3, 4)]}, "at": NOW},
        )
    )
    assert entry.payload == {
        "changes": {"date_of_birth": [None, "1950-03-04"]},
        "at": "2026-11-02T09:30:00.000000+00:00",
    }
    assert entry.digest == entry_digest(entry)


def test_a_rolled_back_transaction_takes_its_entry_with_it(ann):
    trail = Trail()
    written = []

    @transaction.atomic
    def change_then_fail() -> None:
        record(Action.VIEW, entity=ann, patient_id=ann.pk)
        ann.display_name = "Someone Else"
        ann.save()
        written.extend(trail.new())
        raise RuntimeError("the change fails after its entry was written")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert [entry.action for entry in written] == ["view", "update"]
    assert trail.new() == []
    assert PatientProfile.objects.get(pk=ann.pk).display_name == "Ann Example"


def test_a_service_that_fails_halfway_leaves_no_entry_of_its_first_half(ann):
    """dose_confirm wins the dose (and writes its entry), then its log clashes: all of it is undone."""
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    # A standing confirmation already there makes the second half of dose_confirm fail.
    ConfirmationLog.objects.create(
        reminder=dose.reminder,
        patient=ann,
        dose=dose,
        confirmed_at=timezone.now(),
        role="patient",
        method="web",
    )
    trail = Trail()
    with pytest.raises(IntegrityError):
        services.dose_confirm(dose=dose, by=ann.user, method="web")
    assert trail.new() == []
    assert Dose.objects.get(pk=dose.pk).status == Dose.Status.PENDING


def test_a_request_that_fails_leaves_no_entry(ann):
    """ATOMIC_REQUESTS: the dose change, its entry and the log go, or none of them."""
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    ConfirmationLog.objects.create(
        reminder=dose.reminder,
        patient=ann,
        dose=dose,
        confirmed_at=timezone.now(),
        role="patient",
        method="web",
    )
    client = Client(raise_request_exception=False)
    client.force_login(ann.user)
    trail = Trail()
    response = client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    assert response.status_code == 500
    assert trail.new() == []
    assert Dose.objects.get(pk=dose.pk).status == Dose.Status.PENDING


def test_together_writes_the_entries_of_its_block_at_its_end_in_order(ann):
    trail = Trail()
    with transaction.atomic(), together():
        first = record(Action.VIEW, entity=ann, patient_id=ann.pk)
        ann.display_name = "Ann Together"
        ann.save()
        assert trail.new() == [], "not written yet"
    entries = trail.new()
    assert [(entry.action, entry.entity_type) for entry in entries] == [
        ("view", "patients.PatientProfile"),
        ("update", "patients.PatientProfile"),
    ]
    assert entries[0].uid == first.uid
    assert all(entry.digest == entry_digest(entry) for entry in entries)


def test_many_entries_written_together_keep_every_value_and_their_order(ann):
    # Fifty entries in one statement (on PostgreSQL, one array per column): nulls, text that
    # needs quoting and nested payloads come back as recorded, in the order recorded.
    trail = Trail()
    payloads = [
        {"n": n, "note": f"quote ' and \\ and “{n}”", "list": [n, None, {"x": "y"}]} for n in range(50)
    ]
    with acting_as_system("bulk"), transaction.atomic(), together():
        recorded = [
            record(
                Action.VIEW,
                entity_type="test.Thing",
                entity_id=n,
                patient_id=ann.pk if n % 2 else None,
                payload=p,
            )
            for n, p in enumerate(payloads)
        ]
    entries = trail.new()
    assert [entry.uid for entry in entries] == [entry.uid for entry in recorded]
    assert [entry.payload for entry in entries] == payloads
    assert [entry.patient_id for entry in entries] == [ann.pk if n % 2 else None for n in range(50)]
    assert {(entry.actor_type, entry.actor_id, entry.actor_label) for entry in entries} == {
        (ActorType.SYSTEM, None, "system: bulk")
    }
    assert [entry.created_at for entry in entries] == [entry.created_at for entry in recorded]
    assert all(entry.digest == entry_digest(entry) for entry in entries)
    assert verify().ok


def test_together_discards_its_entries_when_its_block_fails(ann):
    trail = Trail()

    def change_then_fail() -> None:
        with transaction.atomic(), together():
            ann.display_name = "Ann Failed"
            ann.save()
            raise RuntimeError("fails")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert trail.new() == []
    assert PatientProfile.objects.get(pk=ann.pk).display_name == "Ann Example"


def test_inside_together_a_change_rolled_back_to_a_savepoint_leaves_no_entry(ann):
    trail = Trail()
    with transaction.atomic(), together():
        with contextlib.suppress(IntegrityError), transaction.atomic():
            ann.display_name = "Ann Rolled Back"
            ann.save()
            raise IntegrityError("the rest of this savepoint fails")
        record(Action.VIEW, entity=ann, patient_id=ann.pk)
    assert PatientProfile.objects.get(pk=ann.pk).display_name == "Ann Example"
    assert [entry.action for entry in trail.new()] == ["view"]


@override_settings(AUDIT_ENABLED=False)
def test_with_auditing_off_nothing_is_written(ann):
    trail = Trail()
    assert record(Action.VIEW, entity=ann, patient_id=ann.pk) is None
    ann.display_name = "Ann Changed"
    ann.save()
    assert trail.new() == []


# --- The model signals -----------------------------------------------------------------------------


def test_a_user_created_changed_and_deleted():
    trail = Trail()
    user = User.objects.create_user("New.Person@Example.org", PASSWORD)
    raw_hash = user.password
    created = trail.one(action="create")
    assert (created.entity_type, created.entity_id, created.patient_id) == (
        "accounts.User",
        str(user.pk),
        None,
    )
    changes = created.payload["changes"]
    assert changes["email"] == [None, "new.person@example.org"]
    assert changes["password"] == [None, REDACTED]
    assert changes["is_staff"] == [None, False]
    assert "last_login" not in changes

    trail = Trail()
    user.first_name = "Nina"
    user.save()
    assert trail.one().payload == {"changes": {"first_name": ["", "Nina"]}}

    trail = Trail()
    user.set_password("an entirely new passphrase")
    user.save()
    new_hash = user.password
    assert trail.one(action="update").payload == {"changes": {"password": [REDACTED, REDACTED]}}

    trail = Trail()
    user_id = user.pk
    user.delete()
    deleted = trail.one(action="delete")
    assert deleted.entity_id == str(user_id)
    assert deleted.payload["was"]["email"] == "new.person@example.org"
    assert deleted.payload["was"]["password"] == REDACTED

    text = everything_written()
    for secret in (raw_hash, new_hash, PASSWORD, "an entirely new passphrase"):
        assert secret not in text


def test_last_login_alone_writes_nothing():
    user = UserFactory()
    trail = Trail()
    user.last_login = timezone.now()
    user.save()
    user.save(update_fields=["last_login"])
    assert trail.new() == []


def test_a_patient_profile_created_changed_and_deleted():
    user = UserFactory()
    trail = Trail()
    profile = patient_services.patient_profile_create(
        user=user, display_name="Paula Patient", phone_number="+447911123456", time_zone="Europe/London"
    )
    created = trail.one()
    assert (created.action, created.entity_type, created.entity_id) == (
        "create",
        "patients.PatientProfile",
        str(profile.pk),
    )
    assert created.patient_id == profile.pk
    assert created.payload["changes"]["display_name"] == [None, "Paula Patient"]
    assert created.payload["changes"]["time_zone"] == [None, "Europe/London"]
    assert "updated_at" not in created.payload["changes"]

    trail = Trail()
    patient_services.patient_profile_update(
        profile=profile, display_name="Paula P.", date_of_birth=datetime.date(1950, 3, 4)
    )
    updated = trail.one()
    assert updated.action == "update"
    assert updated.payload == {
        "changes": {"display_name": ["Paula Patient", "Paula P."], "date_of_birth": [None, "1950-03-04"]}
    }

    trail = Trail()
    profile_id = profile.pk
    profile.delete()
    deleted = trail.one()
    assert (deleted.action, deleted.entity_id, deleted.patient_id) == ("delete", str(profile_id), profile_id)
    assert deleted.payload["was"]["display_name"] == "Paula P."
    assert "updated_at" not in deleted.payload["was"]


def test_a_save_that_changes_nothing_writes_nothing(ann):
    """updated_at moves on every save; alone it is not worth an entry."""
    profile = PatientProfile.objects.get(pk=ann.pk)
    before = profile.updated_at
    trail = Trail()
    profile.save()
    profile.display_name = "Ann Example"  # the same as it was
    profile.save()
    assert PatientProfile.objects.get(pk=ann.pk).updated_at > before
    assert trail.new() == []


def test_a_care_link_created_changed_and_deleted_never_shows_its_nonce(ann):
    trail = Trail()
    link = CareLinkFactory(patient=ann, caregiver=UserFactory(email="nurse@example.org"))
    first_nonce = link.invite_nonce
    created = trail.new(entity_type="patients.CareLink")
    assert [entry.action for entry in created] == ["create"]
    assert created[0].patient_id == ann.pk
    assert created[0].payload["changes"]["invite_nonce"] == [None, REDACTED]
    assert created[0].payload["changes"]["status"] == [None, "active"]

    trail = Trail()
    patient_services.care_link_set_permissions(
        link=link, can_confirm_doses=True, receives_missed_dose_alerts=False
    )
    assert trail.one().payload == {
        "changes": {"can_confirm_doses": [False, True], "receives_missed_dose_alerts": [True, False]}
    }

    trail = Trail()
    link.new_invite_nonce()
    second_nonce = link.invite_nonce
    link.save()
    assert trail.one().payload == {"changes": {"invite_nonce": [REDACTED, REDACTED]}}

    trail = Trail()
    link_id = link.pk
    link.delete()
    deleted = trail.one()
    assert (deleted.action, deleted.entity_id, deleted.patient_id) == ("delete", str(link_id), ann.pk)
    assert deleted.payload["was"]["invite_nonce"] == REDACTED
    assert deleted.payload["was"]["invited_email"] == "nurse@example.org"

    text = everything_written()
    assert first_nonce not in text
    assert second_nonce not in text


def test_a_medication_created_changed_and_deleted(ann):
    trail = Trail()
    reminder = MedicationFactory(patient=ann, medication_name="Metformin", dosage="500 mg")
    created = trail.one()
    assert (created.action, created.entity_type, created.entity_id, created.patient_id) == (
        "create",
        "reminders.MedicationReminder",
        str(reminder.pk),
        ann.pk,
    )
    assert created.payload["changes"]["medication_name"] == [None, "Metformin"]
    assert created.payload["changes"]["schedule"][1] == reminder.schedule
    assert "doses_until" not in created.payload["changes"]

    trail = Trail()
    reminder.dosage = "850 mg"
    reminder.save()
    assert trail.one().payload == {"changes": {"dosage": ["500 mg", "850 mg"]}}

    trail = Trail()
    reminder.doses_until = timezone.now()
    reminder.save()
    assert trail.new() == [], "doses_until is the job's bookkeeping"

    trail = Trail()
    reminder_id = reminder.pk
    reminder.delete()
    deleted = trail.one()
    assert (deleted.action, deleted.entity_id, deleted.patient_id) == ("delete", str(reminder_id), ann.pk)
    assert deleted.payload["was"]["dosage"] == "850 mg"


def test_a_dose_created_changed_and_deleted(ann):
    reminder = MedicationFactory(patient=ann)
    at = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    trail = Trail()
    dose = DoseFactory(reminder=reminder, scheduled_at=at)
    created = trail.one()
    assert (created.action, created.entity_type, created.entity_id, created.patient_id) == (
        "create",
        "reminders.Dose",
        str(dose.pk),
        ann.pk,
    )
    assert created.payload["changes"]["scheduled_at"] == [None, "2026-11-02T08:00:00.000000+00:00"]
    assert created.payload["changes"]["window_ends_at"] == [None, "2026-11-02T09:00:00.000000+00:00"]
    assert created.payload["changes"]["status"] == [None, "pending"]

    trail = Trail()
    dose.status = Dose.Status.MISSED
    dose.resolved_at = at + timedelta(hours=1)
    dose.save()
    assert trail.one().payload == {
        "changes": {
            "status": ["pending", "missed"],
            "resolved_at": [None, "2026-11-02T09:00:00.000000+00:00"],
        }
    }

    trail = Trail()
    dose_id = dose.pk
    dose.delete()
    deleted = trail.one()
    assert (deleted.action, deleted.entity_id, deleted.patient_id) == ("delete", str(dose_id), ann.pk)
    assert deleted.payload["was"]["status"] == "missed"


def test_a_confirmation_created_undone_and_deleted_knows_its_patient(ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    confirmed_at = datetime.datetime(2026, 11, 2, 8, 5, tzinfo=UTC)
    trail = Trail()
    # Only the ids at hand: the entry is filed under the patient the log carries.
    log = ConfirmationLog.objects.create(
        reminder_id=dose.reminder_id,
        patient_id=ann.pk,
        dose_id=dose.pk,
        confirmed_at=confirmed_at,
        confirmed_by_id=ann.user_id,
        role="patient",
        method="web",
    )
    created = trail.one()
    assert (created.action, created.entity_type, created.entity_id, created.patient_id) == (
        "create",
        "reminders.ConfirmationLog",
        str(log.pk),
        ann.pk,
    )
    assert created.payload["changes"]["confirmed_at"] == [None, "2026-11-02T08:05:00.000000+00:00"]
    assert created.payload["changes"]["dose_id"] == [None, dose.pk]

    trail = Trail()
    log = ConfirmationLog.objects.get(pk=log.pk)
    log.undone_at = confirmed_at + timedelta(minutes=3)
    log.save(update_fields=["undone_at", "updated_at"])
    assert trail.one().payload == {"changes": {"undone_at": [None, "2026-11-02T08:08:00.000000+00:00"]}}
    assert trail.one().patient_id == ann.pk

    trail = Trail()
    log_id = log.pk
    ConfirmationLog.objects.get(pk=log_id).delete()
    deleted = trail.one()
    assert (deleted.action, deleted.entity_id, deleted.patient_id) == ("delete", str(log_id), ann.pk)


def test_deleting_a_patient_records_everything_that_goes_with_them(ann, carl):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    services.dose_confirm(dose=dose, by=ann.user, method="web")
    trail = Trail()
    ann_id = ann.pk
    ann.delete()
    deleted = {(entry.entity_type, entry.patient_id) for entry in trail.new(action="delete")}
    assert deleted == {
        ("patients.PatientProfile", ann_id),
        ("patients.CareLink", ann_id),
        ("reminders.MedicationReminder", ann_id),
        ("reminders.Dose", ann_id),
        ("reminders.ConfirmationLog", ann_id),
    }
    assert all(entry.digest == entry_digest(entry) for entry in trail.new())


def test_reading_part_of_an_audited_row_works(ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    assert PatientProfile.objects.only("display_name").get(pk=ann.pk).display_name == "Ann Example"
    dose.refresh_from_db(fields=["status"])
    assert dose.status == Dose.Status.PENDING


def test_a_save_after_a_refresh_records_only_its_own_change(ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    services.dose_confirm(dose=dose, by=ann.user, method="web")  # updates, then refreshes `dose`
    assert dose.status == Dose.Status.TAKEN
    trail = Trail()
    dose.reminded_at = NOW
    dose.save()
    assert trail.one().payload == {"changes": {"reminded_at": [None, "2026-11-02T09:30:00.000000+00:00"]}}


# --- Services through the web ------------------------------------------------------------------------


def test_confirming_a_dose_on_the_web_writes_the_change_and_the_log(client, ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    client.force_login(ann.user)
    trail = Trail()
    response = client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    assert response.status_code == 302
    update, created = trail.new()
    log = ConfirmationLog.objects.get(dose=dose)
    taken_at = jsonable(log.confirmed_at)

    assert (update.action, update.entity_type, update.entity_id) == ("update", "reminders.Dose", str(dose.pk))
    assert update.payload["changes"]["status"] == ["pending", "taken"]
    assert update.payload["changes"]["taken_at"] == [None, taken_at]
    assert update.payload["changes"]["resolved_at"] == [None, taken_at]
    assert "updated_at" not in update.payload["changes"]

    assert (created.action, created.entity_type, created.entity_id) == (
        "create",
        "reminders.ConfirmationLog",
        str(log.pk),
    )
    assert created.payload["changes"]["confirmed_by_id"] == [None, ann.user_id]
    assert created.payload["changes"]["role"] == [None, "patient"]
    for entry in (update, created):
        assert (entry.actor_type, entry.actor_id, entry.actor_label) == (
            "user",
            ann.user_id,
            "ann@example.org",
        )
        assert entry.patient_id == ann.pk
        assert entry.digest == entry_digest(entry)


def test_a_second_tap_on_taken_changes_nothing_and_writes_nothing(client, ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    client.force_login(ann.user)
    client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    trail = Trail()
    client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    assert trail.new() == []


def test_a_caregiver_confirming_is_the_actor(client, ann, carl):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    client.force_login(carl)
    trail = Trail()
    client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    # The caregiver reached the patient's data (a view), then changed it.
    assert [(entry.action, entry.entity_type) for entry in trail.new()] == [
        ("view", "patients.PatientProfile"),
        ("update", "reminders.Dose"),
        ("create", "reminders.ConfirmationLog"),
    ]
    entries = trail.new()[1:]
    assert {(entry.actor_id, entry.actor_label, entry.patient_id) for entry in entries} == {
        (carl.pk, "carl@example.org", ann.pk)
    }
    assert entries[1].payload["changes"]["role"] == [None, "caregiver"]


def test_a_compare_and_set_update_records_only_the_fields_that_changed(client, ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    client.force_login(ann.user)
    trail = Trail()
    client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    update = trail.one(action="update")
    assert set(update.payload["changes"]) == {"status", "taken_at", "resolved_at"}


def test_undoing_a_dose_records_the_dose_and_the_confirmation(client, ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    client.force_login(ann.user)
    client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    trail = Trail()
    client.post(reverse("reminders:dose_undo", args=[ann.pk, dose.pk]))
    log_entry, dose_entry = trail.new()
    assert (log_entry.action, log_entry.entity_type, log_entry.patient_id) == (
        "update",
        "reminders.ConfirmationLog",
        ann.pk,
    )
    assert list(log_entry.payload["changes"]) == ["undone_at"]
    assert log_entry.payload["changes"]["undone_at"][0] is None
    assert (dose_entry.action, dose_entry.entity_type, dose_entry.entity_id) == (
        "update",
        "reminders.Dose",
        str(dose.pk),
    )
    assert dose_entry.payload["changes"]["status"] == ["taken", "pending"]
    assert dose_entry.payload["changes"]["taken_at"][1] is None
    assert {log_entry.actor_label, dose_entry.actor_label} == {"ann@example.org"}


def test_revoking_a_care_link_on_the_web_records_active_to_revoked(client, ann, carl):
    link = CareLink.objects.get(patient=ann, caregiver=carl)
    client.force_login(ann.user)
    trail = Trail()
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("patients:care_link_revoke", args=[link.pk]))
    assert response.status_code == 302
    entry = trail.one()
    assert (entry.action, entry.entity_type, entry.entity_id, entry.patient_id) == (
        "update",
        "patients.CareLink",
        str(link.pk),
        ann.pk,
    )
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("user", ann.user_id, "ann@example.org")
    assert entry.payload == {
        "changes": {"status": ["active", "revoked"], "ended_at": [None, "2026-11-02T09:30:00.000000+00:00"]}
    }
    assert link.invite_nonce not in everything_written()


def test_accepting_an_invitation_records_the_link_and_the_caregiver(client, ann):
    with time_machine.travel(NOW, tick=False):
        link = CareLinkFactory(
            patient=ann,
            caregiver=None,
            invited_email="bob@example.org",
            status=CareLink.Status.PENDING,
            responded_at=None,
        )
        bob = UserFactory(email="bob@example.org")
        client.force_login(bob)
        trail = Trail()
        response = client.post(invitation_path(link), {"answer": "accept"})
    assert response.status_code == 302
    accepted = trail.one(entity_type="patients.CareLink")
    assert (accepted.action, accepted.entity_id, accepted.patient_id) == ("update", str(link.pk), ann.pk)
    assert (accepted.actor_id, accepted.actor_label) == (bob.pk, "bob@example.org")
    assert accepted.payload == {
        "changes": {
            "status": ["pending", "active"],
            "caregiver_id": [None, bob.pk],
            "responded_at": [None, "2026-11-02T09:30:00.000000+00:00"],
        }
    }
    marked = trail.one(entity_type="accounts.User")
    assert (marked.entity_id, marked.payload) == (
        str(bob.pk),
        {"changes": {"cares_for_others": [False, True]}},
    )
    assert link.invite_nonce not in everything_written()


def test_declining_an_invitation_is_recorded(client, ann):
    link = CareLinkFactory(
        patient=ann,
        caregiver=None,
        invited_email="bob@example.org",
        status=CareLink.Status.PENDING,
        responded_at=None,
    )
    bob = UserFactory(email="bob@example.org")
    client.force_login(bob)
    trail = Trail()
    client.post(invitation_path(link), {"answer": "decline"})
    declined = trail.one()
    assert (declined.action, declined.entity_type, declined.actor_id) == (
        "update",
        "patients.CareLink",
        bob.pk,
    )
    assert declined.payload["changes"]["status"] == ["pending", "declined"]


def test_skipping_a_dose_on_the_web_is_recorded(client, ann):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    client.force_login(ann.user)
    trail = Trail()
    client.post(reverse("reminders:dose_skip", args=[ann.pk, dose.pk]), {"reason": "unwell"})
    skipped = trail.one()
    assert (skipped.action, skipped.entity_type, skipped.entity_id) == (
        "update",
        "reminders.Dose",
        str(dose.pk),
    )
    assert (skipped.actor_id, skipped.patient_id) == (ann.user_id, ann.pk)
    assert skipped.payload["changes"]["status"] == ["pending", "skipped"]
    assert skipped.payload["changes"]["skip_reason"] == ["", "unwell"]


def test_taking_an_as_needed_dose_records_the_dose_and_the_log(client, ann, carl):
    paracetamol = AsNeededFactory(patient=ann, medication_name="Paracetamol")
    client.force_login(carl)
    trail = Trail()
    client.post(reverse("reminders:medication_take", args=[ann.pk, paracetamol.pk]))
    dose = Dose.objects.get(reminder=paracetamol)
    viewed, made, logged = trail.new()
    assert (viewed.action, viewed.patient_id) == ("view", ann.pk)
    assert (made.action, made.entity_type, made.entity_id) == ("create", "reminders.Dose", str(dose.pk))
    assert made.payload["changes"]["as_needed"] == [None, True]
    assert (logged.action, logged.entity_type) == ("create", "reminders.ConfirmationLog")
    assert logged.payload["changes"]["role"] == [None, "caregiver"]
    assert {(entry.actor_id, entry.patient_id) for entry in (made, logged)} == {(carl.pk, ann.pk)}


def test_changing_the_profile_on_the_web_is_recorded(client, ann):
    client.force_login(ann.user)
    page = client.get(reverse("patients:profile"))
    assert page.status_code == 200
    trail = Trail()
    response = client.post(
        reverse("patients:profile"),
        {
            "display_name": "Ann Renamed",
            "phone_number": "+447911123456",
            "time_zone": "Europe/London",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = trail.one()
    assert (changed.action, changed.entity_type, changed.actor_id, changed.patient_id) == (
        "update",
        "patients.PatientProfile",
        ann.user_id,
        ann.pk,
    )
    assert changed.payload == {"changes": {"display_name": ["Ann Example", "Ann Renamed"]}}


def test_the_make_doses_job_is_recorded_as_the_system(ann):
    with time_machine.travel(NOW, tick=False):
        reminder = MedicationFactory(patient=ann, doses_until=NOW)
        trail = Trail()
        made = tasks.make_doses()
    assert made == 7
    entry = trail.one()
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == (
        "system",
        None,
        "system: make doses ahead",
    )
    assert (entry.action, entry.entity_type, entry.entity_id, entry.patient_id) == (
        "create",
        "reminders.Dose",
        "",
        ann.pk,
    )
    assert entry.payload["reminder_id"] == reminder.pk
    scheduled = [
        jsonable(at) for at in reminder.doses.order_by("scheduled_at").values_list("scheduled_at", flat=True)
    ]
    assert sorted(entry.payload["scheduled_at"]) == scheduled
    assert scheduled[0] == "2026-11-03T08:00:00.000000+00:00"
    assert MedicationReminder.objects.get(pk=reminder.pk).doses_until == NOW + timedelta(days=7)
    # Run again: nothing to make, nothing written.
    trail = Trail()
    with time_machine.travel(NOW, tick=False):
        assert tasks.make_doses() == 0
    assert trail.new() == []


# --- Auth events through allauth's views ----------------------------------------------------------------


def test_signing_in_and_out_are_recorded(client):
    user = UserFactory(email="ann@example.org")
    trail = Trail()
    response = sign_in(client, "ann@example.org")
    assert response.status_code == 302
    login = trail.one()
    assert (login.action, login.entity_type, login.entity_id) == ("login", "accounts.User", str(user.pk))
    assert (login.actor_type, login.actor_id, login.actor_label) == ("user", user.pk, "ann@example.org")
    assert login.payload == {}

    trail = Trail()
    client.post("/accounts/logout/")
    logout = trail.one()
    assert (logout.action, logout.entity_id, logout.actor_id) == ("logout", str(user.pk), user.pk)


def test_a_failed_sign_in_records_the_address_tried_and_never_the_password(client):
    UserFactory(email="ann@example.org")
    trail = Trail()
    response = sign_in(client, "ann@example.org", "my wrong guess 123")
    assert response.status_code == 200
    sign_in(client, "nobody@example.org", "another guess 456")
    first, second = trail.new()
    for entry, tried in ((first, "ann@example.org"), (second, "nobody@example.org")):
        assert (entry.action, entry.entity_type, entry.entity_id) == ("login_failed", "accounts.User", "")
        assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("anonymous", None, "anonymous")
        assert entry.payload == {"email": tried}
    text = everything_written()
    assert "my wrong guess 123" not in text
    assert "another guess 456" not in text


def test_changing_the_password_is_recorded_without_the_hash(client):
    user = UserFactory(email="ann@example.org")
    old_hash = user.password
    sign_in(client, "ann@example.org")
    trail = Trail()
    client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a brand new passphrase",
            "password2": "a brand new passphrase",
        },
    )
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    update, changed = trail.new()
    assert (update.action, update.payload) == ("update", {"changes": {"password": [REDACTED, REDACTED]}})
    assert (changed.action, changed.entity_id, changed.actor_id) == (
        "password_changed",
        str(user.pk),
        user.pk,
    )
    assert changed.actor_label == "ann@example.org"
    text = everything_written()
    for secret in (old_hash, user.password, PASSWORD, "a brand new passphrase"):
        assert secret not in text


def test_a_password_reset_from_the_mailed_link_is_recorded(client):
    user = UserFactory(email="ann@example.org")
    client.post("/accounts/password/reset/", {"email": "ann@example.org"})
    link = link_in_last_mail("/accounts/password/reset/key/")
    form_page = client.get(link, follow=True)
    trail = Trail()
    client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "a brand new passphrase", "password2": "a brand new passphrase"},
    )
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    reset = trail.one(action="password_reset")
    assert (reset.entity_type, reset.entity_id) == ("accounts.User", str(user.pk))
    assert (reset.actor_type, reset.actor_id, reset.actor_label) == ("user", user.pk, "ann@example.org")
    assert trail.one(action="update").payload == {"changes": {"password": [REDACTED, REDACTED]}}
    text = everything_written()
    key = link.rstrip("/").rsplit("/", 1)[-1]
    for secret in (user.password, "a brand new passphrase", key):
        assert secret not in text


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_turning_two_factor_on_and_off_is_recorded(client, django_capture_on_commit_callbacks, settings):
    """allauth announces authenticators when the transaction commits: the callbacks are run here.

    (Run after the request, they could not build allauth's notification mail: it is turned off.)
    """
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = False
    user = UserFactory(email="ann@example.org")
    sign_in(client, "ann@example.org")
    asked = client.get("/accounts/2fa/totp/activate/")
    client.post(asked["Location"], {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session[SECRET_SESSION_KEY]
    trail = Trail()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    enabled = trail.new(action="mfa_enabled")
    assert sorted(entry.payload["authenticator"] for entry in enabled) == ["recovery_codes", "totp"]
    for entry in enabled:
        assert (entry.entity_type, entry.entity_id) == ("accounts.User", str(user.pk))
        assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("user", user.pk, "ann@example.org")

    trail = Trail()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user).exists()
    disabled = trail.new(action="mfa_disabled")
    assert "totp" in [entry.payload["authenticator"] for entry in disabled]
    assert {entry.actor_id for entry in disabled} == {user.pk}
    assert secret not in everything_written()


def test_the_trail_of_all_this_activity_verifies(client, ann, carl):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann))
    sign_in(client, "ann@example.org")
    client.get(reverse("patients:detail", args=[ann.pk]))
    client.post(reverse("reminders:dose_taken", args=[ann.pk, dose.pk]))
    client.post(reverse("reminders:dose_undo", args=[ann.pk, dose.pk]))
    client.post("/accounts/logout/")
    report = verify()
    assert report.ok, report.problem
    assert report.checked == AuditEntry.objects.count()


# --- A caregiver's views ---------------------------------------------------------------------------------


def test_a_caregiver_opening_the_today_page_is_recorded_as_a_view(client, ann, carl):
    client.force_login(carl)
    trail = Trail()
    response = client.get(reverse("patients:detail", args=[ann.pk]))
    assert response.status_code == 200
    view = trail.one()
    assert (view.action, view.entity_type, view.entity_id, view.patient_id) == (
        "view",
        "patients.PatientProfile",
        str(ann.pk),
        ann.pk,
    )
    assert (view.actor_type, view.actor_id, view.actor_label) == ("user", carl.pk, "carl@example.org")
    assert view.payload == {"page": f"/patients/{ann.pk}/"}


def test_each_page_a_caregiver_opens_is_its_own_view(client, ann, carl):
    client.force_login(carl)
    pages = [
        reverse("reminders:medications", args=[ann.pk]),
        reverse("reminders:history", args=[ann.pk]),
        reverse("reminders:history_day", args=[ann.pk, "2026-11-01"]),
    ]
    trail = Trail()
    for page in pages:
        assert client.get(page).status_code == 200
    assert [(entry.action, entry.payload["page"]) for entry in trail.new()] == [
        ("view", page) for page in pages
    ]


def test_the_patient_opening_their_own_pages_writes_nothing(client, ann):
    client.force_login(ann.user)
    trail = Trail()
    assert client.get(reverse("patients:detail", args=[ann.pk])).status_code == 200
    assert client.get(reverse("reminders:medications", args=[ann.pk])).status_code == 200
    assert trail.new() == []


def test_someone_without_access_is_refused_and_nothing_is_recorded(client, ann):
    stranger = UserFactory(email="stranger@example.org")
    CareLinkFactory(patient=ann, caregiver=UserFactory(), status=CareLink.Status.REVOKED)
    client.force_login(stranger)
    trail = Trail()
    assert client.get(reverse("patients:detail", args=[ann.pk])).status_code == 404
    assert trail.new() == []


def test_a_caregiver_looking_at_the_dashboard_of_their_patients_is_recorded(client, ann, carl):
    with time_machine.travel(NOW, tick=False):
        DoseFactory(reminder=MedicationFactory(patient=ann, medication_name="Digoxin"))
        client.force_login(carl)
        trail = Trail()
        response = client.get(reverse("patients:caring"))
    assert "Digoxin" in response.content.decode()
    assert [(entry.action, entry.patient_id, entry.actor_id) for entry in trail.new()] == [
        ("view", ann.pk, carl.pk)
    ]


def test_a_caregiver_opening_the_skip_page_of_a_dose_is_recorded(client, ann, carl):
    dose = DoseFactory(reminder=MedicationFactory(patient=ann, medication_name="Digoxin"))
    client.force_login(carl)
    trail = Trail()
    page = client.get(reverse("reminders:dose_skip", args=[ann.pk, dose.pk]))
    assert "Digoxin" in page.content.decode()
    assert [(entry.action, entry.actor_id, entry.patient_id) for entry in trail.new()] == [
        ("view", carl.pk, ann.pk)
    ]


def test_the_payload_of_a_view_is_json_an_auditor_can_read(client, ann, carl):
    client.force_login(carl)
    client.get(reverse("patients:detail", args=[ann.pk]))
    entry = AuditEntry.objects.filter(action="view").get()
    assert json.loads(json.dumps(entry.payload)) == {"page": f"/patients/{ann.pk}/"}
