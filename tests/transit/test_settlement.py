"""Settlement in SQL against the fare engine (its specification), exactly once, money in the ledger."""

import dataclasses
import datetime as dt
import random

import pytest
from django.db.models import Sum

from apps.identity.models import Organization
from apps.transit import fare_services, fares, selectors
from apps.transit.fares import TapRecord
from apps.transit.models import LedgerEntry, PendingTap, RideAccount, SettlementRun, Tap, Trip
from citycode.errors import DomainError
from tests.transit.fare_fixtures import CST, Network, ledger_balances_agree, tap, upload

MONDAY = dt.datetime(2026, 11, 23, tzinfo=CST)
NOW = MONDAY + dt.timedelta(days=9)


@pytest.fixture
def network(make_org):
    return Network(make_org("city-bus", kind=Organization.Kind.TRANSIT_OPERATOR))


def settle(network, now=NOW, **kw):
    run = fare_services.settlement_start(operator=network.operator, now=now)
    return fare_services.settlement_execute(run_id=run.pk, **kw)


def at(day, hhmm):
    h, m = map(int, hhmm.split(":"))
    return MONDAY + dt.timedelta(days=day, hours=h, minutes=m)


def trips_of(account):
    return list(Trip.objects.filter(account=account).order_by("start_s", "first_tap_id"))


def test_a_bus_ride_and_a_metro_transfer_are_charged_with_their_explanations(network, make_citizen):
    # Given alice (prepaid, 50 yuan) boards bus line 1 at 08:00 and rides the metro A→C from 08:30
    account, cert = network.rider(make_citizen(), balance_fen=5000)
    p = cert.pseudonym
    upload(network.readers["bus1"], "b1", [tap("t1", at(0, "08:00"), p, "board")])
    upload(network.readers["gateA"], "g1", [tap("t1", at(0, "08:30"), p, "in")])
    upload(network.readers["gateC"], "g1", [tap("t1", at(0, "08:55"), p, "out")])
    # When the operator settles
    run = settle(network)
    # Then two trips: 2 yuan, then 4 − 1 (transfer) = 3 yuan, and the run says so
    bus, metro = trips_of(account)
    assert (bus.charged_fen, metro.charged_fen) == (200, 300)
    assert (metro.distance_m, metro.leg_rule_id, metro.transfer_rule_id) == (
        8000, network.rules["m2"].pk, network.transfers["bus_metro"].pk)
    assert (run.status, run.taps_settled, run.trips, run.charged_fen) == ("done", 3, 2, 500)
    # And the money moved once each, through the ledger
    account.refresh_from_db()
    assert account.balance_fen == 4500
    assert sorted(LedgerEntry.objects.filter(account=account, kind="charge").values_list("amount_fen", flat=True)) \
        == [-300, -200]
    assert ledger_balances_agree()
    # And the trips page's selector explains each fare with the rules that applied
    [latest, _first] = selectors.trip_list(account=account)
    assert {"step": "transfer", "rule": network.transfers["bus_metro"].pk, "chain": 1, "fen": -100} in latest["steps"]


def test_a_batch_sent_twice_and_overlapping_batches_settle_each_tap_once(network, make_citizen):
    account, cert = network.rider(make_citizen(), balance_fen=5000)
    p = cert.pseudonym
    taps = [tap(f"t{i}", at(0, f"{7 + i:02d}:00"), p, "board") for i in range(4)]
    reader = network.readers["bus1"]
    # Given a batch, the same batch again, and an overlapping batch (taps 2..3 again, plus a new one)
    first, created = upload(reader, "day1", taps[:3])
    again, created_again = upload(reader, "day1", taps[:3])
    overlap, _ = upload(reader, "day1-retry", taps[1:])
    # Then the repeat is answered from the first upload, and the overlap stores only the new tap
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert (overlap.received, overlap.new, overlap.duplicates) == (3, 1, 2)
    assert Tap.objects.filter(reader=reader).count() == 4
    # When settled twice
    settle(network)
    second = settle(network)
    # Then each tap was charged exactly once, and the second run found nothing to do
    assert Trip.objects.filter(account=account).count() == 4
    assert second.trips == 0 and second.charged_fen == 0
    assert LedgerEntry.objects.filter(account=account, kind="charge").count() == 4
    assert ledger_balances_agree()


def test_a_batch_id_reused_for_other_taps_is_refused_and_stores_nothing(network, make_citizen):
    _account, cert = network.rider(make_citizen())
    reader = network.readers["bus1"]
    upload(reader, "b", [tap("t1", at(0, "08:00"), cert.pseudonym, "board")])
    with pytest.raises(DomainError) as error:
        upload(reader, "b", [tap("t2", at(0, "09:00"), cert.pseudonym, "board")])
    assert error.value.code == "batch_id_reused" and error.value.status_code == 409
    assert not Tap.objects.filter(tap_uid="t2").exists()


