from __future__ import annotations

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    PatientProfile = apps.get_model("patients", "PatientProfile")
    for profile in PatientProfile.objects.filter(object_id__isnull=True).only("pk"):
        PatientProfile.objects.filter(pk=profile.pk).update(object_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [
        migrations.AddField("patientprofile", "object_id", models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            "patientprofile",
            "object_id",
            models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
