"""Hand-written mutants of the gate's SQL (apps/consent/gate_queries.py), which mutmut cannot reach.

Each mutant is an exact text replacement inside one module-level SQL constant. `run_sql_mutants.py` applies
them one at a time (in memory, through the pytest plugin `sql_mutant_plugin`; the file is never edited) and
expects the consent tests to fail. When a target text is no longer found, exactly once, in its constant, the
run stops with an error naming the mutant: the SQL changed and the mutant must be re-targeted, not skipped.

`backends` names where the statement runs: the decision and emergency queries run everywhere, the
one-statement append only on PostgreSQL, the three-statement append only on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass

BOTH = ("postgresql", "sqlite")


@dataclass(frozen=True)
class SqlMutant:
    name: str
    constant: str  # a module-level string of apps.consent.gate_queries
    old: str
    new: str
    backends: tuple[str, ...] = BOTH
    why: str = ""  # what would go wrong if this mutant survived


MUTANTS: tuple[SqlMutant, ...] = (
    SqlMutant(
        "grant_any_organization", "_DECISION",
        "WHERE g.organization_id = %(org)s AND p.code = %(code)s", "WHERE p.code = %(code)s",
        why="one organization's grant authorizes every organization"),
    SqlMutant(
        "grant_any_purpose", "_DECISION",
        "WHERE g.organization_id = %(org)s AND p.code = %(code)s", "WHERE g.organization_id = %(org)s",
        why="a grant for one purpose authorizes every purpose"),
    SqlMutant(
        "grant_never_revoked", "_DECISION",
        "WHEN g.state = 'revoked' THEN 'revoked'", "WHEN FALSE THEN 'revoked'",
        why="a revoked grant keeps working"),
    SqlMutant(
        "grant_never_not_yet_valid", "_DECISION",
        "WHEN g.valid_from > %(now)s THEN", "WHEN g.valid_from IS NULL THEN",
        why="a grant works before it starts"),
    SqlMutant(
        "grant_never_expires", "_DECISION",
        "WHEN g.valid_until IS NOT NULL AND g.valid_until <= %(now)s",
        "WHEN g.valid_until IS NULL AND g.valid_until <= %(now)s",
        why="a grant works after it ends"),
    SqlMutant(
        "consent_any_citizen", "_DECISION",
        "WHERE c.citizen_id = %(citizen)s AND p.code", "WHERE p.code",
        why="alice's consent releases bob's data"),
    SqlMutant(
        "consent_any_organization", "_DECISION",
        "(c.organization_id = %(org)s OR c.organization_id IS NULL)",
        "(c.organization_id IS NOT NULL OR c.organization_id IS NULL)",
        why="a consent to the library covers the gym"),
    SqlMutant(
        "consent_only_for_any_organization", "_DECISION",
        "(c.organization_id = %(org)s OR c.organization_id IS NULL)", "(c.organization_id IS NULL)",
        why="a consent to one organization is ignored (fails closed, but breaks the citizen's choice)"),
    SqlMutant(
        "consent_never_withdrawn", "_DECISION",
        "WHEN c.withdrawn_at IS NOT NULL THEN 'withdrawn'", "WHEN FALSE THEN 'withdrawn'",
        why="a withdrawn consent keeps disclosing"),
    SqlMutant(
        "consent_never_expires", "_DECISION",
        "WHEN c.expires_at IS NOT NULL AND c.expires_at <= %(now)s",
        "WHEN c.expires_at IS NULL AND c.expires_at <= %(now)s",
        why="an expired consent keeps disclosing"),
    SqlMutant(
        "consent_oldest_first", "_DECISION",
        "ORDER BY 1 DESC, 9 DESC, 2 DESC", "ORDER BY 1 DESC, 9 ASC, 2 ASC",
        why="the denial names an old consent's status instead of the newest one's"),
    SqlMutant(
        "consent_wrong_purpose", "_DECISION",
        "WHERE c.citizen_id = %(citizen)s AND p.code = %(code)s",
        "WHERE c.citizen_id = %(citizen)s AND p.code <> %(code)s",
        why="a consent to one purpose releases data for another"),
    SqlMutant(
        "emergency_before_it_starts", "_EMERGENCY",
        "e.starts_at <= %s AND", "%s IS NOT NULL AND",
        why="a declared but not yet started emergency already lifts the consent requirement"),
    SqlMutant(
        "emergency_after_it_ends", "_EMERGENCY",
        "e.ends_at > %s", "%s IS NOT NULL",
        why="an ended emergency still lifts the consent requirement"),
    SqlMutant(
        "emergency_any_purpose", "_EMERGENCY",
        "WHERE ep.purpose_id = %s AND", "WHERE ep.purpose_id <> %s AND",
        why="an emergency for one purpose lifts consent for another"),
    SqlMutant(
        "append_pg_drops_requested", "_APPEND_PG",
        "%(requested)s::jsonb", "'[]'::jsonb", backends=("postgresql",),
        why="the access log forgets what the organization asked for"),
    SqlMutant(
        "append_pg_drops_categories", "_APPEND_PG",
        "%(categories)s::jsonb", "'[]'::jsonb", backends=("postgresql",),
        why="the access log hides what was disclosed"),
    SqlMutant(
        "append_pg_hash_skips_seq", "_APPEND_PG",
        "old.last_hash || ':' || (old.seq + 1)::text || ':'", "old.last_hash || ':' || (old.seq)::text || ':'",
        backends=("postgresql",),
        why="the SQL link hash disagrees with chain.link_hash: every chain reads as tampered"),
    SqlMutant(
        "append_pg_seq_stalls", "_APPEND_PG",
        "SET seq = old.seq + 1,", "SET seq = old.seq,", backends=("postgresql",),
        why="rows repeat a sequence number; the chain has gaps and duplicates"),
    SqlMutant(
        "append_pg_drops_actor_kind", "_APPEND_PG",
        "%(actor_kind)s::text", "''::text", backends=("postgresql",),
        why="the citizen's log no longer says what kind of actor read the data"),
    SqlMutant(
        "append_pg_drops_actor_id", "_APPEND_PG",
        "%(actor_id)s::bigint", "NULL::bigint", backends=("postgresql",),
        why="the citizen's log no longer says which organization, staff member or client read the data"),
    SqlMutant(
        "append_pg_drops_emergency", "_APPEND_PG",
        "%(emergency_id)s::bigint", "NULL::bigint", backends=("postgresql",),
        why="an emergency disclosure no longer names the emergency that allowed it"),
    SqlMutant(
        "append_sqlite_tip_not_stored", "_TIP",
        "WHERE citizen_id = %s", "WHERE citizen_id <> %s", backends=("sqlite",),
        why="the chain head never learns its tip: the next row links to the genesis hash"),
)
