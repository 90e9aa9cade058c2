"""Rules as data: validate a rule set, evaluate it for one set of evidence, and say when the colour next changes.

A rule set is a list of rules ``{id, colour, logic, reason_code, text_zh, text_en}``; ``logic`` is JsonLogic in the
restricted CertLogic style (no custom operators, literal ``var`` paths), evaluated by datalogic-py (datalogic-rs, a
maintained engine that compiles once and evaluates many times). The rule input is the closed epidemiological
vocabulary below and nothing else: a rule naming any other input (deposits, petitions, exercise...) is refused at
upload, so a colour can never depend on it.

Evaluation: every rule whose logic is truthy fires; the most severe colour among them wins (red > yellow > green),
decided by the first rule of that colour; no rule firing means green by the rule set's default. The input speaks in
whole days before the evaluation day, and "no such evidence" is ``NO_EVIDENCE`` days (not null: JsonLogic follows
JavaScript, where ``null < 14`` is true, and a rule author should not need a guard to avoid colouring everyone).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import datalogic_py

from .models import CASE_KINDS, COLOURS, SEVERITY

#: Day count standing for "no such evidence": larger than any rule's window, so `days < N` is false.
NO_EVIDENCE = 99999
#: How far ahead the next change of colour is looked for (days), assuming clean daily declarations.
HORIZON_DAYS = 30
DEFAULT_RULE_ID = "default"

#: The closed vocabulary a rule may read, with what each means. Nothing outside it can be named.
VOCABULARY: dict[str, str] = {
    "case.kind": f"the latest case-list entry: one of {', '.join(CASE_KINDS)}, or '' when none",
    "case.days": "days since that entry's date",
    "test.result": "the latest test result: positive, negative, or ''",
    "test.days": "days since that test was sampled",
    "vaccination.doses": "doses received",
    "vaccination.days": "days since the last dose",
    "travel.high_risk_days": "days since leaving a high-risk area (stay overlapping its risk period)",
    "travel.medium_risk_days": "days since leaving a medium-risk area",
    "declaration.fever": "fever in the latest daily declaration",
    "declaration.unwell": "fever or any symptom in the latest daily declaration",
    "declaration.days": "days since the latest daily declaration",
    "clean_days": "clean daily declarations (no fever, no symptom) since the latest adverse evidence",
}
OPERATORS = frozenset({
    "var", "if", "===", "!==", "==", "!=", "and", "or", "!", "!!", "<", "<=", ">", ">=", "in", "+", "-", "max", "min",
})
RULE_KEYS = {"id", "colour", "logic", "reason_code", "text_zh", "text_en"}

_engine = datalogic_py.Engine()


class RuleSetInvalid(ValueError):
    """The rule set cannot be stored; ``problems`` says where and why, ``not_epidemiological`` lists foreign inputs."""

    def __init__(self, problems: list[str], *, not_epidemiological: Sequence[str] = ()) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.not_epidemiological = list(not_epidemiological)


@dataclass(frozen=True)
class Facts:
    """One citizen's evidence as of a day: the latest of each kind (dates), as the recolour query computes it."""

    case_kind: str = ""
    case_since: dt.date | None = None
    test_result: str = ""
    test_on: dt.date | None = None
    vaccine_doses: int = 0
    vaccine_last: dt.date | None = None
    high_risk_left: dt.date | None = None
    medium_risk_left: dt.date | None = None
    declared_on: dt.date | None = None
    declared_fever: bool = False
    declared_unwell: bool = False
    clean_days: int = 0


@dataclass(frozen=True)
class Decision:
    colour: str
    rule_id: str
    reasons: list[str] = field(default_factory=list)
    next_change_at: dt.datetime | None = None
    next_colour: str = ""


def _days(since: dt.date | None, today: dt.date) -> int:
    return NO_EVIDENCE if since is None else (today - since).days


def rule_input(facts: Facts, today: dt.date) -> dict[str, Any]:
    """The rule input for these facts on ``today``: exactly the vocabulary, as nested objects."""
    return {
        "case": {"kind": facts.case_kind, "days": _days(facts.case_since, today)},
        "test": {"result": facts.test_result, "days": _days(facts.test_on, today)},
        "vaccination": {"doses": facts.vaccine_doses, "days": _days(facts.vaccine_last, today)},
        "travel": {
            "high_risk_days": _days(facts.high_risk_left, today),
            "medium_risk_days": _days(facts.medium_risk_left, today),
        },
        "declaration": {
            "fever": facts.declared_fever, "unwell": facts.declared_unwell, "days": _days(facts.declared_on, today),
        },
        "clean_days": facts.clean_days,
    }