def test_bad_batches_are_refused_whole(network, make_citizen):
    _account, cert = network.rider(make_citizen())
    p = cert.pseudonym
    cases = [
        (network.readers["bus1"], [tap("t1", at(0, "08:00"), p, "board"), tap("t1", at(0, "09:00"), p, "board")],
         "duplicate_tap_in_batch"),
        (network.readers["bus1"], [tap("t1", at(0, "08:00"), p, "in")], "bad_tap_direction"),
        (network.readers["gateA"], [tap("t1", at(0, "08:00"), p, "board")], "bad_tap_direction"),
        (network.readers["bus1"], [tap("t9", dt.datetime.now(CST) + dt.timedelta(hours=1), p, "board")],
         "tap_in_future"),
    ]
    for reader, taps, code in cases:
        with pytest.raises(DomainError) as error:
            upload(reader, f"bad-{code}", taps)
        assert error.value.code == code
    assert Tap.objects.count() == 0


def test_another_operator_s_pseudonym_and_an_invented_one_are_never_charged(network, make_citizen, make_org):
    # Given a rider certified for another operator only, and a pseudonym nobody holds
    other = Network(make_org("metro-co", kind=Organization.Kind.TRANSIT_OPERATOR), slug="metro")
    account, foreign = other.rider(make_citizen(), balance_fen=1000)
    up, _ = upload(network.readers["bus1"], "b", [tap("t1", at(0, "08:00"), foreign.pseudonym, "board"),
                                                  tap("t2", at(0, "08:05"), "nobody-holds-this", "board")])
    # When this operator settles
    run = settle(network)
    # Then nothing is charged to anyone and the taps stay as unknown riders
    assert run.trips == 0 and run.taps_unknown == 2
    assert not Trip.objects.exists()
    account.refresh_from_db()
    assert account.balance_fen == 1000


def _records(account):
    return [TapRecord(id=t.pk, at_s=t.at_s, day_s=t.day_s, service_date=t.service_date.isoformat(),
                      service_week=t.service_week.isoformat(), direction=t.direction, mode=t.mode, line_id=t.line_id,
                      stop_id=t.stop_id)
            for t in Tap.objects.filter(account=account)]


FIELDS = [f.name for f in dataclasses.fields(fares.Charge)]


def _as_charge(trip):
    values = {f: getattr(trip, f"{f}_id" if f in ("first_tap", "second_tap") else f) for f in FIELDS}
    values["service_date"] = trip.service_date.isoformat()
    values["service_week"] = trip.service_week.isoformat()
    return fares.Charge(**values)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_days_settle_in_sql_exactly_as_the_engine_prices_them(network, make_citizen, seed):
    # Given riders of every concession taking random buses and metros over two weeks, uploaded by their readers in
    # batches, and settled in two runs (the second continues the first's transfer chains and caps)
    rng = random.Random(seed)
    riders = [network.rider(make_citizen(), concession=c, balance_fen=100_000)
              for c in ("none", "none", "student", "senior")]
    batches: dict[str, list] = {}
    for account, cert in riders:
        t = MONDAY + dt.timedelta(hours=6)
        for _ in range(rng.randint(5, 40)):
            t += dt.timedelta(minutes=rng.choice([5, 20, 45, 70, 100, 200, 600]))
            kind = rng.random()
            if kind < 0.4:
                batches.setdefault(rng.choice(["bus1", "bus2"]), []).append((t, cert.pseudonym, "board"))
            else:
                a, b = rng.sample(list("ABCD"), 2)
                if kind < 0.9:
                    batches.setdefault(f"gate{a}", []).append((t, cert.pseudonym, "in"))
                if kind > 0.5:
                    t += dt.timedelta(minutes=rng.choice([10, 30, 170, 200]))
                    batches.setdefault(f"gate{b}", []).append((t, cert.pseudonym, "out"))
    for name, taps in batches.items():
        rows = [tap(f"{name}-{i}", when, p, d) for i, (when, p, d) in enumerate(taps)]
        for start in range(0, len(rows), 7):
            upload(network.readers[name], f"{name}-{start}", rows[start:start + 9])  # overlapping batches
    middle = MONDAY + dt.timedelta(days=3, hours=3)
    settle(network, now=middle, taps_per_chunk=3)
    run = settle(network, now=NOW, taps_per_chunk=5)
    # Then every rider's trips are the engine's charges for all their taps, field by field
    table_data = selectors.fare_table_get(operator=network.operator)
    for account, _cert in riders:
        table = fares.table_from(table_data, concession=account.concession)
        expected = fares.price(_records(account), table, cutoff_s=run.cutoff_s)
        assert expected, "every rider rode"
        assert [_as_charge(t) for t in trips_of(account)] == expected
    # And the run's total equals the sum of the fares, and the ledger matches every balance
    total = Trip.objects.aggregate(s=Sum("charged_fen"))["s"]
    assert total == sum(r.charged_fen for r in SettlementRun.objects.all())
    assert -LedgerEntry.objects.filter(kind="charge").aggregate(s=Sum("amount_fen"))["s"] == total
    assert ledger_balances_agree()
    # And no tap is in two trips
    trips = list(Trip.objects.all())
    used = [t.first_tap_id for t in trips] + [t.second_tap_id for t in trips if t.second_tap_id]
    assert len(used) == len(set(used))


