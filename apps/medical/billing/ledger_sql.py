"""The database's half of the ledger's rules (see models/ledger.py): installed by migration 0003."""

PG_INSTALL = """
CREATE OR REPLACE FUNCTION medical_ledger_check_balanced() RETURNS trigger AS $$
DECLARE
    txn uuid;
    total bigint;
    legs integer;
BEGIN
    IF TG_TABLE_NAME = 'medical_ledgerentry' THEN txn := NEW.transaction_id; ELSE txn := NEW.id; END IF;
    SELECT coalesce(sum(amount_fen), 0), count(*) INTO total, legs
      FROM medical_ledgerentry WHERE transaction_id = txn;
    IF total <> 0 OR legs < 2 OR NOT EXISTS (SELECT 1 FROM medical_ledgertransaction WHERE id = txn) THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to % fen', txn, legs, total
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION medical_ledger_entry_before_header() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM medical_ledgertransaction WHERE id = NEW.transaction_id) THEN
        RAISE EXCEPTION 'ledger transaction % is posted: it takes no new entries (post a reversal)',
            NEW.transaction_id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION medical_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: correct it with a reversal' USING ERRCODE = '23514';
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER medical_ledger_entry_balanced AFTER INSERT ON medical_ledgerentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION medical_ledger_check_balanced();
CREATE CONSTRAINT TRIGGER medical_ledger_transaction_balanced AFTER INSERT ON medical_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION medical_ledger_check_balanced();
CREATE TRIGGER medical_ledger_entry_before_header BEFORE INSERT ON medical_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION medical_ledger_entry_before_header();
CREATE TRIGGER medical_ledger_entry_append_only BEFORE UPDATE OR DELETE ON medical_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION medical_ledger_append_only();
CREATE TRIGGER medical_ledger_transaction_append_only BEFORE UPDATE OR DELETE ON medical_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION medical_ledger_append_only();
"""

PG_UNINSTALL = """
DROP TRIGGER IF EXISTS medical_ledger_entry_balanced ON medical_ledgerentry;
DROP TRIGGER IF EXISTS medical_ledger_transaction_balanced ON medical_ledgertransaction;
DROP TRIGGER IF EXISTS medical_ledger_entry_before_header ON medical_ledgerentry;
DROP TRIGGER IF EXISTS medical_ledger_entry_append_only ON medical_ledgerentry;
DROP TRIGGER IF EXISTS medical_ledger_transaction_append_only ON medical_ledgertransaction;
DROP FUNCTION IF EXISTS medical_ledger_check_balanced();
DROP FUNCTION IF EXISTS medical_ledger_entry_before_header();
DROP FUNCTION IF EXISTS medical_ledger_append_only();
"""

# SQLite has no deferred triggers: the header's insert is the commit point of a ledger transaction instead.
SQLITE_INSTALL = [
    """CREATE TRIGGER medical_ledger_entry_before_header BEFORE INSERT ON medical_ledgerentry
       WHEN EXISTS (SELECT 1 FROM medical_ledgertransaction WHERE id = NEW.transaction_id)
       BEGIN SELECT RAISE(ABORT, 'ledger transaction is posted: it takes no new entries (post a reversal)'); END""",
    """CREATE TRIGGER medical_ledger_transaction_balanced AFTER INSERT ON medical_ledgertransaction
       WHEN (SELECT coalesce(sum(amount_fen), 0) FROM medical_ledgerentry WHERE transaction_id = NEW.id) <> 0
         OR (SELECT count(*) FROM medical_ledgerentry WHERE transaction_id = NEW.id) < 2
       BEGIN SELECT RAISE(ABORT, 'ledger transaction is unbalanced'); END""",
    """CREATE TRIGGER medical_ledger_entry_append_only BEFORE UPDATE ON medical_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: correct it with a reversal'); END""",
    """CREATE TRIGGER medical_ledger_transaction_append_only BEFORE UPDATE ON medical_ledgertransaction
       BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: correct it with a reversal'); END""",
]
SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {name}" for name in (
        "medical_ledger_entry_before_header", "medical_ledger_transaction_balanced",
        "medical_ledger_entry_append_only", "medical_ledger_transaction_append_only",
    )
]


def install(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)  # its "%" are plpgsql's, not placeholders
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement)


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNINSTALL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UNINSTALL:
            schema_editor.execute(statement)
