"""The SQL of disclose()'s hot path, written out by hand.

disclose() runs on every scan in the city, so it avoids the ORM's per-query compile cost: three short
statements decide (grant + purpose, consents, [emergency]) and three append the log row (lock-and-bump the
chain head, insert, store the new tip). Plain SQL that runs on PostgreSQL and SQLite alike; every value
is a bound parameter.
"""

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper

from .models import LOG_ROW, AccessLog

# One round trip for the decision: the organization's grants for the purpose ('g' rows) and the citizen's
# consents to it, for this organization or any ('c' rows), each newest first, with their status at `now`
# (a consent to an older text version of the purpose needs renewal) and the categories awaiting renewal.
_DECISION = """
SELECT 'g', g.id,
       CASE WHEN g.state = 'revoked' THEN 'revoked'
            WHEN g.valid_from > %(now)s THEN 'not_yet_valid'
            WHEN g.valid_until IS NOT NULL AND g.valid_until <= %(now)s THEN 'expired'
            ELSE 'active' END,
       p.id, p.legal_basis, p.is_active, p.updated_at, NULL, g.created_at, NULL
  FROM consent_accessgrant g JOIN consent_purpose p ON p.id = g.purpose_id
 WHERE g.organization_id = %(org)s AND p.code = %(code)s
UNION ALL
SELECT 'c', c.id,
       CASE WHEN c.withdrawn_at IS NOT NULL THEN 'withdrawn'
            WHEN c.expires_at IS NOT NULL AND c.expires_at <= %(now)s THEN 'expired'
            WHEN c.text_version < p.text_version THEN 'needs_renewal'
            ELSE 'active' END,
       p.id, NULL, NULL, NULL, c.categories, c.given_at, c.renewal_categories
  FROM consent_consent c JOIN consent_purpose p ON p.id = c.purpose_id
 WHERE c.citizen_id = %(citizen)s AND p.code = %(code)s AND (c.organization_id = %(org)s OR c.organization_id IS NULL)
 ORDER BY 1 DESC, 9 DESC, 2 DESC
"""

_EMERGENCY = """
SELECT e.id FROM consent_emergency e
  JOIN consent_emergency_purposes ep ON ep.emergency_id = e.id
 WHERE ep.purpose_id = %s AND e.starts_at <= %s AND e.ends_at > %s
 ORDER BY e.starts_at DESC, e.id DESC
 LIMIT 1
"""

_BUMP = "UPDATE consent_chainhead SET seq = seq + 1 WHERE citizen_id = %s RETURNING seq, last_hash"
_NEW_HEAD = (
    "INSERT INTO consent_chainhead (citizen_id, seq, last_hash, anchor_seq, anchor_hash) VALUES (%s, 0, %s, 0, %s) "
    "ON CONFLICT (citizen_id) DO NOTHING"
)
_TIP = "UPDATE consent_chainhead SET last_hash = %s WHERE citizen_id = %s"
# The log row's columns come from models.LOG_ROW (built once at import from that constant, never from input);
# seq, prev_hash and hash are the chain's and come last.
_LOG_COLUMNS = ", ".join([c.name for c in LOG_ROW] + ["seq", "prev_hash", "hash"])
_INSERT = (
    f"INSERT INTO consent_accesslog ({_LOG_COLUMNS}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * (len(LOG_ROW) + 3))}) RETURNING id"
)

