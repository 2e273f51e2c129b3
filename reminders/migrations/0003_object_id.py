from __future__ import annotations

import uuid

from django.db import migrations, models

MODELS = ("medicationreminder", "dose", "confirmationlog")


def fill(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("reminders", name)
        for row in model.objects.filter(object_id__isnull=True).only("pk").iterator():
            model.objects.filter(pk=row.pk).update(object_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("reminders", "0002_confirmation_outlives_dose")]

    operations = [
        *(migrations.AddField(name, "object_id", models.UUIDField(null=True, editable=False)) for name in MODELS),
        migrations.RunPython(fill, migrations.RunPython.noop),
        *(
            migrations.AlterField(name, "object_id", models.UUIDField(default=uuid.uuid4, unique=True, editable=False))
            for name in MODELS
        ),
    ]
