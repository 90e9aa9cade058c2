"""Concurrent uploads and settlements on PostgreSQL: every tap stored once, settled once, charged once."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from apps.identity.models import Organization
from apps.transit import fare_services
from apps.transit.models import LedgerEntry, PendingTap, SettlementRun, Tap, TapUpload, Trip
from citycode.errors import DomainError
from tests.transit.fare_fixtures import CST, Network, ledger_balances_agree, tap, upload

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.datetime(2026, 11, 23, 6, 0, tzinfo=CST)


def _parallel(jobs):
    errors, results = [], []

    def run(job):
        try:
            results.append(job())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is a PostgreSQL property (SQLite serializes writers anyway)")


def test_overlapping_and_repeated_batches_sent_at_once_store_and_settle_each_tap_once(pg, make_org, make_citizen):
    # Given 40 boardings of one rider, sent at once as 4 overlapping batches and each batch twice
    network = Network(make_org("race-bus", kind=Organization.Kind.TRANSIT_OPERATOR), slug="race")
    account, cert = network.rider(make_citizen(), balance_fen=100_000)
    taps = [tap(f"t{i}", DAY + dt.timedelta(minutes=90 * i), cert.pseudonym, "board") for i in range(40)]
    reader = network.readers["bus1"]
    jobs = [lambda s=s: upload(reader, f"batch-{s}", taps[s:s + 20]) for s in (0, 10, 20, 30)] * 2
    # When they race
    _results, errors = _parallel(jobs)
    # Then nothing failed, four batches are recorded, and each tap is stored and queued once
    assert errors == []
    assert TapUpload.objects.count() == 4
    assert Tap.objects.count() == 40 and PendingTap.objects.count() == 40
    assert sum(TapUpload.objects.values_list("new", flat=True)) == 40

    # When a settlement runs twice at once (a redelivered task while the first still works), in small chunks
    run = SettlementRun.objects.create(operator=network.operator, cutoff_s=int(DAY.timestamp()) + 10 * 86400)
    _results, errors = _parallel([lambda: fare_services.settlement_execute(run_id=run.pk, taps_per_chunk=5)] * 2)
    # Then every tap is in exactly one trip, charged once, and the money adds up
    assert errors == []
    assert Trip.objects.count() == 40 and not PendingTap.objects.exists()
    charged = Trip.objects.aggregate(s=Sum("charged_fen"))["s"]
    account.refresh_from_db()
    assert account.balance_fen == 100_000 - charged
    assert LedgerEntry.objects.filter(kind="charge").count() == 40 and ledger_balances_agree()
    run.refresh_from_db()
    assert run.status == "done" and run.charged_fen == charged


def test_two_settlements_started_at_once_leave_one_run(pg, make_org, monkeypatch):
    from apps.transit import tasks

    # No worker may finish the first run meanwhile (CI's real worker would, and a second run would then be right):
    # the runs stay queued, so only the one-open-run constraint decides.
    monkeypatch.setattr(tasks.settle, "delay", lambda *args, **kwargs: None)
    network = Network(make_org("race-metro", kind=Organization.Kind.TRANSIT_OPERATOR), slug="racem")
    results, errors = _parallel([lambda: fare_services.settlement_start(operator=network.operator)] * 4)
    assert len(results) == 1 and len(errors) == 3
    assert all(isinstance(e, DomainError) and e.code == "settlement_running" for e in errors)
    assert SettlementRun.objects.count() == 1


def test_the_ledger_refuses_an_edit_or_a_deletion_on_postgresql(pg, make_org, make_citizen):
    from django.db import DatabaseError, transaction

    network = Network(make_org("ledger-bus", kind=Organization.Kind.TRANSIT_OPERATOR), slug="ledger")
    account, _cert = network.rider(make_citizen(), balance_fen=1000)
    entry = LedgerEntry.objects.get(account=account)
    # When someone edits or deletes a ledger row behind the application's back
    for attempt in (lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=10**6),
                    lambda: LedgerEntry.objects.filter(pk=entry.pk).delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    # Then the entry is as it was, and the balance still matches the ledger
    entry.refresh_from_db()
    assert entry.amount_fen == 1000 and ledger_balances_agree()
