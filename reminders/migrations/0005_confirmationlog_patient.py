"""ConfirmationLog carries its patient (from its reminder), so that readers of a
confirmation (the audit trail) need not reach back through the reminder.

Added empty, filled from each row's reminder in one UPDATE, and made required in
0006: on PostgreSQL the column cannot be altered in the transaction that filled it.
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_patient(apps, schema_editor):
    ConfirmationLog = apps.get_model("reminders", "ConfirmationLog")
    MedicationReminder = apps.get_model("reminders", "MedicationReminder")
    patient_of_reminder = MedicationReminder.objects.filter(pk=models.OuterRef("reminder_id")).values(
        "patient_id"
    )[:1]
    ConfirmationLog.objects.filter(patient__isnull=True).update(patient_id=models.Subquery(patient_of_reminder))


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_carelink_alert_delay_minutes"),
        ("reminders", "0004_misseddosealert_dose_remind_again_at_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="confirmationlog",
            name="patient",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="confirmations",
                to="patients.patientprofile",
            ),
        ),
        migrations.RunPython(fill_patient, migrations.RunPython.noop),
    ]
