"""Set-based recolouring: reduce evidence to facts in SQL, decide once per distinct set of facts, write back by join.

One run handles a selection of citizens (those a case list matched, a region whose rule set came into force, those
whose colour is due to change, or one citizen). It never loops over citizens in Python: a 90,000-citizen case list
has a few dozen distinct fact sets (kind x date), each evaluated once by the rule engine. Works on PostgreSQL and
SQLite (the SQL below is the common subset, with GREATEST/MAX the one difference). Every SQL string is built
from constants of this module only (hence the S608 waivers); every value is a query parameter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import rules as engine
from .models import RecolourDecision, RecolourScratch, RuleSetVersion

FACT_COLUMNS = (
    "case_kind", "case_since", "test_result", "test_on", "vaccine_doses", "vaccine_last", "high_risk_left",
    "medium_risk_left", "declared_on", "declared_fever", "declared_unwell", "clean_days",
)
_SEVERITY_SQL = ("CASE x.kind WHEN 'confirmed' THEN 5 WHEN 'asymptomatic' THEN 4 WHEN 'suspected' THEN 3 "
                 "WHEN 'close_contact' THEN 2 ELSE 1 END")
# The latest row of each kind of evidence is found by one correlated subquery for its id, then joined by primary
# key: one index probe per citizen and table instead of one per column.
_LATEST_CASE = ("SELECT x.id FROM health_caserecord x WHERE x.citizen_id = c.id AND x.since <= %(today)s "  # noqa: S608
                f"ORDER BY x.since DESC, {_SEVERITY_SQL} DESC LIMIT 1")
_LATEST_TEST = ("SELECT x.id FROM health_testresult x WHERE x.citizen_id = c.id AND x.sampled_on <= %(today)s "
                "ORDER BY x.sampled_on DESC, x.result DESC LIMIT 1")
_LATEST_DECLARATION = ("SELECT x.id FROM health_declaration x WHERE x.citizen_id = c.id AND x.date <= %(today)s "
                       "ORDER BY x.date DESC LIMIT 1")
_RISK_LEFT = ("SELECT MAX(tr.left_on) FROM health_travelrecord tr JOIN health_riskarea a ON a.id = tr.area_id "
              "WHERE tr.citizen_id = c.id AND a.level = '{level}' AND tr.arrived_on <= %(today)s "
              "AND tr.left_on >= a.risk_from AND (a.risk_until IS NULL OR tr.arrived_on <= a.risk_until)")
REGION_SQL = (
    "COALESCE((SELECT r.id FROM health_region r WHERE r.id_prefix <> '' AND r.id_prefix = SUBSTR(c.id_masked, 1, 2)),"
    " (SELECT r.id FROM health_region r WHERE r.is_default))"
)


@dataclass(frozen=True)
class Selection:
    """Which citizens a run recolours: a SQL condition on ``c`` (identity_citizen) and its parameters."""

    where: str
    params: dict[str, Any]

    @staticmethod
    def citizen(citizen_id: int) -> Selection:
        return Selection("c.id = %(citizen_id)s", {"citizen_id": citizen_id})

    @staticmethod
    def case_list(case_list_id: int, *, after_id: int = 0, upto_id: int | None = None) -> Selection:
        where = ("c.id IN (SELECT cr2.citizen_id FROM health_caserecord cr2 WHERE cr2.case_list_id = %(list_id)s)"
                 " AND c.id > %(after_id)s")
        params: dict[str, Any] = {"list_id": case_list_id, "after_id": after_id}
        if upto_id is not None:
            where += " AND c.id <= %(upto_id)s"
            params["upto_id"] = upto_id
        return Selection(where, params)

    @staticmethod
    def region(region_id: int) -> Selection:
        # Everyone of the region who has a colour or any evidence; someone with neither gets their first colour when
        # they first open their code (services.citizen_evaluate).
        return Selection(
            f"{REGION_SQL} = %(region_id)s AND (EXISTS (SELECT 1 FROM health_citizencolour x WHERE x.citizen_id = c.id)"  # noqa: S608
            " OR EXISTS (SELECT 1 FROM health_caserecord x WHERE x.citizen_id = c.id)"
            " OR EXISTS (SELECT 1 FROM health_testresult x WHERE x.citizen_id = c.id)"
            " OR EXISTS (SELECT 1 FROM health_travelrecord x WHERE x.citizen_id = c.id)"
            " OR EXISTS (SELECT 1 FROM health_declaration x WHERE x.citizen_id = c.id))",
            {"region_id": region_id},
        )

    @staticmethod
    def due(now: dt.datetime) -> Selection:
        return Selection(
            "c.id IN (SELECT x.citizen_id FROM health_citizencolour x WHERE x.next_change_at <= %(due_at)s)",
            {"due_at": now},
        )


@dataclass
class Outcome:
    evaluated: int
    changed: int
    # (from, to) -> count, from '' for a first colour
    moves: dict[tuple[str, str], int]
    fact_sets: int


def _greatest(*exprs: str) -> str:
    floor = "'0001-01-01'"
    parts = ", ".join(f"COALESCE({e}, {floor})" for e in exprs)
    if connection.vendor == "postgresql":
        return f"GREATEST({parts.replace(floor, floor + '::date')})"
    return f"MAX({parts})"


def _json(value: str) -> str:
    return f"'{value}'::jsonb" if connection.vendor == "postgresql" else f"'{value}'"


def rule_set_in_force(region_id: int, at: dt.datetime) -> RuleSetVersion | None:
    """The published version of the region's rules in force at ``at``: the highest version whose validity covers it."""
    return (
        RuleSetVersion.objects.filter(region_id=region_id, state=RuleSetVersion.State.PUBLISHED, valid_from__lte=at)
        .exclude(valid_until__lte=at)
        .order_by("-major", "-minor", "-patch")
        .first()
    )


