"""On PostgreSQL the recolour's working tables are UNLOGGED: their rows live for one run and never need to survive a
crash, so writing them to the WAL only slows a 100,000-citizen recolour down."""

from django.db import migrations

TABLES = ("health_recolourscratch", "health_recolourdecision")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET UNLOGGED", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET LOGGED", params=None)


class Migration(migrations.Migration):
    dependencies = [("health", "0002_ruleset_draft_without_tests")]

    operations = [migrations.RunPython(forwards, backwards)]
