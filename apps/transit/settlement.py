"""Settlement in SQL: apps/transit/fares.py's rules applied set-based to every pending tap of a range of accounts.

One chunk is one transaction of a handful of statements, whatever the number of taps:

1. ``tf_legs``: taps → legs with window functions (LEAD/LAG pair a tap-in with its tap-out), distance from
   the stops' ``km``, the best leg rule (a correlated ``ORDER BY priority DESC, id LIMIT 1``), the concession
   and the rider's caps; only legs that started at or before the run's cutoff.
2. ``tf_prior``: what earlier settlements counted (the last trip, per-day and per-week totals).
3. ``tf_chain``: transfers with a recursive CTE, one step per leg of the longest rider day (≈10), not per tap.
4. ``INSERT INTO trip … SELECT`` with running sums (windows) for the daily and weekly caps.
5. Taps leave the pending queue, one ledger entry per trip, balances moved by each account's sum — of this
   chunk's trips only (a second worker on the same run finds the taps gone and writes nothing).

The SQL is written once for PostgreSQL and SQLite: no LEAST/GREATEST (CASE instead), no date arithmetic (taps
carry epoch seconds and their local date and week, computed on upload). Exactly once does not rest on this
code alone: trips are unique per tap and ledger entries per trip, so a second settlement of a tap fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from .fares import NO_CAP
from .models import (
    FareCap,
    FareLegRule,
    FareNetwork,
    FareTransferRule,
    LedgerEntry,
    PendingTap,
    RideAccount,
    RiderCategory,
    Stop,
    Tap,
    Timeframe,
    Trip,
)

T = {m.__name__: m._meta.db_table for m in (Tap, Trip, Stop, FareLegRule, FareTransferRule, FareCap, RiderCategory,
                                              LedgerEntry, RideAccount, Timeframe, PendingTap)}
T["FareProduct"] = FareLegRule._meta.get_field("product").related_model._meta.db_table




def _least(a: str, b: str) -> str:
    return f"(CASE WHEN ({a}) < ({b}) THEN ({a}) ELSE ({b}) END)"


@dataclass
class ChunkResult:
    taps: int
    trips: int
    charged_fen: int
    accounts: list[int]
    deficit_accounts: list[int]


_LEGS = """
CREATE TEMP TABLE tf_legs AS
WITH t AS (
    SELECT id, account_id, at_s, day_s, service_date, service_week, direction, mode, line_id, stop_id,
           LEAD(id) OVER w AS n_id, LEAD(direction) OVER w AS n_dir, LEAD(at_s) OVER w AS n_at,
           LEAD(stop_id) OVER w AS n_stop, LAG(direction) OVER w AS p_dir, LAG(at_s) OVER w AS p_at
    FROM {Tap}
    WHERE id IN (SELECT tap_id FROM {PendingTap}
                 WHERE operator_id = %(op)s AND account_id BETWEEN %(lo)s AND %(hi)s)
    WINDOW w AS (PARTITION BY account_id ORDER BY at_s, id)
), m AS (
    SELECT t.*,
           CASE WHEN t.direction = 'in' AND t.n_dir = 'out' AND t.n_at - t.at_s <= %(timeout)s THEN 1 ELSE 0 END
               AS matched
    FROM t
    WHERE t.direction <> 'out' OR NOT COALESCE(t.p_dir = 'in' AND t.at_s - t.p_at <= %(timeout)s, FALSE)
), l AS (
    SELECT m.account_id, m.id AS first_tap_id,
           CASE WHEN m.matched = 1 THEN m.n_id END AS second_tap_id,
           m.mode, m.line_id, m.stop_id AS from_stop_id,
           CASE WHEN m.matched = 1 THEN m.n_stop END AS to_stop_id,
           m.at_s AS start_s, CASE WHEN m.matched = 1 THEN m.n_at ELSE m.at_s END AS end_s,
           m.day_s, m.service_date, m.service_week,
           CASE WHEN m.matched = 0 AND m.direction <> 'board' THEN 1 ELSE 0 END AS unmatched,
           CASE WHEN m.matched = 1 THEN ABS(CAST(ROUND(COALESCE(s2.km, 0) * 1000) AS INTEGER)
                                            - CAST(ROUND(COALESCE(s1.km, 0) * 1000) AS INTEGER))
                ELSE 0 END AS distance_m
    FROM m
    LEFT JOIN {Stop} s1 ON s1.id = m.stop_id
    LEFT JOIN {Stop} s2 ON s2.id = CASE WHEN m.matched = 1 THEN m.n_stop END
    WHERE m.at_s <= %(cutoff)s
), r AS MATERIALIZED (  -- the rule is picked once per leg (inlined, PostgreSQL evaluated it twice)
    SELECT l.*,
           CASE WHEN l.unmatched = 1 THEN NULL ELSE (
               SELECT fr.id FROM {FareLegRule} fr LEFT JOIN {Timeframe} tf ON tf.id = fr.timeframe_id
               WHERE fr.network_id = %(net)s AND fr.mode = l.mode
                 AND (fr.line_id IS NULL OR fr.line_id = l.line_id)
                 AND fr.min_distance_m <= l.distance_m
                 AND (fr.max_distance_m IS NULL OR l.distance_m < fr.max_distance_m)
                 AND (fr.timeframe_id IS NULL OR (tf.start_s <= l.day_s AND l.day_s < tf.end_s))
               ORDER BY fr.priority DESC, fr.id LIMIT 1) END AS leg_rule_id
    FROM l
), p AS (
    SELECT r.*, COALESCE(fp.amount_fen, %(default_fare)s) AS base_fen, COALESCE(rc.fare_percent, 100) AS pct,
           COALESCE(dc.id, dg.id) AS daily_cap_id, COALESCE(dc.amount_fen, dg.amount_fen, %(no_cap)s) AS dcap,
           COALESCE(wc.id, wg.id) AS weekly_cap_id, COALESCE(wc.amount_fen, wg.amount_fen, %(no_cap)s) AS wcap
    FROM r
    JOIN {RideAccount} a ON a.id = r.account_id
    LEFT JOIN {FareLegRule} fr ON fr.id = r.leg_rule_id
    LEFT JOIN {FareProduct} fp ON fp.id = fr.product_id
    LEFT JOIN {RiderCategory} rc ON rc.network_id = %(net)s AND rc.code = a.concession
    LEFT JOIN {FareCap} dc ON dc.network_id = %(net)s AND dc.period = 'day' AND dc.rider_category_id = rc.id
    LEFT JOIN {FareCap} dg ON dg.network_id = %(net)s AND dg.period = 'day' AND dg.rider_category_id IS NULL
    LEFT JOIN {FareCap} wc ON wc.network_id = %(net)s AND wc.period = 'week' AND wc.rider_category_id = rc.id
    LEFT JOIN {FareCap} wg ON wg.network_id = %(net)s AND wg.period = 'week' AND wg.rider_category_id IS NULL
)
SELECT p.*, (p.base_fen * p.pct + 50) / 100 AS fare_fen,
       ROW_NUMBER() OVER (PARTITION BY p.account_id ORDER BY p.start_s, p.first_tap_id) AS seq
