"""The fare engine as a pure function: a rider's taps and an operator's fare table in, priced trips out.

Fares are data modelled on GTFS Fares v2: fare products (an amount), rider categories (a concession as a
percentage), leg rules (mode, optional line, distance band, optional timeframe, priority), transfer rules
(from mode → to mode, a discount, ``duration_limit`` and ``transfer_count``) and caps (daily, weekly).

This module is the specification. Settlement (``settlement.py``) computes the same thing set-based in SQL for
millions of taps; ``tests/transit/test_settlement_agrees.py`` runs both on random days and requires equal
results, so the rule is written twice but checked to agree.

The steps, in order, for one rider:

1. **Legs.** Taps in time order (then by id). A ``board`` tap (bus) is a leg. An ``in`` tap followed by an
   ``out`` tap within ``unmatched_timeout_s`` is one leg (distance = |position(to) − position(from)|). Any
   other ``in`` or ``out`` is an *unmatched* leg and gets the default fare.
2. **Hold.** Only legs that started at or before ``cutoff_s`` (now − timeout) are priced: a tap-in younger
   than that may still meet its tap-out. Later legs wait for the next settlement.
3. **Base fare.** The matching leg rule of highest priority (then lowest id); none → the default fare.
4. **Concession.** ``round(base × percent / 100)`` (half up), percent from the rider category (100 if none).
5. **Transfer.** If the previous leg (this run's, or the rider's last settled trip) ended no more than the
   rule's ``duration_limit_s`` before this leg started, a rule exists for (previous mode → this mode), and
   fewer than ``transfer_count`` transfers have been chained, the discount applies (never below zero) and
   the chain grows by one; otherwise the chain restarts at zero.
6. **Daily cap**, then **weekly cap**: the running total of the service day (week), including what earlier
   settlements already counted, never passes the cap; a leg pays only what is left below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

BOARD, IN, OUT = "board", "in", "out"
DIRECTIONS = (BOARD, IN, OUT)
NO_CAP = 10**15  # larger than any sum of fen


@dataclass(frozen=True)
class TapRecord:
    id: int
    at_s: int  # epoch seconds
    day_s: int  # seconds since local midnight (for timeframes)
    service_date: str  # local date, ISO
    service_week: str  # Monday of the local week, ISO
    direction: str
    mode: str
    line_id: int | None
    stop_id: int | None


@dataclass(frozen=True)
class LegRule:
    id: int
    mode: str
    amount_fen: int
    line_id: int | None = None
    min_distance_m: int = 0
    max_distance_m: int | None = None
    timeframe: tuple[int, int] | None = None  # [start_s, end_s) of the local day
    priority: int = 0
    product: str = ""


@dataclass(frozen=True)
class TransferRule:
    id: int
    from_mode: str
    to_mode: str
    discount_fen: int
    duration_limit_s: int
    transfer_count: int


@dataclass(frozen=True)
class FareTable:
    leg_rules: Sequence[LegRule]
    transfer_rules: Sequence[TransferRule]
    default_fare_fen: int
    unmatched_timeout_s: int
    stop_positions_m: dict[int, int] = field(default_factory=dict)
    daily_cap_fen: int | None = None
    weekly_cap_fen: int | None = None
    daily_cap_id: int | None = None
    weekly_cap_id: int | None = None
    concession_percent: int = 100  # of the rider's category


@dataclass(frozen=True)
class Prior:
    """What earlier settlements already charged the rider: the last trip, and totals per day and week."""

    last_mode: str | None = None
    last_end_s: int | None = None
    last_chain: int = 0
    day_fen: dict[str, int] = field(default_factory=dict)  # service_date → sum of fare after transfer
    week_fen: dict[str, int] = field(default_factory=dict)  # service_week → sum of the day-capped fares


@dataclass
class Charge:
    first_tap: int
    second_tap: int | None
    mode: str
    line_id: int | None
    from_stop_id: int | None
    to_stop_id: int | None
    start_s: int
    end_s: int
    service_date: str
    service_week: str
    distance_m: int
    unmatched: bool
    leg_rule_id: int | None
    base_fen: int
    concession_percent: int
    fare_fen: int  # after the concession
    transfer_rule_id: int | None
    transfer_discount_fen: int
    chain: int
    after_transfer_fen: int
    day_fen: int  # after the daily cap
    charged_fen: int  # after the weekly cap
    daily_cap_id: int | None = None
    weekly_cap_id: int | None = None

    def explanation(self) -> list[dict[str, object]]:
        return explain(self)


def explain(c: Any) -> list[dict[str, object]]:
    """The steps that priced a trip, from the values settlement stored (see ``selectors.trip_list``)."""
    steps: list[dict[str, object]] = []
    if c.unmatched:
        steps.append({"step": "default_fare", "fen": c.base_fen})
    elif c.leg_rule_id is None:
        steps.append({"step": "no_rule_default_fare", "fen": c.base_fen})
    else:
        steps.append({"step": "leg_rule", "rule": c.leg_rule_id, "distance_m": c.distance_m, "fen": c.base_fen})
    if c.concession_percent != 100:
        steps.append({"step": "concession", "percent": c.concession_percent, "fen": c.fare_fen - c.base_fen})
    if c.transfer_rule_id is not None:
        steps.append({"step": "transfer", "rule": c.transfer_rule_id, "chain": c.chain,
                      "fen": -c.transfer_discount_fen})
    if c.day_fen != c.after_transfer_fen:
        steps.append({"step": "daily_cap", "cap": c.daily_cap_id, "fen": c.day_fen - c.after_transfer_fen})
    if c.charged_fen != c.day_fen:
        steps.append({"step": "weekly_cap", "cap": c.weekly_cap_id, "fen": c.charged_fen - c.day_fen})
    steps.append({"step": "charged", "fen": c.charged_fen})
    return steps


def _leg_rule(table: FareTable, mode: str, line_id: int | None, distance: int, day_s: int) -> LegRule | None:
    matching = [
        r for r in table.leg_rules
        if r.mode == mode and (r.line_id is None or r.line_id == line_id)
        and r.min_distance_m <= distance and (r.max_distance_m is None or distance < r.max_distance_m)
        and (r.timeframe is None or r.timeframe[0] <= day_s < r.timeframe[1])
    ]
    return min(matching, key=lambda r: (-r.priority, r.id)) if matching else None


def concession(base_fen: int, percent: int) -> int:
    return (base_fen * percent + 50) // 100


def _clamp_increment(before: int, amount: int, cap: int) -> int:
    """What a leg of ``amount`` pays when ``before`` was already counted against ``cap``."""
    return min(before + amount, cap) - min(before, cap)


def legs(taps: Iterable[TapRecord], table: FareTable) -> list[tuple[TapRecord, TapRecord | None, bool]]:
    """(first tap, second tap or None, unmatched) for every leg, in time order."""
    ordered = sorted(taps, key=lambda t: (t.at_s, t.id))
    result: list[tuple[TapRecord, TapRecord | None, bool]] = []
    for i, tap in enumerate(ordered):
        prev = ordered[i - 1] if i else None
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        if tap.direction == BOARD:
            result.append((tap, None, False))
        elif tap.direction == IN:
            if nxt is not None and nxt.direction == OUT and nxt.at_s - tap.at_s <= table.unmatched_timeout_s:
                result.append((tap, nxt, False))
            else:
                result.append((tap, None, True))
        elif not (prev is not None and prev.direction == IN and tap.at_s - prev.at_s <= table.unmatched_timeout_s):
            result.append((tap, None, True))  # an out with no in before it
    return result


def price(taps: Iterable[TapRecord], table: FareTable, *, cutoff_s: int, prior: Prior | None = None) -> list[Charge]:
    """Price one rider's legs that started at or before ``cutoff_s``."""
    prior = prior or Prior()
    transfer = {(r.from_mode, r.to_mode): r for r in table.transfer_rules}
    prev_mode, prev_end, prev_chain = prior.last_mode, prior.last_end_s, prior.last_chain
    day_total = dict(prior.day_fen)
    week_total = dict(prior.week_fen)
    daily_cap = NO_CAP if table.daily_cap_fen is None else table.daily_cap_fen
    weekly_cap = NO_CAP if table.weekly_cap_fen is None else table.weekly_cap_fen
    charges = []
    for first, second, unmatched in legs(taps, table):
        if first.at_s > cutoff_s:
            break
        distance = 0
        if second is not None and first.stop_id is not None and second.stop_id is not None:
            distance = abs(table.stop_positions_m.get(second.stop_id, 0) - table.stop_positions_m.get(first.stop_id, 0))
        rule = None if unmatched else _leg_rule(table, first.mode, first.line_id, distance, first.day_s)
        base = rule.amount_fen if rule is not None else table.default_fare_fen
        fare = concession(base, table.concession_percent)
        end_s = second.at_s if second is not None else first.at_s
        t = transfer.get((prev_mode, first.mode)) if prev_mode is not None else None
        if (t is not None and prev_end is not None and first.at_s - prev_end <= t.duration_limit_s
                and prev_chain < t.transfer_count):
            discount, chain, transfer_id = min(t.discount_fen, fare), prev_chain + 1, t.id
        else:
            discount, chain, transfer_id = 0, 0, None
        after = fare - discount
        day_before = day_total.get(first.service_date, 0)
        day_fen = _clamp_increment(day_before, after, daily_cap)
        day_total[first.service_date] = day_before + after
        week_before = week_total.get(first.service_week, 0)
        charged = _clamp_increment(week_before, day_fen, weekly_cap)
        week_total[first.service_week] = week_before + day_fen
        charges.append(Charge(
            first_tap=first.id, second_tap=second.id if second else None, mode=first.mode, line_id=first.line_id,
            from_stop_id=first.stop_id, to_stop_id=second.stop_id if second else None, start_s=first.at_s,
            end_s=end_s, service_date=first.service_date, service_week=first.service_week, distance_m=distance,
            unmatched=unmatched, leg_rule_id=rule.id if rule else None, base_fen=base,
            concession_percent=table.concession_percent, fare_fen=fare, transfer_rule_id=transfer_id,
            transfer_discount_fen=discount, chain=chain, after_transfer_fen=after, day_fen=day_fen,
            charged_fen=charged, daily_cap_id=table.daily_cap_id, weekly_cap_id=table.weekly_cap_id,
        ))
        prev_mode, prev_end, prev_chain = first.mode, end_s, chain
    return charges