def test_an_unmatched_tap_in_waits_for_the_timeout_then_pays_the_default_fare(network, make_citizen):
    account, cert = network.rider(make_citizen(), balance_fen=5000)
    upload(network.readers["gateA"], "g", [tap("t1", at(0, "08:00"), cert.pseudonym, "in")])
    # When settled two hours later: it may still meet its tap-out, so it waits
    assert settle(network, now=at(0, "10:00")).trips == 0
    assert PendingTap.objects.filter(tap=Tap.objects.get()).exists()
    # When settled after the 3-hour timeout: the default fare, explained
    settle(network, now=at(0, "11:01"))
    [trip] = trips_of(account)
    assert (trip.unmatched, trip.charged_fen) == (True, 700)
    assert fares.explain(trip)[0] == {"step": "default_fare", "fen": 700}


def test_a_failed_post_pay_charge_puts_the_account_in_arrears_and_paying_restores_it(network, make_citizen):
    # Given a post-pay rider with a 5-yuan credit limit who rides six buses (2 yuan, 1.5 off-peak: 10.5 yuan)
    account, cert = network.rider(make_citizen(), mode="postpay", credit_limit_fen=500)
    rows = [tap(f"t{i}", at(0, f"{6 + 2 * i:02d}:00"), cert.pseudonym, "board") for i in range(6)]
    upload(network.readers["bus1"], "b", rows)
    # When settled
    settle(network)
    account.refresh_from_db()
    # Then the charge beyond the credit limit failed: the account is in arrears, and the event says why
    assert (account.balance_fen, account.status) == (-1050, RideAccount.Status.ARREARS)
    event = account.events.get(kind="arrears_entered")
    assert event.detail["reason"] == "charge_failed"
    # When the rider pays the debt (twice: a retried request)
    entry, created = fare_services.account_debt_pay(account=account, idempotency_key="pay-1")
    again, created_again = fare_services.account_debt_pay(account=account, idempotency_key="pay-1")
    # Then it was paid once, the account is active again, and the ledger balances
    account.refresh_from_db()
    assert (created, created_again, again.pk == entry.pk) == (True, False, True)
    assert (account.balance_fen, account.status) == (0, RideAccount.Status.ACTIVE)
    assert account.events.filter(kind="arrears_left").count() == 1
    assert ledger_balances_agree()


def test_a_prepaid_account_that_runs_dry_is_in_arrears_until_topped_up(network, make_citizen):
    account, cert = network.rider(make_citizen(), balance_fen=300)
    upload(network.readers["bus1"], "b", [tap(f"t{i}", at(0, f"0{6 + 2 * i}:00"), cert.pseudonym, "board")
                                          for i in range(2)])
    settle(network)
    account.refresh_from_db()
    assert (account.balance_fen, account.status) == (-100, "arrears")
    # A top-up smaller than the debt leaves it in arrears; one that covers it restores it
    fare_services.account_top_up(account=account, amount_fen=50, idempotency_key="k1")
    account.refresh_from_db()
    assert account.status == "arrears"
    fare_services.account_top_up(account=account, amount_fen=1000, idempotency_key="k2")
    account.refresh_from_db()
    assert (account.balance_fen, account.status) == (950, "active")


def test_a_top_up_is_idempotent_and_a_reused_key_with_another_amount_is_refused(network, make_citizen):
    account, _ = network.rider(make_citizen())
    fare_services.account_top_up(account=account, amount_fen=1000, idempotency_key="k")
    fare_services.account_top_up(account=account, amount_fen=1000, idempotency_key="k")
    with pytest.raises(DomainError) as error:
        fare_services.account_top_up(account=account, amount_fen=2000, idempotency_key="k")
    assert error.value.code == "idempotency_key_reused"
    for bad in (0, -5, 10**12):
        with pytest.raises(DomainError):
            fare_services.account_top_up(account=account, amount_fen=bad, idempotency_key=f"bad{bad}")
    account.refresh_from_db()
    assert account.balance_fen == 1000 and ledger_balances_agree()


def test_a_second_settlement_while_one_is_open_is_refused(network):
    fare_services.settlement_start(operator=network.operator, now=NOW)
    with pytest.raises(DomainError) as error:
        fare_services.settlement_start(operator=network.operator, now=NOW)
    assert error.value.code == "settlement_running" and error.value.status_code == 409


def test_a_batch_resent_with_its_times_in_another_utc_offset_is_the_same_batch(network, make_citizen):
    _account, cert = network.rider(make_citizen())
    reader = network.readers["bus1"]
    when = at(0, "08:00")
    first, _ = upload(reader, "b", [tap("t1", when, cert.pseudonym, "board")])
    again, created = upload(reader, "b", [tap("t1", when.astimezone(dt.UTC), cert.pseudonym, "board")])
    assert (again.pk, created) == (first.pk, False)