def _collect(run: str, selection: Selection, today: dt.date) -> None:
    """Insert one scratch row per selected citizen with its facts, then count its clean days."""
    params: dict[str, Any] = {**selection.params, "run": run, "today": today}
    key = " || '|' || ".join(f"COALESCE(CAST(f.{col} AS TEXT), '')" for col in FACT_COLUMNS)
    sql = f"""
        INSERT INTO health_recolourscratch (run, citizen_id, region_id, case_kind, case_since, case_list_id,
            test_result, test_on, vaccine_doses, vaccine_last, high_risk_left, medium_risk_left, declared_on,
            declared_fever, declared_unwell, unwell_on, clean_days, fkey)
        SELECT %(run)s, f.citizen_id, f.region_id, f.case_kind, f.case_since, f.case_list_id, f.test_result,
            f.test_on, f.vaccine_doses, f.vaccine_last, f.high_risk_left, f.medium_risk_left, f.declared_on,
            f.declared_fever, f.declared_unwell, f.unwell_on, f.clean_days, {key}
        FROM (
            SELECT c.id AS citizen_id, {REGION_SQL} AS region_id,
                cr.kind AS case_kind, cr.since AS case_since, cr.case_list_id AS case_list_id,
                t.result AS test_result, t.sampled_on AS test_on,
                (SELECT COUNT(*) FROM health_vaccination v
                  WHERE v.citizen_id = c.id AND v.vaccinated_on <= %(today)s) AS vaccine_doses,
                (SELECT MAX(v.vaccinated_on) FROM health_vaccination v
                  WHERE v.citizen_id = c.id AND v.vaccinated_on <= %(today)s) AS vaccine_last,
                ({_RISK_LEFT.format(level="high")}) AS high_risk_left,
                ({_RISK_LEFT.format(level="medium")}) AS medium_risk_left,
                d.date AS declared_on, d.fever AS declared_fever, d.unwell AS declared_unwell,
                (SELECT MAX(u.date) FROM health_declaration u WHERE u.citizen_id = c.id AND u.unwell
                  AND u.date <= %(today)s) AS unwell_on,
                0 AS clean_days
            FROM identity_citizen c
            LEFT JOIN health_caserecord cr ON cr.id = ({_LATEST_CASE})
            LEFT JOIN health_testresult t ON t.id = ({_LATEST_TEST})
            LEFT JOIN health_declaration d ON d.id = ({_LATEST_DECLARATION})
            WHERE {selection.where}
        ) f
    """  # noqa: S608
    adverse = _greatest("s.case_since", "CASE WHEN s.test_result = 'positive' THEN s.test_on END",
                        "s.high_risk_left", "s.medium_risk_left", "s.unwell_on")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Only citizens with a declaration can have clean days: count them (and re-key them) for those alone.
        cursor.execute(
            f"""UPDATE health_recolourscratch AS s SET clean_days = (
                    SELECT COUNT(*) FROM health_declaration d WHERE d.citizen_id = s.citizen_id AND NOT d.unwell
                    AND d.date <= %(today)s AND d.date > {adverse})
                WHERE s.run = %(run)s AND s.declared_on IS NOT NULL""",  # noqa: S608
            {"run": run, "today": today},
        )
        cursor.execute(
            f"UPDATE health_recolourscratch AS s SET fkey = {key.replace('f.', 's.')} "  # noqa: S608
            "WHERE s.run = %(run)s AND s.declared_on IS NOT NULL", {"run": run})
        if connection.vendor == "postgresql":
            # the grouping and the joins below plan with the run's real size, not an empty table's guess
            cursor.execute("ANALYZE health_recolourscratch")


