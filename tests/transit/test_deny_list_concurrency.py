"""On PostgreSQL, riders falling into arrears at the same moment get gap-free, unique deny-list versions in commit
order, and one account entering arrears twice at once is recorded once (row locks)."""

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection, connections

from apps.transit import services
from apps.transit.models import AccountEvent, DenyList, DenyListDelta, RideAccount

from .conftest import jwk_of

pytestmark = pytest.mark.django_db(transaction=True)


def _parallel(work, count):
    errors: list[BaseException] = []

    def run(i):
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _rider(make_citizen, operator, n):
    citizen = make_citizen(name=f"乘客{n}")
    account = services.account_open(citizen=citizen, mode=RideAccount.Mode.POSTPAY, credit_limit_fen=5000)
    services.certificate_issue(account=account, operator=operator,
                               device_jwk=jwk_of(ec.generate_private_key(ec.SECP256R1())))
    return account


def test_parallel_arrears_number_the_deny_list_without_gaps(make_citizen, operator):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is a PostgreSQL property (SQLite serializes writers anyway)")
    # Given eight riders of one operator, each with a live certificate, and no deny list yet
    accounts = [_rider(make_citizen, operator, n) for n in range(8)]
    # When all eight fall into arrears at once (the deny list's head is created by one of them)
    errors = _parallel(lambda i: services.account_arrears_enter(account=accounts[i], reason="charge_failed"), 8)
    # Then each got exactly one version, 1..8 with no gap and no duplicate, and the head says 8
    assert errors == []
    versions = sorted(DenyListDelta.objects.filter(operator=operator).values_list("version", flat=True))
    assert versions == list(range(1, 9))
    assert DenyList.objects.get(operator=operator).version == 8


def test_one_account_entering_arrears_twice_at_once_is_recorded_once(make_citizen, operator):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is a PostgreSQL property (SQLite serializes writers anyway)")
    account = _rider(make_citizen, operator, 0)
    errors = _parallel(lambda i: services.account_arrears_enter(account=account, reason="charge_failed"), 6)
    assert errors == []
    assert AccountEvent.objects.filter(account=account, kind="arrears_entered").count() == 1
    assert DenyListDelta.objects.filter(operator=operator).count() == 1