FROM p
"""

_PRIOR = """
CREATE TEMP TABLE tf_prior AS
SELECT account_id, mode, end_s, chain FROM (
    SELECT tr.account_id, tr.mode, tr.end_s, tr.chain,
           ROW_NUMBER() OVER (PARTITION BY tr.account_id ORDER BY tr.start_s DESC, tr.first_tap_id DESC) AS rn
    FROM {Trip} tr
    WHERE tr.operator_id = %(op)s AND tr.account_id BETWEEN %(lo)s AND %(hi)s
      AND tr.account_id IN (SELECT account_id FROM tf_legs)
) x WHERE rn = 1
"""

_PRIOR_DAY = """
CREATE TEMP TABLE tf_pday AS
SELECT tr.account_id, tr.service_date, SUM(tr.after_transfer_fen) AS s FROM {Trip} tr
WHERE tr.operator_id = %(op)s AND tr.account_id BETWEEN %(lo)s AND %(hi)s
  AND tr.service_date IN (SELECT DISTINCT service_date FROM tf_legs)
GROUP BY tr.account_id, tr.service_date
"""

_PRIOR_WEEK = """
CREATE TEMP TABLE tf_pweek AS
SELECT tr.account_id, tr.service_week, SUM(tr.day_fen) AS s FROM {Trip} tr
WHERE tr.operator_id = %(op)s AND tr.account_id BETWEEN %(lo)s AND %(hi)s
  AND tr.service_week IN (SELECT DISTINCT service_week FROM tf_legs)