try:
    import psycopg

    class PreparedCursor(psycopg.Cursor):
        """Every statement as a server-side prepared statement (defined once: a class per call costs more
        than the statement it prepares)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

except ImportError:  # SQLite-only installs: _cursor() never reaches the name without a PostgreSQL connection
    pass


def _cursor() -> CursorWrapper:
    """A cursor for the gate's statements. On PostgreSQL they run as server-side prepared statements:
    planning the decision query costs several times more than executing it, and a prepared statement is
    planned once per connection. (Behind PgBouncer this needs its prepared-statement support, 1.21+.)"""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django turns automatic preparing off (its own cursors bind on the client and never prepare); a
        # threshold lets this cursor's explicit prepare=True take effect without changing anything else.
        connection.connection.prepare_threshold = 1_000_000
    # Django's wrapper keeps its error translation and execute_wrapper hooks for these statements too.
    return CursorWrapper(PreparedCursor(connection.connection), connection)


def db_datetime(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# (id, status, purpose_id, legal_basis, purpose_active, purpose_updated_at as the driver returns it)
GrantRow = tuple[int, str, int, str, bool, Any]
# (id, status, categories, categories awaiting renewal)
ConsentRow = tuple[int, str, list[str], list[str]]


def decision_rows(
    *, organization_id: int, purpose_code: str, citizen_id: int, now: dt.datetime
) -> tuple[list[GrantRow], list[ConsentRow]]:
    """Return (grants, consents): grants as [(id, status, purpose_id, legal_basis, purpose_active,
    purpose_updated_at)] and consents as [(id, status, categories, renewal_categories)], each newest first."""
    params = {"now": db_datetime(now), "org": organization_id, "code": purpose_code, "citizen": citizen_id}
    with _cursor() as cursor:
        cursor.execute(_DECISION, params)
        rows = cursor.fetchall()
    grants = [(r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows if r[0] == "g"]
    consents = [(r[1], r[2], _json(r[7]), _json(r[9]) or []) for r in rows if r[0] == "c"]
    return grants, consents


def active_emergency_id(*, purpose_id: int, now: dt.datetime) -> int | None:
    """The emergency covering the purpose at `now` (the latest declared, if several overlap), or None."""
    at = db_datetime(now)
    with _cursor() as cursor:
        cursor.execute(_EMERGENCY, [purpose_id, at, at])
        row = cursor.fetchone()
    return int(row[0]) if row is not None else None


def chain_bump(*, citizen_id: int, genesis: str) -> tuple[int, str]:
    """Lock the citizen's chain head, advance it by one and return (new seq, previous hash).

    The row lock taken by the UPDATE serializes appends per citizen until the transaction ends.
    """
    with connection.cursor() as cursor:
        cursor.execute(_BUMP, [citizen_id])
        row = cursor.fetchone()
        if row is None:
            # First row for this citizen; a concurrent first append makes this insert a no-op, and the
            # UPDATE below then waits for that transaction's lock.
            cursor.execute(_NEW_HEAD, [citizen_id, genesis, genesis])
            cursor.execute(_BUMP, [citizen_id])
            row = cursor.fetchone()
    return int(row[0]), row[1]


# PostgreSQL: lock and advance the chain head, link the new row and insert it, all in one statement.
# hash = sha256(prev_hash ":" seq ":" content_digest), exactly as chain.link_hash computes it.
_APPEND_PG = f"""
WITH old AS (
  SELECT citizen_id, seq, last_hash FROM consent_chainhead WHERE citizen_id = %(citizen_id)s FOR UPDATE
), h AS (
  UPDATE consent_chainhead AS t
     SET seq = old.seq + 1,
         last_hash = encode(sha256(convert_to(
             old.last_hash || ':' || (old.seq + 1)::text || ':' || %(content_digest)s::text, 'UTF8')), 'hex')
    FROM old
   WHERE t.citizen_id = old.citizen_id
  RETURNING t.seq AS seq, old.last_hash AS prev_hash, t.last_hash AS hash
)
INSERT INTO consent_accesslog ({_LOG_COLUMNS})
SELECT {", ".join(f"%({c.name})s::{c.sql_type}" for c in LOG_ROW)}, h.seq, h.prev_hash, h.hash
  FROM h
RETURNING id, seq, prev_hash, hash
"""  # noqa: S608


def _row_values(row: AccessLog) -> dict[str, Any]:
    return {
        c.name: db_datetime(c.db_value(row)) if c.sql_type == "timestamptz" else c.db_value(row) for c in LOG_ROW
    }


def append_pg(row: AccessLog, *, genesis: str) -> None:
    """Append on PostgreSQL in one atomic statement; fills row.pk, seq, prev_hash and hash."""
    params = _row_values(row)
    with _cursor() as cursor:
        cursor.execute(_APPEND_PG, params)
        result = cursor.fetchone()
        if result is None:  # the citizen's first row: create the head, then append
            cursor.execute(_NEW_HEAD, [row.citizen_id, genesis, genesis])
            cursor.execute(_APPEND_PG, params)
            result = cursor.fetchone()
    row.pk, row.seq, row.prev_hash, row.hash = result


def log_insert(row: AccessLog) -> int:
    values = [*_row_values(row).values(), row.seq, row.prev_hash, row.hash]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, values)
        log_id = cursor.fetchone()[0]
        cursor.execute(_TIP, [row.hash, row.citizen_id])
    return int(log_id)
