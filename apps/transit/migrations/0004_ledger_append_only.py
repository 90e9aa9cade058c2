"""On PostgreSQL the ledger refuses UPDATE and DELETE: a correction is a new entry, never an edit (the application
never does either; this stops anyone else, a rogue console session included, short of dropping the trigger)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION transit_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'transit_ledgerentry is append-only: correct with a new entry';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER transit_ledger_append_only BEFORE UPDATE OR DELETE ON transit_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION transit_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS transit_ledger_append_only ON transit_ledgerentry;
DROP FUNCTION IF EXISTS transit_ledger_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("transit", "0003_trip_taps_unchecked")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
