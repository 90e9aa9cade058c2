"""The money pages with Django's test client: who sees what, and a refund by two cashiers."""

import pytest
from django.test import Client

from apps.medical.models import Bill, Refund

from .conftest import pay, with_on_commit

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_patient_pays_from_the_page_through_the_provider_s_cashier(order_bill, django_capture_on_commit_callbacks):
    patient = _client(order_bill.citizen)
    page = patient.get(f"/medical/bills/{order_bill.pk}/")
    assert page.status_code == 200 and "¥350.00" in page.content.decode()
    response = patient.post(f"/medical/bills/{order_bill.pk}/pay", {"key": "page-1"})
    assert response.status_code == 302 and "/medical/pay/" in response["Location"]
    provider_page = patient.get(response["Location"])
    assert "¥130.00" in provider_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        patient.post(response["Location"])
    assert Bill.objects.get(pk=order_bill.pk).status == "paid"
    page = patient.get(f"/medical/bills/{order_bill.pk}/").content.decode()
    assert "¥180.00" in page and "¥40.00" in page


def test_others_see_404_and_b_s_cashier_sees_nothing_of_a(order_bill, make_citizen, cashier_b, cashier_a):
    stranger = _client(make_citizen(name="外人"))
    assert stranger.get(f"/medical/bills/{order_bill.pk}/").status_code == 404
    assert stranger.post(f"/medical/bills/{order_bill.pk}/pay", {"key": "x"}).status_code == 404
    b = _client(cashier_b)
    assert b.get("/medical/cashier/hospital-a/").status_code == 403
    assert order_bill.number not in b.get("/medical/cashier/hospital-b/").content.decode()
    assert b.post(f"/medical/cashier/hospital-b/bills/{order_bill.pk}/refund", {"reason": "x"}).status_code == 404
    assert order_bill.number in _client(cashier_a).get("/medical/cashier/hospital-a/").content.decode()


def test_two_cashiers_refund_from_the_page(order_bill, cashier_a, cashier_a2, django_capture_on_commit_callbacks):
    with_on_commit(lambda: pay(order_bill, order_bill.citizen))
    a1, a2 = _client(cashier_a), _client(cashier_a2)
    a1.post(f"/medical/cashier/hospital-a/bills/{order_bill.pk}/refund", {"reason": "整单退费", "item": ""})
    refund = Refund.objects.get()
    page = a1.get("/medical/cashier/hospital-a/").content.decode()
    assert 'data-testid="awaiting-second"' in page and 'data-testid="approve-refund"' not in page
    a1.post(f"/medical/cashier/hospital-a/refunds/{refund.pk}/approve")
    assert Refund.objects.get().status == "requested"
    with django_capture_on_commit_callbacks(execute=True):
        a2.post(f"/medical/cashier/hospital-a/refunds/{refund.pk}/approve")
    assert Refund.objects.get().status == "completed"
    assert Bill.objects.get(pk=order_bill.pk).status == "refunded"
    csv_response = a1.get("/medical/cashier/hospital-a/reconciliation.csv")
    assert csv_response.status_code == 200 and csv_response.content.decode().startswith("day,source")
