"""Races on PostgreSQL: two answers to one request (one wins, the other gets 409), and many issuances of one
licence type at once (serials stay unique and gap-free; each citizen gets one licence)."""

import threading

import pytest
from django.db import connection, connections

from apps.codes.plugin_api import Conflict
from apps.licences import services
from apps.licences.models import Licence, PresentationRequest

pytestmark = pytest.mark.django_db(transaction=True)


def run_all(target, count):
    outcomes: list = []

    def worker(i):
        try:
            outcomes.append(target(i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is a PostgreSQL property (SQLite serializes writers anyway)")


def test_one_request_is_answered_once_even_when_two_answers_race(licence, police, alice):
    _postgres_only()
    request = services.presentation_request_create(verifier=police, licence_type=licence.licence_type,
                                                   purpose="licence.traffic_check")
    # When four answers to the same request race
    outcomes = run_all(lambda i: services.presentation_create(citizen=alice, nonce=request.nonce,
                                                              elements=["vehicle_class"]), 4)
    # Then exactly one presentation exists; the others are 409 request_answered; no other error
    made = [o for o in outcomes if isinstance(o, services.Presentation)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(made) == 1 and len(refused) == 3, outcomes
    assert {r.code for r in refused} == {"request_answered"}
    assert licence.credentials.count() == 1
    assert PresentationRequest.objects.get(pk=request.pk).answered_at is not None


def test_parallel_issuance_keeps_serials_unique(driving_type, clerk, make_citizen):
    _postgres_only()
    people = [make_citizen() for _ in range(6)]
    values = {"vehicle_class": "C1", "first_issued": "2020-01-01", "address": "渝北区"}
    # When six licences (and a duplicate for the first person) are issued at once
    outcomes = run_all(lambda i: services.licence_issue(licence_type=driving_type, citizen=people[min(i, 5) if i < 6
                                                        else 0], values=values, issued_by=clerk), 7)
    # Then six exist, serials 1..6, and the duplicate was refused with licence_exists
    assert sorted(Licence.objects.values_list("serial", flat=True)) == [1, 2, 3, 4, 5, 6]
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert [getattr(e, "code", e) for e in errors] == ["licence_exists"]
