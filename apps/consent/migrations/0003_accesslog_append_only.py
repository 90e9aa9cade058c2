"""On PostgreSQL, make the access log append-only in the database itself: a row may never be changed,
except the one transition retention makes (redaction: content blanked, chain fields untouched).
verify_access_log still detects what a superuser could do with triggers disabled."""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION consent_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    IF OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
       AND NEW.id = OLD.id AND NEW.citizen_id = OLD.citizen_id AND NEW.seq = OLD.seq
       AND NEW.created_at = OLD.created_at AND NEW.content_digest = OLD.content_digest
       AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
       AND NEW.purpose_id IS NOT DISTINCT FROM OLD.purpose_id
       AND NEW.organization_id IS NULL AND NEW.organization_slug = '' AND NEW.purpose_code = ''
       AND NEW.requested = '[]'::jsonb AND NEW.categories = '[]'::jsonb AND NEW.basis = ''
       AND NEW.outcome = '' AND NEW.reason = '' AND NEW.actor_label = '' AND NEW.request_id = '' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_accesslog is append-only (row % of citizen %)', OLD.seq, OLD.citizen_id
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS consent_accesslog_append_only ON consent_accesslog;
CREATE TRIGGER consent_accesslog_append_only BEFORE UPDATE ON consent_accesslog
    FOR EACH ROW EXECUTE FUNCTION consent_accesslog_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS consent_accesslog_append_only ON consent_accesslog;
DROP FUNCTION IF EXISTS consent_accesslog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_seed_catalogue")]

    operations = [migrations.RunPython(forwards, backwards)]
