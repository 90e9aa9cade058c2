"""Settlement of 1,000,000 taps from 2,000 readers on PostgreSQL, against a plain INSERT…SELECT of the same rows.

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_transit_settle_bench \
        .venv/bin/python benchmarks/transit_settle.py [--taps 1000000] [--readers 2000] [--riders 250000]

Builds a fresh database (dropped and created), a city operator with 60 bus lines (1,200 validators) and a metro
of 100 stations (800 gates), a fare table (flat bus fares, distance metro fares, transfers, daily and weekly caps,
concessions), riders with certificates, and one day of taps per reader, loaded with COPY (not timed: it is what
readers' uploads leave behind). Then it times, in the same run:

- baseline: ``INSERT INTO … SELECT`` of every tap's columns into a scratch table (the floor of writing one row per
  tap, with no pricing at all);
- settlement: ``fare_services.settlement_execute``, exactly as the Celery task runs it.

And checks: every tap settled exactly once (no tap in two trips, none left pending), the run's total equals the sum
of the trips' fares, the ledger's charges and the accounts' balance changes, and for a sample of riders the SQL
trips equal apps/transit/fares.py's (the specification). Target: settlement ≤ 120 s; exits 1 when missed or when
any check fails. Bounded: a few minutes at the default size.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citycode.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cc_transit_settle_bench")

TARGET_S = 120.0
SAMPLE_RIDERS = 2000


def fresh_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.endswith("_bench"):
        raise SystemExit(f"refusing to drop {name!r}: the benchmark's database name must end in _bench")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_rows(model, columns: list[str], rows) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def build_world(*, taps: int, readers: int, riders: int, seed: int = 7):
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from apps.identity import services as identity
    from apps.identity.models import Citizen, Organization
    from apps.transit import fare_services, services
    from apps.transit.models import PendingTap, Reader, RideAccount, RiderCertificate, Tap, TapUpload

    rng = random.Random(seed)
    now = timezone.now()
    operator = identity.organization_create(slug="bench-transit", name="bench transit",
                                            kind=Organization.Kind.TRANSIT_OPERATOR)
    bus_readers, gates = readers * 3 // 5, readers - readers * 3 // 5
    n_lines, n_stations = min(60, bus_readers), min(100, gates)
    lines = [services.line_create(operator=operator, code=f"B{i}", name_zh=f"{i}路", mode="bus")
             for i in range(n_lines)]
    metro = services.line_create(operator=operator, code="M1", name_zh="地铁", mode="metro")
    stations = [services.stop_create(operator=operator, code=f"S{i}", name_zh=f"站{i}", line=metro, sequence=i,
                                     km=Decimal(i * 1200) / 1000) for i in range(n_stations)]
    Reader.objects.bulk_create(
        [Reader(operator=operator, device_id=f"bus-{i}", kind="bus", line=lines[i % n_lines],
                credential_digest=f"b{i:063d}", seen_group=f"bus-{i}") for i in range(bus_readers)]
        + [Reader(operator=operator, device_id=f"gate-{i}", kind="gate", stop=stations[i % n_stations],
                  credential_digest=f"g{i:063d}", seen_group=f"S{i % n_stations}") for i in range(gates)],
        batch_size=2000)
    bus_list = list(Reader.objects.filter(operator=operator, kind="bus").values_list("pk", "line_id"))
    gate_list = list(Reader.objects.filter(operator=operator, kind="gate").values_list("pk", "stop_id"))
    gates_at: dict[int, list[int]] = {}
    for pk, stop_id in gate_list:
        gates_at.setdefault(stop_id, []).append(pk)

    net = fare_services.fare_network_set(operator=operator, default_fare_fen=900, unmatched_timeout_s=3 * 3600)
    bus = fare_services.fare_product_set(network=net, code="bus", name_zh="公交", name_en="Bus", amount_fen=200)
    fare_services.leg_rule_set(network=net, product=bus, mode="bus")
    for i, (lo, hi, fen) in enumerate([(0, 6000, 300), (6000, 16000, 400), (16000, 32000, 600), (32000, None, 900)]):
        product = fare_services.fare_product_set(network=net, code=f"m{i}", name_zh=f"地铁{i}", name_en=f"Metro {i}",
                                                 amount_fen=fen)
        fare_services.leg_rule_set(network=net, product=product, mode="metro", min_distance_m=lo, max_distance_m=hi)
    fare_services.transfer_rule_set(network=net, from_mode="bus", to_mode="metro", discount_fen=100,
                                    duration_limit_s=5400, transfer_count=2)
    fare_services.transfer_rule_set(network=net, from_mode="metro", to_mode="bus", discount_fen=100,
                                    duration_limit_s=5400, transfer_count=2)
    fare_services.transfer_rule_set(network=net, from_mode="bus", to_mode="bus", discount_fen=200,
                                    duration_limit_s=3600, transfer_count=1)
    student = fare_services.rider_category_set(network=net, code="student", name_zh="学生", name_en="Student",
                                               fare_percent=50)
    fare_services.rider_category_set(network=net, code="senior", name_zh="老年", name_en="Senior", fare_percent=0)
    fare_services.cap_set(network=net, period="day", amount_fen=1500)
    fare_services.cap_set(network=net, period="day", amount_fen=600, rider_category=student)
    fare_services.cap_set(network=net, period="week", amount_fen=6000)

    # Riders: citizens with no password, prepaid and post-pay accounts, one certificate each.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Citizen._meta.db_table}")
        base = cursor.fetchone()[0]
    copy_rows(Citizen, ["id", "password", "is_superuser", "username", "email", "is_staff", "is_active",
                        "date_joined", "name", "id_masked", "real_name_method"],
              ((base + i + 1, "!", False, f"rider{i}", "", False, True, now, "", "", "")
               for i in range(riders)))
    concessions = ["none"] * 8 + ["student", "senior"]
    copy_rows(RideAccount, ["id", "citizen_id", "mode", "balance_fen", "credit_limit_fen", "status", "concession",
                            "created_at", "updated_at"],
              ((i + 1, base + i + 1, "prepaid" if i % 3 else "postpay", 20000 if i % 3 else 0,
                0 if i % 3 else 5000, "active", concessions[i % 10], now, now) for i in range(riders)))
    copy_rows(RiderCertificate, ["account_id", "operator_id", "serial", "pseudonym", "fare_limit_fen", "concession",
                                 "issued_at", "expires_at"],
              ((i + 1, operator.pk, f"s{i:031d}", f"p{i:031d}", 2000, concessions[i % 10],
                now - dt.timedelta(days=2), now + dt.timedelta(hours=6)) for i in range(riders)))
    with connection.cursor() as cursor:
        for model in (Citizen, RideAccount):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")

    # One day of taps: each rider makes legs (bus boardings, metro in/out pairs) until the total is reached.
    uploads = {}
    for pk, _ in bus_list + gate_list:
        uploads[pk] = TapUpload.objects.create(reader_id=pk, operator=operator, batch_id="day-1", digest="-",
                                               received=0, new=0, duplicates=0).pk
    day = (now - dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=8))).replace(
        hour=6, minute=0, second=0, microsecond=0)
    service_date = day.date()
    service_week = service_date - dt.timedelta(days=service_date.weekday())
    counter = [0]

    def row(reader, mode, line_id, stop_id, direction, account, at):
        counter[0] += 1
        local_s = int((at - day).total_seconds()) + 6 * 3600
        return (reader, f"t{counter[0]}", uploads[reader], operator.pk, mode, line_id, stop_id, direction,
                f"p{account - 1:031d}", at, int(at.timestamp()), local_s, service_date, service_week, account)

    def generate():
        made = 0
        while made < taps:
            account = rng.randint(1, riders)
            at = day + dt.timedelta(seconds=rng.randint(0, 14 * 3600))
            for _leg in range(rng.choice([1, 2, 2, 3])):
                if made >= taps:
                    return
                if rng.random() < 0.55:
                    reader, line_id = rng.choice(bus_list)
                    yield row(reader, "bus", line_id, None, "board", account, at)
                    made += 1
                else:
                    a, b = rng.sample(range(n_stations), 2)
                    yield row(rng.choice(gates_at[stations[a].pk]), "metro", metro.pk, stations[a].pk, "in",
                              account, at)
                    made += 1
                    at += dt.timedelta(minutes=rng.randint(5, 70))
                    if made < taps and rng.random() < 0.97:  # 3% forget to tap out: default fare
                        yield row(rng.choice(gates_at[stations[b].pk]), "metro", metro.pk, stations[b].pk, "out",
                                  account, at)
                        made += 1
                at += dt.timedelta(minutes=rng.randint(3, 80))

    copy_rows(Tap, ["reader_id", "tap_uid", "upload_id", "operator_id", "mode", "line_id", "stop_id", "direction",
                    "pseudonym", "at", "at_s", "day_s", "service_date", "service_week", "account_id"],
              generate())
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {PendingTap._meta.db_table} (tap_id, operator_id, account_id) "
                       f"SELECT id, operator_id, account_id FROM {Tap._meta.db_table}")
        cursor.execute("ANALYZE")
    return operator, now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--taps", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--riders", type=int, default=250_000)
    args = parser.parse_args()
    fresh_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count, Sum

    from apps.transit import fare_services, fares, selectors
    from apps.transit.models import LedgerEntry, PendingTap, RideAccount, SettlementRun, Tap, Trip

    if connection.vendor != "postgresql":
        print("this benchmark needs PostgreSQL (DATABASE_URL)")
        return 2
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    operator, now = build_world(taps=args.taps, readers=args.readers, riders=args.riders)
    setup_s = time.perf_counter() - started
    total_taps = Tap.objects.count()
    balance_before = RideAccount.objects.aggregate(s=Sum("balance_fen"))["s"]
    print(f"set-up: {total_taps:,} taps from {Tap.objects.values('reader').distinct().count():,} readers, "
          f"{args.riders:,} riders, in {setup_s:.1f} s (not timed below)")

    # Baseline: write one row per tap, with nothing computed.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy AS SELECT * FROM transit_tap WHERE false")
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_copy SELECT * FROM transit_tap "
                       "WHERE id IN (SELECT tap_id FROM transit_pendingtap)")
    baseline_s = time.perf_counter() - t0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")

    # Settlement, as the task runs it.
    # The run as settlement_start makes it, without enqueueing the task (it would run eagerly here)
    run = SettlementRun.objects.create(operator=operator, cutoff_s=int((now + dt.timedelta(days=1)).timestamp())
                                       - operator.fare_network.unmatched_timeout_s)
    t0 = time.perf_counter()
    run = fare_services.settlement_execute(run_id=run.pk)
    settle_s = time.perf_counter() - t0

    # Checks: exactly once, and money adds up.
    failures = []
    pending = PendingTap.objects.count()
    settled = total_taps - pending
    trips = Trip.objects.aggregate(n=Count("id"), s=Sum("charged_fen"), two=Count("second_tap"))
    if settled != total_taps or pending:
        failures.append(f"{settled} settled and {pending} pending of {total_taps} taps")
    if trips["n"] + trips["two"] != settled:
        failures.append(f"trips cover {trips['n'] + trips['two']} taps, {settled} were settled")
    charges = -(LedgerEntry.objects.filter(kind="charge").aggregate(s=Sum("amount_fen"))["s"] or 0)
    balance_after = RideAccount.objects.aggregate(s=Sum("balance_fen"))["s"]
    if not (run.charged_fen == trips["s"] == charges == balance_before - balance_after):
        failures.append(f"run {run.charged_fen}, trips {trips['s']}, ledger {charges}, "
                        f"balances {balance_before - balance_after} differ")
    if LedgerEntry.objects.filter(kind="charge").count() != trips["n"]:
        failures.append("not one ledger entry per trip")
    table_data = selectors.fare_table_get(operator=operator)
    rng = random.Random(11)
    sample = RideAccount.objects.filter(pk__in=rng.sample(range(1, args.riders + 1), min(SAMPLE_RIDERS, args.riders)))
    mismatched = 0
    for account in sample:
        records = [fares.TapRecord(id=t.pk, at_s=t.at_s, day_s=t.day_s, service_date=t.service_date.isoformat(),
                                   service_week=t.service_week.isoformat(), direction=t.direction, mode=t.mode,
                                   line_id=t.line_id, stop_id=t.stop_id) for t in Tap.objects.filter(account=account)]
        table = fares.table_from(table_data, concession=account.concession)
        expected = [c.charged_fen for c in fares.price(records, table, cutoff_s=run.cutoff_s)]
        got = list(Trip.objects.filter(account=account).order_by("start_s", "first_tap_id")
                   .values_list("charged_fen", flat=True))
        mismatched += expected != got
    if mismatched:
        failures.append(f"{mismatched} of {len(sample)} sampled riders priced differently from the engine")
    arrears = RideAccount.objects.filter(status="arrears").count()

    print(f"baseline INSERT…SELECT of {total_taps:,} tap rows: {baseline_s:6.1f} s "
          f"({total_taps / baseline_s:,.0f} rows/s)")
    print(f"settlement ({run.chunks_done} chunks):           {settle_s:6.1f} s ({total_taps / settle_s:,.0f} taps/s), "
          f"{settle_s / baseline_s:.1f}× the baseline; target ≤ {TARGET_S:.0f} s")
    print(f"  trips {trips['n']:,}, charged {run.charged_fen / 100:,.2f} yuan, accounts into arrears {arrears:,}, "
          f"engine agreement on {len(sample):,} sampled riders: {len(sample) - mismatched:,}/{len(sample):,}")
    print(f"  exactly once: {settled:,} taps settled, {pending} pending, every tap in one trip; "
          f"run total = trips = ledger = balance change: {not any('differ' in f for f in failures)}")
    assert SettlementRun.objects.filter(pk=run.pk, status="done").exists()
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    if settle_s > TARGET_S:
        print(f"MISSED: settlement took {settle_s:.1f} s > {TARGET_S:.0f} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
