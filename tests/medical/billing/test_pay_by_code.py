"""Paying by code at the cashier: hospital A scans the patient's medical code through core's /scan with purpose
medical.payment; the gate decides and logs first; only A's bills are paid, once."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from apps.codes import services as code_services
from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.medical.models import Bill, LedgerTransaction, PaymentNotification

pytestmark = pytest.mark.django_db
PURPOSE = "medical.payment"


def _reader(hospital):
    _client, key = identity_services.api_client_create(organization=hospital, name=f"cashier-{hospital.slug}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def _scan(api, patient):
    token = code_services.token_issue(citizen=patient, code_type="medical", lifetime=dt.timedelta(minutes=2)).token
    return api.post("/api/v1/scan", {"token": token, "purpose": PURPOSE}, format="json")


def test_the_cashier_scans_the_code_and_the_patient_s_bills_here_are_paid(
        order_bill, grant, hospital_a, hospital_b, django_capture_on_commit_callbacks):
    patient = order_bill.citizen
    grant(hospital_a, PURPOSE)
    grant(hospital_b, PURPOSE)
    cashier_a, cashier_b = _reader(hospital_a), _reader(hospital_b)
    # Given no consent yet: the gate refuses, and nothing is paid
    refused = _scan(cashier_a, patient)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_disclosed"
    assert Bill.objects.get(pk=order_bill.pk).status == "issued"
    # When the patient consents and hospital B scans: B has no bill of hers, so nothing happens to A's bill
    consent_services.consent_give(citizen=patient, purpose=PURPOSE, categories=["identity.name"])
    at_b = _scan(cashier_b, patient)
    assert at_b.status_code == 200 and at_b.json()["action"]["payment"]["bills"] == []
    assert Bill.objects.get(pk=order_bill.pk).status == "issued"
    # When hospital A's cashier scans
    with django_capture_on_commit_callbacks(execute=True):
        at_a = _scan(cashier_a, patient)
    # Then the bill is settled with insurance and paid, in the same answer
    assert at_a.status_code == 200, at_a.json()
    [paid] = at_a.json()["action"]["payment"]["bills"]
    assert (paid["number"], paid["status"], paid["fund_fen"], paid["account_fen"], paid["cash_fen"]) == (
        order_bill.number, "paid", 18_000, 4_000, 13_000)
    assert at_a.json()["data"] == {"identity.name": patient.name}
    # And the provider's notification that followed was "already done": one payment posting
    assert PaymentNotification.objects.get().outcome == "already_done"
    assert LedgerTransaction.objects.filter(kind="payment", bill_ref=f"bill:{order_bill.pk}").count() == 1
    # And a second scan pays nothing more
    again = _scan(cashier_a, patient)
    assert again.status_code == 200 and again.json()["action"]["payment"]["bills"] == []
