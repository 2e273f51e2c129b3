from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The default cache (login rate limits) is a database table unless Redis
    # is configured; making it here means `migrate` is the only setup step.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("adherence", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=False)]
