"""A real Celery worker settles a batch of taps (PostgreSQL, Redis, a worker process)."""

import datetime as dt
import time

import pytest

from apps.identity.models import Organization
from apps.transit import fare_services
from apps.transit.models import LedgerEntry, PendingTap, SettlementRun, Trip
from citycode.celery import app as celery_app
from tests.transit.fare_fixtures import CST, Network, ledger_balances_agree, tap, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_settles_an_uploaded_batch_exactly_once(celery_worker, make_org, make_citizen):
    # Given a rider's bus and metro taps of yesterday, uploaded twice by their readers
    assert celery_app.conf.task_always_eager is False
    network = Network(make_org("worker-bus", kind=Organization.Kind.TRANSIT_OPERATOR), slug="worker")
    account, cert = network.rider(make_citizen(), balance_fen=2000)
    day = (dt.datetime.now(CST) - dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    for _ in range(2):
        upload(network.readers["bus1"], "b1", [tap("t1", day, cert.pseudonym, "board")])
        upload(network.readers["gateA"], "g1", [tap("t1", day + dt.timedelta(minutes=20), cert.pseudonym, "in")])
        upload(network.readers["gateD"], "g1", [tap("t1", day + dt.timedelta(minutes=50), cert.pseudonym, "out")])
    # When the operator starts a settlement: the task goes through the broker to the worker process
    run = fare_services.settlement_start(operator=network.operator)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in ("done", "failed"):
            break
        time.sleep(0.2)
    # Then the worker priced both legs once (2 yuan; 20 km metro 5 − 1 transfer = 4), and the money moved once
    assert run.status == SettlementRun.Status.DONE
    assert sorted(Trip.objects.filter(account=account).values_list("charged_fen", flat=True)) == [200, 400]
    assert (run.trips, run.charged_fen, run.taps_settled) == (2, 600, 3)
    account.refresh_from_db()
    assert account.balance_fen == 1400
    assert LedgerEntry.objects.filter(account=account, kind="charge").count() == 2
    assert not PendingTap.objects.exists() and ledger_balances_agree()
