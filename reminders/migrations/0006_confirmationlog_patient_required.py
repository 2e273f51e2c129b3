import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0005_confirmationlog_patient"),
    ]

    operations = [
        migrations.AlterField(
            model_name="confirmationlog",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="confirmations",
                to="patients.patientprofile",
            ),
        ),
    ]
