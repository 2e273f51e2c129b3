"""Data migrations, run forward from the state before them on whatever database the suite uses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from reminders.models import ConfirmationLog
from reminders.tests.factories import DoseFactory, MedicationFactory

BEFORE = [("reminders", "0004_misseddosealert_dose_remind_again_at_and_more")]
AFTER = [("reminders", "0006_confirmationlog_patient_required")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    """Every app's last migration: where the rest of the suite expects the database to be."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_it_gives_every_existing_confirmation_the_patient_of_its_medication():
    ann_dose = DoseFactory(reminder=MedicationFactory(patient__display_name="Ann"))
    bob_pill = MedicationFactory(patient__display_name="Bob")
    old_apps = migrate(BEFORE)
    try:
        OldLog = old_apps.get_model("reminders", "ConfirmationLog")
        fields = {"confirmed_at": timezone.now(), "role": "patient", "method": "web"}
        OldLog.objects.create(reminder_id=ann_dose.reminder_id, dose_id=ann_dose.pk, **fields)
        # An as-needed dose that was undone: the log outlives it, with no dose.
        OldLog.objects.create(reminder_id=bob_pill.pk, dose_id=None, **fields)
    finally:
        migrate(AFTER)
        migrate(latest())  # later reminders migrations too

    patients = dict(ConfirmationLog.objects.values_list("reminder__medication_name", "patient__display_name"))
    assert patients == {ann_dose.reminder.medication_name: "Ann", bob_pill.medication_name: "Bob"}
