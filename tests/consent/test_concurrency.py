"""Concurrent disclosures for one citizen keep one contiguous, verifiable chain (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection, connections

from apps.consent import chain, services
from apps.consent.models import AccessLog

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_disclosures_for_one_citizen_stay_on_one_chain(alice, library, grant):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is a PostgreSQL property (SQLite serializes writers anyway)")
    # Given a grant and a consent for one citizen, with no chain yet
    grant(library, "venue.entry")
    services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"])
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(10):
                services.disclose(organization=library, purpose="venue.entry", citizen=alice)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # When eight threads disclose at once (including the very first row of the chain)
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then every disclosure is logged exactly once on one contiguous chain that verifies
    assert errors == []
    assert sorted(AccessLog.objects.filter(citizen=alice).values_list("seq", flat=True)) == list(range(1, 81))
    assert chain.verify_all() == (1, [])