def table_from(data: dict[str, Any], *, concession: str = "none") -> FareTable:
    """The engine's table from ``selectors.fare_table_get``'s JSON (what a reader package carries), for a rider
    of this concession: its category's percent and caps (a category's own cap, else the general one)."""
    products = {p["id"]: p["amount_fen"] for p in data["products"]}
    timeframes = {t["id"]: (t["start_s"], t["end_s"]) for t in data["timeframes"]}
    category = next((c for c in data["rider_categories"] if c["code"] == concession), None)
    caps: dict[str, tuple[int, int]] = {}
    for cap in data["caps"]:
        if cap["rider_category"] is None and cap["period"] not in caps:
            caps[cap["period"]] = (cap["id"], cap["amount_fen"])
    for cap in data["caps"]:
        if category is not None and cap["rider_category"] == category["id"]:
            caps[cap["period"]] = (cap["id"], cap["amount_fen"])
    return FareTable(
        leg_rules=[LegRule(r["id"], r["mode"], products[r["product"]], line_id=r["line"],
                           min_distance_m=r["min_distance_m"], max_distance_m=r["max_distance_m"],
                           timeframe=timeframes[r["timeframe"]] if r["timeframe"] else None, priority=r["priority"])
                   for r in data["leg_rules"]],
        transfer_rules=[TransferRule(t["id"], t["from_mode"], t["to_mode"], t["discount_fen"], t["duration_limit_s"],
                                     t["transfer_count"]) for t in data["transfer_rules"]],
        default_fare_fen=data["default_fare_fen"], unmatched_timeout_s=data["unmatched_timeout_s"],
        stop_positions_m={int(k): v for k, v in data["stop_positions_m"].items()},
        daily_cap_id=caps["day"][0] if "day" in caps else None,
        daily_cap_fen=caps["day"][1] if "day" in caps else None,
        weekly_cap_id=caps["week"][0] if "week" in caps else None,
        weekly_cap_fen=caps["week"][1] if "week" in caps else None,
        concession_percent=category["fare_percent"] if category else 100,
    )