def _decide(run: str, now: dt.datetime, rule_sets: dict[int, RuleSetVersion | None]) -> int:
    """Evaluate each distinct (region, facts) once and store the decisions. Returns how many fact sets there were."""
    # fkey is all the facts: rows with the same (region, fkey) have the same facts, so DISTINCT keeps one of each
    columns = ", ".join(f"s.{col}" for col in FACT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT s.region_id, s.fkey, {columns} FROM health_recolourscratch s "  # noqa: S608
            "WHERE s.run = %(run)s AND s.region_id IS NOT NULL",
            {"run": run},
        )
        groups = cursor.fetchall()
    decisions = []
    for region_id, fkey, *values in groups:
        if region_id not in rule_sets:
            rule_sets[region_id] = rule_set_in_force(region_id, now)
        version = rule_sets[region_id]
        if version is None:
            continue  # a region without rules in force colours nobody
        facts = _facts(dict(zip(FACT_COLUMNS, values, strict=True)))
        decision = engine.evaluate(version.rules, facts, now=timezone.localtime(now))
        decisions.append(RecolourDecision(
            run=run, region_id=region_id, fkey=fkey, colour=decision.colour, rule_set_version_id=version.pk,
            rule_id=decision.rule_id, reasons=decision.reasons, next_change_at=decision.next_change_at))
    RecolourDecision.objects.bulk_create(decisions, batch_size=500)
    return len(groups)


def _facts(row: dict[str, Any]) -> engine.Facts:
    def day(value: Any) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))

    return engine.Facts(
        case_kind=row["case_kind"] or "", case_since=day(row["case_since"]),
        test_result=row["test_result"] or "", test_on=day(row["test_on"]),
        vaccine_doses=int(row["vaccine_doses"] or 0), vaccine_last=day(row["vaccine_last"]),
        high_risk_left=day(row["high_risk_left"]), medium_risk_left=day(row["medium_risk_left"]),
        declared_on=day(row["declared_on"]), declared_fever=bool(row["declared_fever"]),
        declared_unwell=bool(row["declared_unwell"]), clean_days=int(row["clean_days"] or 0),
    )


_JOIN = """FROM health_recolourscratch s
    JOIN health_recolourdecision dd ON dd.run = s.run AND dd.region_id = s.region_id AND dd.fkey = s.fkey
    LEFT JOIN health_citizencolour cc ON cc.citizen_id = s.citizen_id
    WHERE s.run = %(run)s"""


def _moves(run: str) -> dict[tuple[str, str], int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(cc.colour, ''), dd.colour, COUNT(*) {_JOIN} "
            "AND (cc.colour IS NULL OR cc.colour <> dd.colour) GROUP BY COALESCE(cc.colour, ''), dd.colour",
            {"run": run},
        )
        return {(from_, to): n for from_, to, n in cursor.fetchall()}


