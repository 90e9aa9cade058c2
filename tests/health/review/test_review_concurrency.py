"""Races on PostgreSQL: two officers approving one manual change at once apply it exactly once; a citizen filing
two appeals at once gets exactly one; two processes creating the day's purpose key agree on one key."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from apps.codes.plugin_api import DomainError
from apps.health import review_services, services
from apps.health.models import Appeal, ColourTransition, ManualChange, PurposeKey

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    results: list = []
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except DomainError as exc:
            results.append(exc.code)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are a PostgreSQL property (SQLite serializes writers anyway)")


def test_two_approvals_at_once_apply_the_change_once(officer, officer2, citizen, make_citizen, commission):
    from apps.identity import services as identity_services

    officer3 = make_citizen(username="hc-officer-3")
    identity_services.membership_set(user=officer3, organization=commission, role="staff")
    change = review_services.manual_change_request(requested_by=officer, citizen=citizen, to_colour="red",
                                                   reason_code="close_contact", legal_reference="law")
    results = _race(lambda: review_services.manual_change_approve(change=change, approved_by=officer2),
                    lambda: review_services.manual_change_approve(change=change, approved_by=officer3))
    assert sorted(r if isinstance(r, str) else "applied" for r in results) == ["already_decided", "applied"]
    assert ManualChange.objects.get(pk=change.pk).state == "applied"
    assert ColourTransition.objects.filter(citizen=citizen, cause="manual").count() == 1


def test_two_appeals_filed_at_once_make_one(citizen, officer):
    services.colour_set(citizen=citizen, to_colour="red", cause="manual", reason_code="close_contact",
                        legal_reference="law", decided_by=officer)

    def file():
        return review_services.appeal_file(citizen=citizen, grounds="negative_test", statement="阴性")

    results = _race(file, file)
    assert sorted(r if isinstance(r, str) else "filed" for r in results) == ["appeal_open", "filed"]
    assert Appeal.objects.filter(citizen=citizen).count() == 1


def test_two_processes_creating_the_day_s_key_agree_on_one(db):
    day = timezone.localdate()
    results = _race(lambda: review_services.purpose_key_ensure(day=day),
                    lambda: review_services.purpose_key_ensure(day=day))
    assert len({r.kid for r in results}) == 1 and PurposeKey.objects.filter(day=day).count() == 1
