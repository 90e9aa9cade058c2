"""The money API end to end: the doctor orders, the patient pays (the provider's signed notification arrives by
HTTP, twice), a cashier requests a refund and a second approves; every refusal is a 4xx with a code."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.identity import services as identity_services
from apps.medical.billing.provider import simulated
from apps.medical.models import Bill, Payment, Refund

from .conftest import ORDER_LINES

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    _token, plain = identity_services.auth_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def test_order_pay_notify_refund_and_reconcile_over_http(arrived, staff_a, cashier_a, cashier_a2, cashier_b,
                                                         hospital_a, make_citizen,
                                                         django_capture_on_commit_callbacks):
    doctor, patient = _client(staff_a), _client(arrived.patient)
    # The doctor orders for the checked-in patient
    response = doctor.post("/api/v1/medical/hospitals/hospital-a/orders",
                           {"appointment": arrived.pk, "lines": ORDER_LINES}, format="json")
    assert response.status_code == 201, response.json()
    bill_id = response.json()["id"]
    # The patient sees it and pays: the answer names the cash to pay at the provider
    assert [b["id"] for b in patient.get("/api/v1/me/medical/bills").json()] == [bill_id, *[
        b.pk for b in Bill.objects.filter(citizen=arrived.patient).exclude(pk=bill_id)]]
    assert patient.post(f"/api/v1/me/medical/bills/{bill_id}/pay").status_code == 400  # no Idempotency-Key
    paid = patient.post(f"/api/v1/me/medical/bills/{bill_id}/pay", HTTP_IDEMPOTENCY_KEY="k-1")
    assert paid.status_code == 201 and paid.json()["amount_fen"] == 13_000
    out_trade_no = paid.json()["out_trade_no"]
    # The patient pays at the provider; the provider notifies over HTTP, twice
    (body, signature), _ = simulated().confirm(out_trade_no=out_trade_no, deliver=False)
    anonymous = APIClient()
    for expected in ("applied", "applied"):
        answer = anonymous.post("/api/v1/medical/payments/notify/simulated", data=body,
                                content_type="application/json", HTTP_X_PROVIDER_SIGNATURE=signature)
        assert answer.status_code == 200 and answer.json() == {"code": "SUCCESS", "outcome": expected}
    forged = anonymous.post("/api/v1/medical/payments/notify/simulated", data=body, content_type="application/json",
                            HTTP_X_PROVIDER_SIGNATURE="00" * 32)
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "bad_signature"
    assert anonymous.post("/api/v1/medical/payments/notify/nope", data=body, content_type="application/json",
                          HTTP_X_PROVIDER_SIGNATURE=signature).json()["error"]["code"] == "unknown_provider"
    bill = patient.get(f"/api/v1/me/medical/bills/{bill_id}").json()
    assert (bill["status"], bill["fund_fen"], bill["account_fen"], bill["cash_fen"]) == ("paid", 18_000, 4_000, 13_000)
    # Another patient sees a 404, not the bill
    other = _client(make_citizen(name="外人"))
    assert other.get(f"/api/v1/me/medical/bills/{bill_id}").json()["error"]["code"] == "unknown_bill"
    assert other.post(f"/api/v1/me/medical/bills/{bill_id}/pay", HTTP_IDEMPOTENCY_KEY="x").status_code == 404
    # Hospital B's cashier sees none of it and can refund nothing
    b = _client(cashier_b)
    assert b.get("/api/v1/medical/hospitals/hospital-a/bills").json()["error"]["code"] == "not_hospital_staff"
    assert b.post(f"/api/v1/medical/hospitals/hospital-b/bills/{bill_id}/refunds", {"reason": "x"},
                  format="json").json()["error"]["code"] == "unknown_bill"
    # Cashier A requests a refund of the medicine; she cannot approve it herself; cashier A2 can
    a1, a2 = _client(cashier_a), _client(cashier_a2)
    medicine = Bill.objects.get(pk=bill_id).items.get(position=2)
    requested = a1.post(f"/api/v1/medical/hospitals/hospital-a/bills/{bill_id}/refunds",
                        {"reason": "药品退回", "charge_item": medicine.pk}, format="json")
    assert requested.status_code == 201, requested.json()
    refund_id = requested.json()["id"]
    own = a1.post(f"/api/v1/medical/hospitals/hospital-a/refunds/{refund_id}/approve")
    assert own.status_code == 403 and own.json()["error"]["code"] == "refund_same_person"
    assert b.post(f"/api/v1/medical/hospitals/hospital-b/refunds/{refund_id}/approve").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):  # the provider's refund notification, after commit
        approved = a2.post(f"/api/v1/medical/hospitals/hospital-a/refunds/{refund_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] in ("approved", "completed")
    assert Refund.objects.get(pk=refund_id).status == "completed"
    again = a2.post(f"/api/v1/medical/hospitals/hospital-a/refunds/{refund_id}/approve")
    assert again.status_code == 409 and again.json()["error"]["code"] == "refund_decided"
    # The patient sees the refund on the bill
    assert patient.get(f"/api/v1/me/medical/bills/{bill_id}").json()["refunds"][0]["status"] == "completed"
    # The day's reconciliation is a CSV with only its header: everything agrees
    csv_response = a1.get(f"/api/v1/medical/hospitals/hospital-a/reconciliation.csv?day={timezone.localdate()}")
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().strip().splitlines() == [
        "day,source,kind,reference,hospital,ledger_fen,source_fen,difference_fen"]
    assert a1.get("/api/v1/medical/hospitals/hospital-a/reconciliation.csv?day=bad").status_code == 400
    # FHIR reads of the patient's own bill and line
    invoice = patient.get(f"/api/v1/me/medical/bills/{bill_id}/fhir")
    assert invoice.status_code == 200 and invoice.json()["resourceType"] == "Invoice"
    assert patient.get(f"/api/v1/me/medical/bills/{bill_id}/items/1/fhir").json()["resourceType"] == "ChargeItem"
    assert other.get(f"/api/v1/me/medical/bills/{bill_id}/fhir").status_code == 404
    assert Payment.objects.filter(bill_id=bill_id).count() == 1


def test_bad_orders_are_4xx_and_write_nothing(arrived, staff_a, staff_b):
    doctor = _client(staff_a)
    count = Bill.objects.count()
    for payload in ({"appointment": arrived.pk, "lines": []},
                    {"appointment": arrived.pk, "lines": [{**ORDER_LINES[0], "unit_price_fen": -1}]},
                    {"appointment": arrived.pk, "lines": [{**ORDER_LINES[0], "category": "registration"}]},
                    {"appointment": 999_999, "lines": ORDER_LINES}, {"lines": "x"}):
        response = doctor.post("/api/v1/medical/hospitals/hospital-a/orders", payload, format="json")
        assert 400 <= response.status_code < 500, (payload, response.status_code)
    # Staff of B naming A's appointment under B's URL: no such appointment there
    response = _client(staff_b).post("/api/v1/medical/hospitals/hospital-b/orders",
                                     {"appointment": arrived.pk, "lines": ORDER_LINES}, format="json")
    assert response.status_code == 404
    assert Bill.objects.count() == count
