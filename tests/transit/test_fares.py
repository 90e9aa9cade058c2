"""The fare engine's worked examples (apps/transit/fares.py is the specification settlement must agree with).

The demo operator's table: bus line 1 costs 2 yuan, any other bus line 2 yuan, 1.5 off-peak (10:00–16:00); the
metro costs 3 yuan up to 6 km, 4 up to 12 km, 5 beyond; a bus↔metro transfer within 90 minutes takes 1 yuan
off (at most 2 transfers chained); a bus→bus transfer within 60 minutes is free once; the day is capped at
12 yuan, the week at 50; an unmatched tap gets the 7-yuan default fare after 3 hours.
"""

import datetime as dt

from apps.transit import fares
from apps.transit.fares import BOARD, IN, OUT, FareTable, LegRule, Prior, TapRecord, TransferRule

BUS, METRO = "bus", "metro"
LINE_1, LINE_2, METRO_LINE = 10, 11, 20
A, B, C, D = 100, 101, 102, 103  # metro stops at 0, 5 km, 8 km, 20 km
MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.timezone(dt.timedelta(hours=8)))

TABLE = FareTable(
    leg_rules=[
        LegRule(1, BUS, 200, line_id=LINE_1, product="bus_flat"),
        LegRule(2, BUS, 200, product="bus_flat"),
        LegRule(3, BUS, 150, timeframe=(10 * 3600, 16 * 3600), priority=1, product="bus_off_peak"),
        LegRule(4, METRO, 300, max_distance_m=6000, product="metro_1"),
        LegRule(5, METRO, 400, min_distance_m=6000, max_distance_m=12000, product="metro_2"),
        LegRule(6, METRO, 500, min_distance_m=12000, product="metro_3"),
    ],
    transfer_rules=[
        TransferRule(1, BUS, METRO, 100, 90 * 60, 2),
        TransferRule(2, METRO, BUS, 100, 90 * 60, 2),
        TransferRule(3, BUS, BUS, 200, 60 * 60, 1),
    ],
    default_fare_fen=700,
    unmatched_timeout_s=3 * 3600,
    stop_positions_m={A: 0, B: 5000, C: 8000, D: 20000},
    daily_cap_fen=1200,
    weekly_cap_fen=5000,
)

_ids = iter(range(1, 10**6))


def tap(day: int, hhmm: str, direction: str, mode: str = METRO, line: int | None = None, stop: int | None = None):
    hour, minute = map(int, hhmm.split(":"))
    at = MONDAY + dt.timedelta(days=day, hours=hour, minutes=minute)
    monday = (at.date() - dt.timedelta(days=at.weekday())).isoformat()
    return TapRecord(id=next(_ids), at_s=int(at.timestamp()), day_s=hour * 3600 + minute * 60,
                     service_date=at.date().isoformat(), service_week=monday, direction=direction, mode=mode,
                     line_id=line if line is not None else (METRO_LINE if mode == METRO else LINE_1), stop_id=stop)


def bus(day, hhmm, line=LINE_1):
    return tap(day, hhmm, BOARD, BUS, line)


def metro(day, t_in, s_in, t_out, s_out):
    return [tap(day, t_in, IN, stop=s_in), tap(day, t_out, OUT, stop=s_out)]


LATER = int((MONDAY + dt.timedelta(days=30)).timestamp())


def charged(taps, table=TABLE, **kw):
    return [c.charged_fen for c in fares.price(taps, table, cutoff_s=kw.pop("cutoff_s", LATER), **kw)]


def test_bus_then_metro_within_the_window_gets_the_transfer_discount():
    # Given a 2-yuan bus ride at 08:00 and an 8 km metro ride (4 yuan) starting 30 minutes later
    taps = [bus(0, "08:00"), *metro(0, "08:30", A, "08:55", C)]
    # When priced
    charges = fares.price(taps, TABLE, cutoff_s=LATER)
    # Then the metro leg costs 4 − 1 = 3 yuan and says which transfer rule applied
    assert [c.charged_fen for c in charges] == [200, 300]
    assert charges[1].leg_rule_id == 5 and charges[1].distance_m == 8000
    assert charges[1].transfer_rule_id == 1 and charges[1].chain == 1
    assert {"step": "transfer", "rule": 1, "chain": 1, "fen": -100} in charges[1].explanation()
    # And the first leg is never discounted
    assert charges[0].transfer_rule_id is None


def test_a_transfer_outside_the_duration_limit_pays_the_full_fare():
    # Given the metro ride starts 91 minutes after the bus ride
    taps = [bus(0, "08:00"), *metro(0, "09:31", A, "09:50", B)]
    # Then no discount: 2 + 3 yuan
    assert charged(taps) == [200, 300]


def test_the_transfer_window_counts_from_the_end_of_the_previous_leg():
    # Given a metro ride ending at 09:40 after a 08:00 tap-in, then a bus at 10:30 (≤ 90 min after the exit)
    taps = [*metro(0, "08:00", A, "09:40", D), bus(0, "10:30")]
    # Then the bus is a transfer: off-peak 1.5 − 1 = 0.5 yuan
    assert charged(taps) == [500, 50]


def test_the_transfer_count_limits_how_many_discounts_chain():
    # Given three bus rides 20 minutes apart, and bus→bus allows 1 transfer
    taps = [bus(0, "07:00"), bus(0, "07:20", LINE_2), bus(0, "07:40")]
    # Then the second is free and the third pays again (the chain restarts)
    assert charged(taps) == [200, 0, 200]


