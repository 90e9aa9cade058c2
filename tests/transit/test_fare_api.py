"""The taps, settlement and money API: readers upload, staff settle, riders see and pay — each only their own."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from apps.identity import services as identity
from apps.identity.models import Organization
from apps.transit import fare_services
from apps.transit.models import SettlementRun, Tap
from tests.transit.fare_fixtures import CST, Network

YESTERDAY = (dt.datetime.now(CST) - dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)


@pytest.fixture
def network(make_org):
    return Network(make_org("city-bus", kind=Organization.Kind.TRANSIT_OPERATOR))


def reader_client(network, name):
    client = APIClient()
    reader = network.readers[name]
    client.credentials(HTTP_AUTHORIZATION=f"Reader {reader.device_id}:{network.secrets[name]}")
    return client


def citizen_client(citizen):
    client = APIClient()
    _token, plain = identity.auth_token_issue(user=citizen)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def batch(batch_id, pseudonym, *times, direction="board"):
    return {"batch_id": batch_id, "taps": [
        {"uid": f"{batch_id}-{i}", "at": t.isoformat(), "pseudonym": pseudonym, "direction": direction}
        for i, t in enumerate(times)]}


def test_a_reader_uploads_a_batch_once_and_a_resend_is_answered_from_the_first(network, make_citizen):
    _account, cert = network.rider(make_citizen(), balance_fen=1000)
    client = reader_client(network, "bus1")
    body = batch("b1", cert.pseudonym, YESTERDAY, YESTERDAY + dt.timedelta(hours=1))
    first = client.post("/api/v1/transit/taps", body, format="json")
    again = client.post("/api/v1/transit/taps", body, format="json")
    assert first.status_code == 201 and first.json() == {"batch_id": "b1", "received": 2, "new": 2, "duplicates": 0,
                                                         "replayed": False}
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert Tap.objects.count() == 2


def test_only_a_reader_may_upload_taps_and_bad_batches_get_a_machine_readable_4xx(network, make_citizen):
    _account, cert = network.rider(make_citizen())
    body = batch("b1", cert.pseudonym, YESTERDAY)
    # No credential, a wrong secret, a citizen: refused, nothing stored
    assert APIClient().post("/api/v1/transit/taps", body, format="json").status_code in (401, 403)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Reader {network.readers['bus1'].device_id}:not-the-secret")
    assert wrong.post("/api/v1/transit/taps", body, format="json").json()["error"]["code"] == "bad_reader_credential"
    assert citizen_client(make_citizen()).post("/api/v1/transit/taps", body, format="json").status_code in (401, 403)
    # A gate cannot board, and a tap without a pseudonym is a validation error
    gate = reader_client(network, "gateA")
    response = gate.post("/api/v1/transit/taps", body, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "bad_tap_direction")
    response = gate.post("/api/v1/transit/taps", {"batch_id": "x", "taps": [{"uid": "1"}]}, format="json")
    assert response.status_code == 400 and "taps.0.pseudonym" in response.json()["error"]["fields"]
    assert Tap.objects.count() == 0


def test_staff_settle_their_own_operator_only_and_riders_see_only_their_own_trips(network, make_citizen, make_org):
    # Given alice and bob rode yesterday, and a staff member of this operator and one of another operator
    alice, bob = make_citizen(), make_citizen()
    alice_account, alice_cert = network.rider(alice, balance_fen=1000)
    _bob_account, bob_cert = network.rider(bob, balance_fen=1000)
    client = reader_client(network, "bus1")
    client.post("/api/v1/transit/taps", batch("a", alice_cert.pseudonym, YESTERDAY), format="json")
    client.post("/api/v1/transit/taps", batch("b", bob_cert.pseudonym, YESTERDAY, YESTERDAY + dt.timedelta(hours=3)),
                format="json")
    staff, stranger = make_citizen(), make_citizen()
    identity.membership_set(user=staff, organization=network.operator, role="staff")
    other = make_org("other-bus", kind=Organization.Kind.TRANSIT_OPERATOR)
    identity.membership_set(user=stranger, organization=other, role="admin")
    # When the stranger tries to settle this operator: the same 404 as for an operator that does not exist
    refused = citizen_client(stranger).post("/api/v1/transit/settlements", {"operator": "city-bus"}, format="json")
    missing = citizen_client(stranger).post("/api/v1/transit/settlements", {"operator": "no-such"}, format="json")
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["error"]["code"] == missing.json()["error"]["code"] == "unknown_operator"
    assert not SettlementRun.objects.exists()
    # When the staff member settles (the worker runs it; here eagerly after commit)
    started = citizen_client(staff).post("/api/v1/transit/settlements", {"operator": "city-bus"}, format="json")
    assert started.status_code == 202
    fare_services.settlement_execute(run_id=started.json()["id"])
    progress = citizen_client(staff).get(f"/api/v1/transit/settlements/{started.json()['id']}?operator=city-bus")
    assert progress.json()["status"] == "done" and progress.json()["trips"] == 3
    assert citizen_client(stranger).get(
        f"/api/v1/transit/settlements/{started.json()['id']}?operator=city-bus").status_code == 404
    # Then alice sees her one trip with its explanation, never bob's two
    trips = citizen_client(alice).get("/api/v1/transit/me/trips").json()["trips"]
    assert [t["charged_fen"] for t in trips] == [200]
    assert trips[0]["steps"][0]["step"] == "leg_rule" and trips[0]["line"] == "1"
    assert len(citizen_client(bob).get("/api/v1/transit/me/trips").json()["trips"]) == 2
    balance = citizen_client(alice).get("/api/v1/transit/me/balance").json()
    assert balance["balance_fen"] == 800 and [e["amount_fen"] for e in balance["ledger"]] == [-200, 1000]
    assert alice_account.pk


def test_a_top_up_needs_an_idempotency_key_and_a_retry_adds_nothing(network, make_citizen):
    citizen = make_citizen()
    network.rider(citizen)
    client = citizen_client(citizen)
    missing = client.post("/api/v1/transit/me/top-ups", {"amount_fen": 500}, format="json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "idempotency_key_required")
    first = client.post("/api/v1/transit/me/top-ups", {"amount_fen": 500}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    retry = client.post("/api/v1/transit/me/top-ups", {"amount_fen": 500}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = client.post("/api/v1/transit/me/top-ups", {"amount_fen": 900}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 409)
    assert retry.json()["balance_fen"] == 500
    for bad in (0, -1, "ten", 10**13):
        assert client.post("/api/v1/transit/me/top-ups", {"amount_fen": bad}, format="json",
                           HTTP_IDEMPOTENCY_KEY=f"b{bad}").status_code == 400
    no_debt = client.post("/api/v1/transit/me/debt-payments", format="json", HTTP_IDEMPOTENCY_KEY="p")
    assert (no_debt.status_code, no_debt.json()["error"]["code"]) == (400, "no_debt")


def test_a_citizen_without_a_ride_account_gets_a_404(make_citizen):
    response = citizen_client(make_citizen()).get("/api/v1/transit/me/trips")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "no_ride_account")
