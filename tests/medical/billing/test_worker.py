"""The payment tasks run by a real Celery worker against PostgreSQL: the provider's notification delivered twice
by the worker pays once; the stale-payment query finds a payment whose notification never came."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.medical import services
from apps.medical.billing.provider import simulated
from apps.medical.models import Bill, LedgerTransaction, Payment, PaymentNotification
from apps.medical.tasks import payments_query_stale, simulated_notification_deliver
from tests.integration.conftest import celery_worker  # noqa: F401 - the real worker fixture

from .conftest import ORDER_LINES

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_applies_a_notification_once_and_queries_a_silent_payment(celery_worker, order_bill,  # noqa: F811
                                                                            staff_a):
    # Given alice paid her bill at the provider
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="w1")
    (body, signature), _ = simulated().confirm(out_trade_no=payment.out_trade_no, deliver=False)
    # When the worker delivers the provider's notification twice
    outcomes = [simulated_notification_deliver.delay(body.decode(), signature).get(timeout=60) for _ in range(2)]
    # Then it was applied once: both answers name the one applied outcome, one inbox row counts two deliveries
    assert outcomes == ["applied", "applied"]
    assert PaymentNotification.objects.get().deliveries == 2
    assert Bill.objects.get(pk=order_bill.pk).status == "paid"
    assert LedgerTransaction.objects.filter(key=f"payment:{payment.out_trade_no}").count() == 1
    # Given a second bill paid at the provider whose notification never arrives
    second = services.order_place(placed_by=staff_a, appointment=order_bill.appointment, lines=ORDER_LINES[1:])
    silent = services.bill_pay_start(bill=second, citizen=second.citizen, idempotency_key="w2")
    simulated().confirm(out_trade_no=silent.out_trade_no, deliver=False)
    Payment.objects.filter(pk=silent.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))
    # When the worker runs the beat task that queries silent payments
    assert payments_query_stale.delay().get(timeout=60) == 1
    # Then the payment is found paid and the bill settled; a second run finds nothing left to query
    assert Payment.objects.get(pk=silent.pk).status == "succeeded"
    assert Bill.objects.get(pk=second.pk).status == "paid"
    assert payments_query_stale.delay().get(timeout=60) == 0