# -- validation --------------------------------------------------------------------------------------------------


def _walk(node: Any, where: str, problems: list[str], foreign: list[str]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{where}[{i}]", problems, foreign)
        return
    if not isinstance(node, dict):
        return  # a literal
    if len(node) != 1:
        problems.append(f"{where}: an operation is an object with exactly one operator")
        return
    [(operator, args)] = node.items()
    if operator not in OPERATORS:
        problems.append(f"{where}: operator {operator!r} is not allowed (allowed: {', '.join(sorted(OPERATORS))})")
        return
    if operator == "var":
        path = args[0] if isinstance(args, list) and args else args
        if not isinstance(path, str):
            problems.append(f"{where}: var needs a literal path (computed paths cannot be checked)")
        elif path not in VOCABULARY:
            foreign.append(path)
        return
    _walk(args, f"{where}.{operator}", problems, foreign)


def validate_rules(rules: Any) -> list[dict[str, Any]]:
    """Check a rule list; raise RuleSetInvalid (with every problem) or return it unchanged."""
    problems: list[str] = []
    foreign: list[str] = []
    if not isinstance(rules, list) or not rules:
        raise RuleSetInvalid(["rules must be a non-empty list"])
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        where = f"rules[{i}]"
        if not isinstance(rule, dict) or set(rule) != RULE_KEYS:
            problems.append(f"{where}: a rule has exactly the keys {', '.join(sorted(RULE_KEYS))}")
            continue
        if not isinstance(rule["id"], str) or not rule["id"] or rule["id"] in seen or rule["id"] == DEFAULT_RULE_ID:
            problems.append(f"{where}: id must be a unique non-empty string other than {DEFAULT_RULE_ID!r}")
        seen.add(str(rule["id"]))
        if rule["colour"] not in COLOURS:
            problems.append(f"{where}: colour must be one of {', '.join(COLOURS)}")
        if not (isinstance(rule["reason_code"], str) and rule["reason_code"].isidentifier()):
            problems.append(f"{where}: reason_code must be an identifier")
        if not (isinstance(rule["text_zh"], str) and rule["text_zh"] and isinstance(rule["text_en"], str)
                and rule["text_en"]):
            problems.append(f"{where}: texts in zh-Hans and en are both required")
        _walk(rule["logic"], f"{where}.logic", problems, foreign)
    if foreign:
        problems.append(
            "inputs outside the epidemiological vocabulary: " + ", ".join(sorted(set(foreign)))
            + f" (allowed: {', '.join(VOCABULARY)})")
    if problems:
        raise RuleSetInvalid(problems, not_epidemiological=sorted(set(foreign)))
    # A valid expression never throws: probe it with no evidence and with every kind of case.
    for i, rule in enumerate(rules):
        for probe in _probes():
            try:
                _compiled(json.dumps(rule["logic"], sort_keys=True)).evaluate(rule_input(probe, dt.date(2020, 1, 1)))
            except datalogic_py.DataLogicError as exc:
                problems.append(f"rules[{i}].logic fails on {probe}: {exc}")
                break
    if problems:
        raise RuleSetInvalid(problems)
    return rules


def _probes() -> Iterable[Facts]:
    yield Facts()
    day = dt.date(2019, 12, 25)
    for kind in CASE_KINDS:
        yield Facts(case_kind=kind, case_since=day, test_result="positive", test_on=day, vaccine_doses=2,
                    vaccine_last=day, high_risk_left=day, medium_risk_left=day, declared_on=day,
                    declared_fever=True, declared_unwell=True, clean_days=3)


@functools.lru_cache(maxsize=512)
def _compiled(logic_json: str) -> datalogic_py.Rule:
    # Keyed by the canonical JSON: a rule set version's logic never changes once stored.
    return _engine.compile(json.loads(logic_json))


# -- evaluation --------------------------------------------------------------------------------------------------


def _decide(rules: Sequence[Mapping[str, Any]], data: dict[str, Any]) -> tuple[str, str, list[str]]:
    fired = [rule for rule in rules
             if _engine.truthy(json.dumps(_compiled(json.dumps(rule["logic"], sort_keys=True)).evaluate(data)))]
    if not fired:
        return "green", DEFAULT_RULE_ID, []
    worst = max(SEVERITY[rule["colour"]] for rule in fired)
    decider = next(rule for rule in fired if SEVERITY[rule["colour"]] == worst)
    reasons = [rule["reason_code"] for rule in sorted(fired, key=lambda r: -SEVERITY[r["colour"]])]
    return decider["colour"], decider["id"], list(dict.fromkeys(reasons))


def evaluate(rules: Sequence[Mapping[str, Any]], facts: Facts, *, now: dt.datetime) -> Decision:
    """The colour these facts get under these rules at ``now``, and when (and to what) it will next change if the
    citizen keeps declaring clean days and no new evidence arrives."""
    today = now.date()
    colour, rule_id, reasons = _decide(rules, rule_input(facts, today))
    for ahead in range(1, HORIZON_DAYS + 1):
        projected = replace(
            facts, declared_on=today + dt.timedelta(days=ahead), declared_fever=False, declared_unwell=False,
            clean_days=facts.clean_days + ahead)
        later, _, _ = _decide(rules, rule_input(projected, today + dt.timedelta(days=ahead)))
        if later != colour:
            start = dt.datetime.combine(today + dt.timedelta(days=ahead), dt.time.min, tzinfo=now.tzinfo)
            return Decision(colour, rule_id, reasons, start, later)
    return Decision(colour, rule_id, reasons)


def facts_from_evidence(evidence: Mapping[str, Any]) -> Facts:
    """Facts from a test case's evidence: ``{case: {kind, since}, test: {result, on}, vaccination: {doses, last_on},
    travel: {high_risk_left_on, medium_risk_left_on}, declaration: {on, fever, unwell}, clean_days}``, dates ISO."""

    def day(value: Any) -> dt.date | None:
        return None if value in (None, "") else dt.date.fromisoformat(str(value))

    case = evidence.get("case") or {}
    test = evidence.get("test") or {}
    vaccination = evidence.get("vaccination") or {}
    travel = evidence.get("travel") or {}
    declaration = evidence.get("declaration") or {}
    unknown = set(evidence) - {"case", "test", "vaccination", "travel", "declaration", "clean_days"}
    if unknown:
        raise ValueError(f"unknown evidence: {', '.join(sorted(unknown))}")
    if case.get("kind", "") not in ("", *CASE_KINDS):
        raise ValueError(f"unknown case kind {case.get('kind')!r}")
    return Facts(
        case_kind=case.get("kind", "") or "", case_since=day(case.get("since")),
        test_result=test.get("result", "") or "", test_on=day(test.get("on")),
        vaccine_doses=int(vaccination.get("doses", 0) or 0), vaccine_last=day(vaccination.get("last_on")),
        high_risk_left=day(travel.get("high_risk_left_on")), medium_risk_left=day(travel.get("medium_risk_left_on")),
        declared_on=day(declaration.get("on")), declared_fever=bool(declaration.get("fever", False)),
        declared_unwell=bool(declaration.get("unwell", declaration.get("fever", False))),
        clean_days=int(evidence.get("clean_days", 0) or 0),
    )


def run_test_cases(rules: Sequence[Mapping[str, Any]], test_cases: Any) -> list[dict[str, Any]]:
    """Every test case's outcome: ``{name, expected, got, rule_id, passed}`` (or an ``error``)."""
    outcomes: list[dict[str, Any]] = []
    if not isinstance(test_cases, list):
        return [{"name": "", "passed": False, "error": "test_cases must be a list"}]
    for i, case in enumerate(test_cases):
        name = str(case.get("name", f"case {i + 1}")) if isinstance(case, dict) else f"case {i + 1}"
        try:
            if not isinstance(case, dict) or case.get("expected") not in COLOURS:
                raise ValueError("a test case is {name, evidence, now, expected} with expected green|yellow|red")
            now = dt.datetime.fromisoformat(str(case["now"]))
            if now.tzinfo is None:
                now = now.replace(tzinfo=dt.UTC)
            decision = evaluate(rules, facts_from_evidence(case.get("evidence") or {}), now=now)
        except (ValueError, TypeError, KeyError, datalogic_py.DataLogicError) as exc:
            outcomes.append({"name": name, "passed": False, "error": str(exc)})
            continue
        outcomes.append({"name": name, "expected": case["expected"], "got": decision.colour,
                         "rule_id": decision.rule_id, "passed": decision.colour == case["expected"]})
    return outcomes