def test_the_daily_cap_stops_charging_and_the_next_day_pays_again():
    # Given five 4-yuan metro rides on Monday, far apart (no transfers), and one on Tuesday
    taps = [leg for h in ("06:00", "09:00", "12:00", "15:00", "18:00") for leg in metro(0, h, A, h[:3] + "30", C)]
    taps += metro(1, "08:00", A, "08:30", C)
    # Then Monday stops at the 12-yuan cap; Tuesday starts afresh
    charges = fares.price(taps, TABLE, cutoff_s=LATER)
    assert [c.charged_fen for c in charges] == [400, 400, 400, 0, 0, 400]
    assert {"step": "daily_cap", "cap": None, "fen": -400} in charges[3].explanation()


def test_a_leg_that_crosses_the_daily_cap_pays_only_what_is_left():
    # Given 3 + 4 + 4 yuan, then a 5-yuan ride: only 1 yuan is left under 12
    taps = [*metro(0, "06:00", A, "06:20", B), *metro(0, "09:00", A, "09:20", C),
            *metro(0, "12:00", A, "12:20", C), *metro(0, "18:00", A, "18:40", D)]
    assert charged(taps) == [300, 400, 400, 100]


def test_the_weekly_cap_applies_over_the_daily_capped_amounts():
    # Given every day of one week capped at 12 yuan: 12 × 7 = 84 > 50
    taps = []
    for day in range(7):
        for h in ("06:00", "09:00", "12:00", "15:00"):
            taps += metro(day, h, A, h[:3] + "40", D)  # 5 yuan each, 20 a day before the cap
    charges = fares.price(taps, TABLE, cutoff_s=LATER)
    days = sorted({c.service_date for c in charges})
    per_day = [sum(c.charged_fen for c in charges if c.service_date == d) for d in days]
    # Then days 1–4 pay 12 each (48), day 5 pays the 2 left, later days nothing, and the week totals 50
    assert per_day == [1200, 1200, 1200, 1200, 200, 0, 0]
    assert sum(per_day) == 5000


def test_an_unmatched_tap_in_gets_the_default_fare_only_after_the_timeout():
    # Given a tap-in at 08:00 with no tap-out
    taps = [tap(0, "08:00", IN, stop=A)]
    at = taps[0].at_s
    # When settled less than 3 hours later, it waits (it may still meet its tap-out)
    assert charged(taps, cutoff_s=at - 1) == []
    # When settled after the timeout, it is charged the default fare and says so
    [charge] = fares.price(taps, TABLE, cutoff_s=at)
    assert (charge.charged_fen, charge.unmatched) == (700, True)
    assert charge.explanation()[0] == {"step": "default_fare", "fen": 700}


def test_a_tap_out_without_a_tap_in_and_a_tap_in_followed_by_another_tap_in_are_unmatched():
    # Given an exit with no entry, then an entry followed by another entry that is properly closed
    taps = [tap(0, "07:00", OUT, stop=C), tap(0, "08:00", IN, stop=A), *metro(0, "08:10", A, "08:30", B)]
    charges = fares.price(taps, TABLE, cutoff_s=LATER)
    # Then the two strays pay the default fare and the closed ride its distance fare (no transfer from strays
    # beyond the rules: the metro→metro pair has no transfer rule)
    assert [(c.unmatched, c.charged_fen) for c in charges] == [(True, 700), (True, 500), (False, 0)]


def test_a_tap_out_after_the_timeout_does_not_close_the_ride():
    taps = [tap(0, "06:00", IN, stop=A), tap(0, "09:01", OUT, stop=B)]
    assert [c.unmatched for c in fares.price(taps, TABLE, cutoff_s=LATER)] == [True, True]


def test_a_concession_halves_the_fare_and_the_transfer_discount_never_goes_below_zero():
    # Given a student (50%) with a 1-yuan off-peak bus... (1.5 → 0.75 rounds half up to 0.75 fen-exact: 75)
    student = FareTable(**{**TABLE.__dict__, "concession_percent": 50})
    taps = [bus(0, "11:00"), *metro(0, "11:20", A, "11:40", B)]
    charges = fares.price(taps, student, cutoff_s=LATER)
    # Then the bus costs 75 fen, the metro 150 − 100 = 50
    assert [c.charged_fen for c in charges] == [75, 50]
    assert {"step": "concession", "percent": 50, "fen": -150} in charges[1].explanation()
    # And a free-riding senior (0%) is never given a negative charge by a transfer
    senior = FareTable(**{**TABLE.__dict__, "concession_percent": 0})
    assert charged(taps, senior) == [0, 0]


def test_the_timeframe_rule_wins_by_priority_inside_its_hours_only():
    assert charged([bus(0, "09:59"), bus(0, "13:00"), bus(0, "16:00")]) == [200, 150, 200]


def test_earlier_settlements_count_towards_the_cap_and_the_transfer_chain():
    # Given 10 yuan already counted today and a bus ride that ended 10 minutes before
    first = bus(0, "08:00")
    prior = Prior(last_mode=BUS, last_end_s=first.at_s, last_chain=0, day_fen={first.service_date: 1000})
    taps = [*metro(0, "08:10", A, "08:30", C)]
    # Then the 4-yuan ride gets the transfer (3 yuan) and pays only the 2 left under the cap
    [charge] = fares.price(taps, TABLE, cutoff_s=LATER, prior=prior)
    assert (charge.transfer_rule_id, charge.after_transfer_fen, charge.charged_fen) == (1, 300, 200)


def test_money_is_integer_fen_everywhere():
    taps = [bus(0, "11:00"), *metro(0, "11:20", A, "11:40", D)]
    for charge in fares.price(taps, FareTable(**{**TABLE.__dict__, "concession_percent": 33}), cutoff_s=LATER):
        assert all(isinstance(getattr(charge, f), int) for f in ("base_fen", "fare_fen", "charged_fen", "day_fen"))