def _apply(run: str, now: dt.datetime, cause: str) -> None:
    params: dict[str, Any] = {"run": run, "now": now, "cause": cause}
    with connection.cursor() as cursor:
        # 1. the transitions of everyone whose colour changes (a first colour counts: the citizen sees "since")
        cursor.execute(
            f"""INSERT INTO health_colourtransition (citizen_id, from_colour, to_colour, cause, rule_set_version_id,
                    rule_id, reasons, reason_code, legal_reference, case_list_id, detail, at)
                SELECT s.citizen_id, COALESCE(cc.colour, ''), dd.colour, %(cause)s, dd.rule_set_version_id,
                    dd.rule_id, dd.reasons, '', '', s.case_list_id, {_json('{}')}, %(now)s
                {_JOIN} AND (cc.colour IS NULL OR cc.colour <> dd.colour)""",
            params,
        )
        # 2. the colours in force, where anything of the decision differs
        cursor.execute(
            """UPDATE health_citizencolour AS cc SET colour = dd.colour, region_id = s.region_id,
                    rule_set_version_id = dd.rule_set_version_id, rule_id = dd.rule_id, reasons = dd.reasons,
                    next_change_at = dd.next_change_at, case_list_id = s.case_list_id, updated_at = %(now)s
                FROM health_recolourscratch s, health_recolourdecision dd
                WHERE s.run = %(run)s AND dd.run = s.run AND dd.region_id = s.region_id AND dd.fkey = s.fkey
                  AND cc.citizen_id = s.citizen_id
                  AND (cc.colour <> dd.colour OR cc.rule_id <> dd.rule_id
                       OR cc.rule_set_version_id IS DISTINCT FROM dd.rule_set_version_id
                       OR cc.next_change_at IS DISTINCT FROM dd.next_change_at
                       OR cc.case_list_id IS DISTINCT FROM s.case_list_id)""".replace(
                "IS DISTINCT FROM", "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"),
            params,
        )
        # 3. first colours
        cursor.execute(
            f"""INSERT INTO health_citizencolour (citizen_id, colour, region_id, rule_set_version_id, rule_id, reasons,
                    next_change_at, case_list_id, updated_at)
                SELECT s.citizen_id, dd.colour, s.region_id, dd.rule_set_version_id, dd.rule_id, dd.reasons,
                    dd.next_change_at, s.case_list_id, %(now)s
                {_JOIN} AND cc.citizen_id IS NULL""",
            params,
        )


def _lock() -> None:
    """Serialize recolour runs (PostgreSQL advisory lock, released at commit): two runs over the same citizen would
    otherwise both insert a first colour. SQLite serializes writers by itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x6865616C7468])  # "health"


def run(selection: Selection, *, cause: str, now: dt.datetime | None = None, dry: bool = False,
        rule_sets: dict[int, RuleSetVersion | None] | None = None) -> Outcome:
    """Recolour the selected citizens (one transaction). ``dry`` computes the moves and writes nothing.
    ``rule_sets`` overrides the rules per region (the dry run of a draft)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    run_id = uuid.uuid4().hex
    with transaction.atomic():
        if not dry:
            _lock()
        _collect(run_id, selection, today)
        fact_sets = _decide(run_id, now, dict(rule_sets or {}))
        moves = _moves(run_id)
        evaluated = RecolourScratch.objects.filter(run=run_id).count()
        if not dry:
            _apply(run_id, now, cause)
        RecolourDecision.objects.filter(run=run_id).delete()
        RecolourScratch.objects.filter(run=run_id).delete()
    return Outcome(evaluated=evaluated, changed=sum(moves.values()), moves=moves, fact_sets=fact_sets)


def run_in_chunks(selections: Sequence[Selection], *, cause: str, now: dt.datetime | None = None,
                  progress: Callable[[Outcome], None] | None = None) -> Outcome:
    """Several runs, each its own transaction, reporting after each (live progress for a large case list)."""
    total = Outcome(0, 0, {}, 0)
    for selection in selections:
        outcome = run(selection, cause=cause, now=now)
        total.evaluated += outcome.evaluated
        total.changed += outcome.changed
        total.fact_sets += outcome.fact_sets
        for move, n in outcome.moves.items():
            total.moves[move] = total.moves.get(move, 0) + n
        if progress is not None:
            progress(total)
    return total