GROUP BY tr.account_id, tr.service_week
"""

# A transfer applies when a rule exists for (previous mode → this mode), this leg starts within its duration
# limit of the previous leg's end, and the chain is shorter than its transfer_count.
_ELIGIBLE = ("(tr.id IS NOT NULL AND l.start_s - {prev}.end_s <= tr.duration_limit_s"
             " AND {prev}.chain < tr.transfer_count)")


def _chain_columns(prev: str) -> str:
    eligible = _ELIGIBLE.format(prev=prev)
    return (f"l.account_id, l.seq, l.mode, l.end_s, "
            f"CASE WHEN {eligible} THEN {prev}.chain + 1 ELSE 0 END, "
            f"CASE WHEN {eligible} THEN tr.id END, "
            f"CASE WHEN {eligible} THEN {_least('tr.discount_fen', 'l.fare_fen')} ELSE 0 END")


_CHAIN = f"""
CREATE TEMP TABLE tf_chain AS
WITH RECURSIVE c(account_id, seq, mode, end_s, chain, transfer_rule_id, discount) AS (
    SELECT {_chain_columns("pr")}
    FROM tf_legs l
    LEFT JOIN tf_prior pr ON pr.account_id = l.account_id
    LEFT JOIN {{FareTransferRule}} tr ON tr.network_id = %(net)s AND tr.from_mode = pr.mode AND tr.to_mode = l.mode
    WHERE l.seq = 1
    UNION ALL
    SELECT {_chain_columns("c")}
    FROM c
    JOIN tf_legs l ON l.account_id = c.account_id AND l.seq = c.seq + 1
    LEFT JOIN {{FareTransferRule}} tr ON tr.network_id = %(net)s AND tr.from_mode = c.mode AND tr.to_mode = l.mode
)
SELECT account_id, seq, chain, transfer_rule_id, discount FROM c
"""  # noqa: S608  (only constant SQL fragments are interpolated; values are parameters)

_DAY_FEN = _least("x.day_run", "x.dcap") + " - " + _least("x.day_run - x.after_fen", "x.dcap")
_CHARGED = _least("y.week_run", "y.wcap") + " - " + _least("y.week_run - y.day_fen", "y.wcap")

_TRIPS = f"""
INSERT INTO {{Trip}} (account_id, operator_id, run_id, first_tap_id, second_tap_id, mode, line_id, from_stop_id,
    to_stop_id, start_s, end_s, service_date, service_week, distance_m, unmatched, leg_rule_id, base_fen,
    concession_percent, fare_fen, transfer_rule_id, transfer_discount_fen, chain, after_transfer_fen,
    daily_cap_id, day_fen, weekly_cap_id, charged_fen)
SELECT y.account_id, %(op)s, %(run)s, y.first_tap_id, y.second_tap_id, y.mode, y.line_id, y.from_stop_id,
    y.to_stop_id, y.start_s, y.end_s, y.service_date, y.service_week, y.distance_m, y.unmatched = 1, y.leg_rule_id,
    y.base_fen, y.pct, y.fare_fen, y.transfer_rule_id, y.discount, y.chain, y.after_fen,
    y.daily_cap_id, y.day_fen, y.weekly_cap_id, {_CHARGED}
FROM (
    SELECT x.*, {_DAY_FEN} AS day_fen,
           COALESCE(x.pweek, 0) + SUM({_DAY_FEN}) OVER (
               PARTITION BY x.account_id, x.service_week ORDER BY x.seq ROWS UNBOUNDED PRECEDING) AS week_run
    FROM (
        SELECT l.*, c.chain, c.transfer_rule_id, c.discount, l.fare_fen - c.discount AS after_fen, pw.s AS pweek,
               COALESCE(pd.s, 0) + SUM(l.fare_fen - c.discount) OVER (
                   PARTITION BY l.account_id, l.service_date ORDER BY l.seq ROWS UNBOUNDED PRECEDING) AS day_run
        FROM tf_legs l
        JOIN tf_chain c ON c.account_id = l.account_id AND c.seq = l.seq
        LEFT JOIN tf_pday pd ON pd.account_id = l.account_id AND pd.service_date = l.service_date
        LEFT JOIN tf_pweek pw ON pw.account_id = l.account_id AND pw.service_week = l.service_week
    ) x
) y
"""  # noqa: S608  (only constant SQL fragments are interpolated; values are parameters)

_SETTLE_TAPS = """
DELETE FROM {PendingTap}
WHERE operator_id = %(op)s AND account_id BETWEEN %(lo)s AND %(hi)s  -- the queue index narrows it to the chunk
  AND tap_id IN (SELECT first_tap_id FROM tf_legs UNION ALL SELECT second_tap_id FROM tf_legs
             WHERE second_tap_id IS NOT NULL)
