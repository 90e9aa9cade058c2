"""Provider notifications on PostgreSQL: every bill paid exactly once while each notification arrives twice, out of
order, from concurrent deliverers — against a raw durable single-row insert (the floor of any recorded decision),
with the same number of concurrent connections, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citycode_bench_pay .venv/bin/python benchmarks/medical_payments.py

Creates the database if missing and migrates it, then issues BILLS bills (half the patients insured), opens a
payment for each (pre-settle + provider order) and has the simulated provider sign each success notification.
Timed: THREADS threads deliver every notification twice, shuffled (inbox insert, row locks, amount check, ledger
postings, insurance settle). Baseline: the same threads insert and commit the same number of single rows.

Prints notifications/s, the baseline's rows/s and the ratio, and p50/p99 per notification. Exits 1 unless every bill
is paid exactly once (one payment posting each, every ledger transaction balanced, the reconciliation of the day
empty) and the rate reaches TARGET_PER_SECOND: a large hospital's 20,000 visits a day at about three payments
each, a fifth of them in the peak hour, each notification repeated up to 15 times (WeChat Pay's schedule) is
~50 notifications a second. Bounded: BILLS × 2 deliveries.
"""

import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citycode.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/citycode_bench_pay")

BILLS = int(os.environ.get("BENCH_BILLS", "200"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
TARGET_PER_SECOND = 50.0


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'DROP DATABASE "{name}"')  # a fresh ledger each run: the checks count rows
        conn.execute(f'CREATE DATABASE "{name}"')


def setup(bills: int):
    from django.utils import timezone

    from apps.identity import services as identity
    from apps.identity.models import Citizen, Organization
    from apps.medical import services
    from apps.medical.billing.provider import simulated
    from apps.medical.services.billing import _bill_issue

    hospital = identity.organization_create(slug="bench-hospital", name="bench", kind=Organization.Kind.HOSPITAL)
    patients = []
    for n in range(bills):
        patient = Citizen.objects.create(username=f"bench-patient-{n}", name="测试")
        if n % 2 == 0:
            services.coverage_set(citizen=patient, year=timezone.localdate().year, insured=True,
                                  deductible_fen=5_000, annual_cap_fen=10_000_000, account_balance_fen=3_000,
                                  ratios={"exam": 7_000, "drug": 8_000})
        patients.append(patient)
    notifications = []
    for n, patient in enumerate(patients):
        # A bill issued the way an order issues one (the order's clinical checks are not what is measured here).
        bill = _bill_issue(hospital=hospital, citizen=patient, appointment=None, order=None, lines=[
            {"code": "EX", "description": "检查", "category": "exam", "unit_price_fen": 20_000 + n, "quantity": 1},
            {"code": "DR", "description": "药品", "category": "drug", "unit_price_fen": 1_250, "quantity": 2}])
        payment = services.bill_pay_start(bill=bill, citizen=patient, idempotency_key=f"bench-{n}")
        notifications.append(simulated().confirm(out_trade_no=payment.out_trade_no, deliver=False)[0])
    return hospital, notifications


def run_threads(jobs, threads: int) -> tuple[float, list[float], list[BaseException]]:
    from django.db import connections

    queue = list(jobs)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[BaseException] = []

    def worker():
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    job = queue.pop()
                start = time.perf_counter()
                job()
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start, latencies, errors


def main() -> int:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        print("This benchmark measures PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)
    from apps.medical import selectors, services
    from apps.medical.models import Bill, LedgerTransaction, PaymentNotification

    t0 = time.perf_counter()
    hospital, notifications = setup(BILLS)
    print(f"set-up: {BILLS} bills pre-settled with a provider order each in {time.perf_counter() - t0:.1f} s")

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body text NOT NULL)")
    connection.close()

    def floor_insert():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_floor (body) VALUES (%s)", ["x" * 200])

    deliveries = [n for n in notifications for _ in range(2)]
    random.Random(7).shuffle(deliveries)  # duplicates, and out of order
    jobs = [lambda b=body, s=sig: services.notification_receive(provider="simulated", body=b, signature=s)
            for body, sig in deliveries]
    floor_seconds, floor_lat, floor_errors = run_threads([floor_insert] * len(jobs), THREADS)
    seconds, latencies, errors = run_threads(jobs, THREADS)

    rate, floor_rate = len(jobs) / seconds, len(jobs) / floor_seconds
    lat_ms = sorted(x * 1000 for x in latencies)
    p50, p99 = statistics.median(lat_ms), lat_ms[int(len(lat_ms) * 0.99) - 1]
    print(f"baseline (durable single-row insert, {THREADS} connections): {floor_rate:,.0f} rows/s")
    print(f"notifications ({len(jobs)} = {BILLS} × 2, shuffled, {THREADS} deliverers): {rate:,.0f}/s "
          f"= {rate / floor_rate:.1%} of the baseline; p50 {p50:.1f} ms, p99 {p99:.1f} ms")

    # Exactly once, balanced, reconciled.
    paid = Bill.objects.filter(status="paid").count()
    postings = LedgerTransaction.objects.filter(kind="payment").count()
    inbox = PaymentNotification.objects.count()
    redelivered = PaymentNotification.objects.filter(deliveries=2).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM (SELECT transaction_id FROM medical_ledgerentry GROUP BY transaction_id "
                       "HAVING sum(amount_fen) <> 0 OR count(*) < 2) unbalanced")
        unbalanced = cursor.fetchone()[0]
    mismatches = selectors.reconciliation_mismatch_list(day=timezone.localdate(), hospitals=[hospital])
    print(f"bills paid {paid}/{BILLS}; payment postings {postings}; inbox rows {inbox} (each delivered twice: "
          f"{redelivered}); unbalanced transactions {unbalanced}; reconciliation mismatches {len(mismatches)}; "
          f"errors {len(errors) + len(floor_errors)}")
    for error in (errors + floor_errors)[:3]:
        print(f"error: {error!r}", file=sys.stderr)
    ok = (paid == postings == inbox == redelivered == BILLS and unbalanced == 0 and not mismatches
          and not errors and not floor_errors)
    if not ok:
        print("FAIL: not exactly once", file=sys.stderr)
        return 1
    if rate < TARGET_PER_SECOND:
        print(f"FAIL: {rate:.0f} notifications/s is below the {TARGET_PER_SECOND:.0f}/s target", file=sys.stderr)
        return 1
    print(f"OK: every bill paid exactly once; {rate:.0f}/s ≥ {TARGET_PER_SECOND:.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
