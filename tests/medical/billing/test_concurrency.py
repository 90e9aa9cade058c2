"""PostgreSQL: concurrent deliveries of provider notifications pay once, and the deferred constraint trigger
refuses an unbalanced ledger transaction at COMMIT. Real threads, real connections, real commits."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Sum

from apps.medical import services
from apps.medical.billing.ledger import Leg, ledger_post
from apps.medical.billing.provider import simulated
from apps.medical.models import Bill, LedgerEntry, LedgerTransaction, Payment, PaymentNotification

from .conftest import with_on_commit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and deferred triggers: PostgreSQL"),
]


def _run_all(jobs):
    errors: list[BaseException] = []

    def wrap(job):
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_duplicate_deliveries_and_a_concurrent_query_pay_once(order_bill, hospital_a):
    # Given alice paid; the provider delivers its notification 8 times at once while our query job also runs
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p")
    (body, signature), _ = simulated().confirm(out_trade_no=payment.out_trade_no, deliver=False)
    jobs = [lambda: services.notification_receive(provider="simulated", body=body, signature=signature)] * 8
    jobs += [lambda: services.payment_query(payment=payment)] * 2
    # When they all run at once
    errors = _run_all(jobs)
    # Then none failed, one inbox row counts the 8 deliveries, and the money moved once
    assert errors == []
    row = PaymentNotification.objects.get()
    assert row.deliveries == 8 and row.outcome in ("applied", "already_done")
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert LedgerTransaction.objects.filter(key=f"payment:{payment.out_trade_no}").count() == 1
    assert LedgerTransaction.objects.filter(kind="settlement", bill_ref=f"bill:{order_bill.pk}").count() == 1
    assert Bill.objects.get(pk=order_bill.pk).status == "paid"
    cash = LedgerEntry.objects.filter(account__hospital=hospital_a, account__code="provider:simulated").aggregate(
        s=Sum("amount_fen"))["s"]
    assert cash == payment.amount_fen


def test_the_database_refuses_an_unbalanced_transaction_at_commit(hospital_a):
    # Given a transaction whose legs do not sum to zero, written past every Python check
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        ledger_post(hospital=hospital_a, key="bad", kind="charge",
                    legs=[Leg("revenue", -100), Leg("patient_receivable", 99)])
    # Then nothing of it was kept
    assert not LedgerTransaction.objects.filter(key="bad").exists()
    assert not LedgerEntry.objects.exists()
    # And a lone leg is refused the same way, while a balanced one commits
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        ledger_post(hospital=hospital_a, key="lone", kind="charge", legs=[Leg("revenue", 100)])
    ledger_post(hospital=hospital_a, key="good", kind="charge", legs=[Leg("revenue", -100),
                                                                     Leg("patient_receivable", 100)])
    assert LedgerTransaction.objects.filter(key="good").exists()


def test_the_ledger_refuses_delete_on_postgresql(hospital_a):
    txn = ledger_post(hospital=hospital_a, key="good", kind="charge", legs=[Leg("revenue", -1), Leg("cash", 1)])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=txn).delete()
    assert txn.entries.count() == 2


def test_concurrent_refund_approvals_complete_once(order_bill, cashier_a, cashier_a2, hospital_a, staff_a):
    with_on_commit(lambda: simulated().confirm(out_trade_no=services.bill_pay_start(
        bill=order_bill, citizen=order_bill.citizen, idempotency_key="p").out_trade_no))
    refund = services.refund_request(bill=order_bill, requested_by=cashier_a, reason="退费")
    errors = _run_all([lambda: services.refund_approve(refund=refund, approved_by=cashier_a2),
                       lambda: services.refund_approve(refund=refund, approved_by=staff_a)])
    # One approval wins; the other is told it was already decided
    assert len(errors) == 1 and getattr(errors[0], "code", "") == "refund_decided"
    assert LedgerTransaction.objects.filter(kind="refund").count() <= 1