"""

_LEDGER = """
INSERT INTO {LedgerEntry} (account_id, kind, amount_fen, reference, trip_id, created_at)
SELECT account_id, 'charge', -charged_fen, 'trip:' || CAST(id AS VARCHAR(20)), id, %(now)s FROM {Trip}
WHERE first_tap_id IN (SELECT first_tap_id FROM tf_legs)
"""

_SUMS = """
CREATE TEMP TABLE tf_sums AS
SELECT account_id, SUM(charged_fen) AS s, COUNT(*) AS n FROM {Trip}
WHERE first_tap_id IN (SELECT first_tap_id FROM tf_legs) GROUP BY account_id
"""

_BALANCES = """
UPDATE {RideAccount}
SET balance_fen = balance_fen - (SELECT s FROM tf_sums WHERE tf_sums.account_id = {RideAccount}.id),
    updated_at = %(now)s
WHERE id IN (SELECT account_id FROM tf_sums)
"""

_DEFICITS = """
SELECT id FROM {RideAccount} WHERE id IN (SELECT account_id FROM tf_sums) AND status = 'active'
  AND balance_fen < -credit_limit_fen ORDER BY id
"""

_TEMP = ("tf_legs", "tf_prior", "tf_pday", "tf_pweek", "tf_chain", "tf_sums")


def _run(cursor: Any, sql: str, params: dict[str, Any]) -> None:
    cursor.execute(sql.format(**T), params)


def settle_chunk(*, network: FareNetwork, run_id: int, cutoff_s: int, lo: int, hi: int) -> ChunkResult:
    """Settle the pending taps of accounts ``lo``..``hi`` of the network's operator. Call inside a transaction."""
    params = {"op": network.operator_id, "net": network.pk, "lo": lo, "hi": hi, "run": run_id, "cutoff": cutoff_s,
              "timeout": network.unmatched_timeout_s, "default_fare": network.default_fare_fen, "no_cap": NO_CAP,
              "now": timezone.now()}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The window functions sort a chunk's taps; in memory rather than spilled to disk (default 4 MB).
            cursor.execute("SET LOCAL work_mem = '128MB'")
        for name in _TEMP:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        _run(cursor, _LEGS, params)
        cursor.execute("CREATE INDEX tf_legs_seq ON tf_legs (account_id, seq)")
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tf_legs")  # the recursive join's plan needs the row count
        _run(cursor, _PRIOR, params)
        _run(cursor, _PRIOR_DAY, params)
        _run(cursor, _PRIOR_WEEK, params)
        _run(cursor, _CHAIN, params)
        _run(cursor, _TRIPS, params)
        _run(cursor, _SETTLE_TAPS, params)
        taps = cursor.rowcount
        _run(cursor, _LEDGER, params)
        _run(cursor, _SUMS, params)
        cursor.execute("CREATE INDEX tf_sums_account ON tf_sums (account_id)")
        _run(cursor, _BALANCES, params)
        cursor.execute("SELECT COUNT(*), COALESCE(SUM(n), 0), COALESCE(SUM(s), 0) FROM tf_sums")
        _accounts, trips, charged = cursor.fetchone()
        cursor.execute("SELECT account_id FROM tf_sums ORDER BY account_id")
        accounts = [row[0] for row in cursor.fetchall()]
        _run(cursor, _DEFICITS, params)
        deficits = [row[0] for row in cursor.fetchall()]
        for name in _TEMP:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return ChunkResult(taps=taps, trips=int(trips), charged_fen=int(charged), accounts=accounts,
                       deficit_accounts=deficits)


def chunk_bounds(*, operator_id: int, taps_per_chunk: int) -> list[tuple[int, int]]:
    """Account-id ranges holding about ``taps_per_chunk`` pending taps each (a rider is never split)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT account_id, COUNT(*) FROM {T['PendingTap']} WHERE operator_id = %s "  # noqa: S608
            "GROUP BY account_id ORDER BY account_id", [operator_id])
        rows = cursor.fetchall()
    bounds: list[tuple[int, int]] = []
    start, count = None, 0
    for account_id, n in rows:
        if start is None:
            start = account_id
        count += n
        if count >= taps_per_chunk:
            bounds.append((start, account_id))
            start, count = None, 0
    if start is not None:
        bounds.append((start, rows[-1][0]))
    return bounds
