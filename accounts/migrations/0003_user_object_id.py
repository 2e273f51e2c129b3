from __future__ import annotations

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(object_id__isnull=True).only("pk").iterator():
        User.objects.filter(pk=user.pk).update(object_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_cares_for_others")]

    operations = [
        migrations.AddField("user", "object_id", models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField("user", "object_id", models.UUIDField(default=uuid.uuid4, unique=True, editable=False)),
    ]
