from django.db import migrations

from apps.medical.billing import ledger_sql


def install(apps, schema_editor):
    ledger_sql.install(schema_editor)


def uninstall(apps, schema_editor):
    ledger_sql.uninstall(schema_editor)


class Migration(migrations.Migration):
    """The database enforces the ledger's balance and immutability (see apps/medical/models/ledger.py)."""

    dependencies = [("medical", "0003_billing")]

    operations = [migrations.RunPython(install, uninstall)]
