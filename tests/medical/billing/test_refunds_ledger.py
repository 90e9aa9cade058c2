"""Refunds take two people; the ledger is balanced and append-only by the database's own rules; reconciliation
finds what does not match."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.medical import selectors, services
from apps.medical.billing.ledger import Leg, ledger_post
from apps.medical.billing.provider import simulated
from apps.medical.models import (
    Bill,
    Coverage,
    InsuranceSettlement,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Refund,
    SimulatedTrade,
)
from citycode.errors import DomainError

from .conftest import pay, with_on_commit

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_bill(order_bill):
    with_on_commit(lambda: pay(order_bill, order_bill.citizen))
    bill = Bill.objects.get(pk=order_bill.pk)
    assert bill.status == "paid"
    return bill


def test_a_refund_needs_a_second_person_and_then_returns_every_share(paid_bill, cashier_a, cashier_a2, hospital_a):
    # Given cashier A requests a refund of the CT line
    ct = paid_bill.items.get(position=1)
    refund = services.refund_request(bill=paid_bill, requested_by=cashier_a, reason="检查取消", charge_item=ct)
    assert (refund.amount_fen, refund.fund_fen, refund.account_fen, refund.cash_fen) == (30_000, 14_000, 4_000, 12_000)
    # When the same cashier tries to approve it, she is refused, and nothing changes
    with pytest.raises(DomainError) as refused:
        services.refund_approve(refund=refund, approved_by=cashier_a)
    assert refused.value.code == "refund_same_person"
    assert Refund.objects.get(pk=refund.pk).status == "requested"
    # When a second cashier approves, the provider returns the cash (its notification completes the refund)
    balance_before = Coverage.objects.get(citizen=paid_bill.citizen).account_balance_fen
    with_on_commit(lambda: services.refund_approve(refund=refund, approved_by=cashier_a2))
    refund.refresh_from_db()
    assert (refund.status, refund.decided_by) == ("completed", cashier_a2)
    # Then the fund's share and the account's share went back to the insurer and the patient's account
    assert Coverage.objects.get(citizen=paid_bill.citizen).account_balance_fen == balance_before + 4_000
    settlement = InsuranceSettlement.objects.get(bill=paid_bill, status="settled")
    assert (settlement.refunded_fund_fen, settlement.refunded_account_fen) == (14_000, 4_000)
    # And the ledger posted it once, balanced; the bill is still paid (the medicine line stands)
    txn = LedgerTransaction.objects.get(key=f"refund:{refund.out_refund_no}")
    assert txn.entries.aggregate(s=Sum("amount_fen"))["s"] == 0
    assert Bill.objects.get(pk=paid_bill.pk).status == "paid"
    # And a second refund of the same line is refused
    with pytest.raises(DomainError) as again:
        services.refund_request(bill=paid_bill, requested_by=cashier_a2, reason="again", charge_item=ct)
    assert again.value.code == "refund_exists"


def test_the_database_refuses_a_refund_decided_by_its_requester(paid_bill, cashier_a):
    refund = services.refund_request(bill=paid_bill, requested_by=cashier_a, reason="整单退费")
    # Given someone skips the service and writes the row directly
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(status="approved", decided_by=cashier_a)
    assert Refund.objects.get(pk=refund.pk).status == "requested"


def test_a_whole_bill_refund_closes_the_bill(paid_bill, cashier_a, cashier_a2):
    refund = services.refund_request(bill=paid_bill, requested_by=cashier_a, reason="整单退费")
    with_on_commit(lambda: services.refund_approve(refund=refund, approved_by=cashier_a2))
    assert Bill.objects.get(pk=paid_bill.pk).status == "refunded"
    assert Refund.objects.get(pk=refund.pk).cash_fen == 13_000


def test_a_cashier_of_hospital_b_cannot_see_request_or_approve_hospital_a_s_refunds(paid_bill, cashier_a, cashier_b):
    # B's cashier sees none of A's bills or refunds
    assert selectors.bill_get(pk=paid_bill.pk, staff=cashier_b) is None
    assert not selectors.bill_list(staff=cashier_b).exists()
    with pytest.raises(DomainError) as refused:
        services.refund_request(bill=paid_bill, requested_by=cashier_b, reason="x")
    assert refused.value.code == "not_hospital_staff"
    refund = services.refund_request(bill=paid_bill, requested_by=cashier_a, reason="整单退费")
    assert selectors.refund_get(pk=refund.pk, staff=cashier_b) is None
    with pytest.raises(DomainError) as refused:
        services.refund_approve(refund=refund, approved_by=cashier_b)
    assert refused.value.code == "not_hospital_staff"
    assert Refund.objects.get(pk=refund.pk).status == "requested"


def test_a_rejected_refund_pays_nothing_and_can_be_asked_again(paid_bill, cashier_a, cashier_a2):
    refund = services.refund_request(bill=paid_bill, requested_by=cashier_a, reason="误操作")
    services.refund_reject(refund=refund, rejected_by=cashier_a2)
    assert not LedgerTransaction.objects.filter(kind="refund").exists()
    with pytest.raises(DomainError) as decided:
        services.refund_approve(refund=Refund.objects.get(pk=refund.pk), approved_by=cashier_a2)
    assert decided.value.code == "refund_decided"
    services.refund_request(bill=paid_bill, requested_by=cashier_a2, reason="真的退")


# -- the ledger -------------------------------------------------------------------------------------------------


def test_every_posted_transaction_balances(paid_bill):
    for txn in LedgerTransaction.objects.all():
        entries = list(txn.entries.all())
        assert len(entries) >= 2 and sum(e.amount_fen for e in entries) == 0, txn.key


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite checks the balance at the header's insert")
def test_sqlite_refuses_an_unbalanced_transaction(hospital_a):
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        ledger_post(hospital=hospital_a, key="bad", kind="charge", legs=[Leg("revenue", -100), Leg("cash", 99)])
    assert not LedgerTransaction.objects.filter(key="bad").exists()
    assert not LedgerEntry.objects.exists()


def test_the_ledger_is_append_only(paid_bill):
    entry = LedgerEntry.objects.first()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=entry.amount_fen + 1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=entry.transaction_id).update(memo="edited")
    # And an entry cannot be slipped into a posted transaction, even a balanced pair
    account = entry.account
    with pytest.raises(IntegrityError, match="posted"), transaction.atomic():
        LedgerEntry.objects.create(transaction_id=entry.transaction_id, account=account, amount_fen=5)


# -- reconciliation -----------------------------------------------------------------------------------------------


def test_reconciliation_agrees_on_a_clean_day_and_finds_planted_mismatches(paid_bill, hospital_a, order_bill,
                                                                            cashier_a, cashier_a2):
    today = timezone.localdate()
    refund = services.refund_request(bill=paid_bill, requested_by=cashier_a, reason="退药",
                                     charge_item=paid_bill.items.get(position=2))
    with_on_commit(lambda: services.refund_approve(refund=refund, approved_by=cashier_a2))
    # Given a day where everything went through: no mismatch
    assert selectors.reconciliation_mismatch_list(day=today, hospitals=[hospital_a]) == []
    # When money moved at the provider that the ledger never heard of (a paid trade whose notification was lost),
    # and the ledger holds a provider posting the provider never made
    second = services.order_place(placed_by=order_bill.items.first().order.placed_by,
                                  appointment=paid_bill.appointment,
                                  lines=[{"code": "LB-1", "description": "血常规", "category": "lab",
                                          "unit_price_fen": 2_500, "quantity": 1}])
    lost = services.bill_pay_start(bill=second, citizen=second.citizen, idempotency_key="lost")
    simulated().confirm(out_trade_no=lost.out_trade_no, deliver=False)
    ledger_post(hospital=hospital_a, key="planted", kind="payment",
                legs=[Leg("provider:simulated", 777, f"trade:{lost.out_trade_no}X"), Leg("patient_receivable", -777)])
    # And an insurance settlement's posting is short
    settlement = InsuranceSettlement.objects.get(bill=paid_bill, status="settled")
    InsuranceSettlement.objects.filter(pk=settlement.pk).update(fund_fen=settlement.fund_fen + 1)
    found = {(m.source, m.kind, m.reference) for m in selectors.reconciliation_mismatch_list(
        day=today, hospitals=[hospital_a])}
    # Then each is listed
    assert ("provider", "missing_in_ledger", f"trade:{lost.out_trade_no}") in found
    assert ("provider", "missing_at_source", f"trade:{lost.out_trade_no}X") in found
    assert ("insurance", "amount_differs", f"settlement:{settlement.pk}") in found
    # And the CSV lists them too, one line each after the header
    csv_text = selectors.reconciliation_csv_get(day=today, hospitals=[hospital_a])
    assert f"trade:{lost.out_trade_no}" in csv_text and f"settlement:{settlement.pk}" in csv_text
    assert csv_text.splitlines()[0].startswith("day,source,kind,reference")
    # But another hospital's report shows none of A's business
    assert selectors.reconciliation_mismatch_list(day=today, hospitals=[]) == []
    assert SimulatedTrade.objects.filter(out_trade_no=lost.out_trade_no, status="SUCCESS").exists()
    assert LedgerAccount.objects.filter(hospital=hospital_a).exists()


def test_a_ledger_transaction_key_posts_once(hospital_a):
    first = ledger_post(hospital=hospital_a, key="k", kind="charge", legs=[Leg("a", 5), Leg("b", -5)])
    second = ledger_post(hospital=hospital_a, key="k", kind="charge", legs=[Leg("a", 7), Leg("b", -7)])
    assert first.pk == second.pk and LedgerEntry.objects.count() == 2
    assert isinstance(first.pk, uuid.UUID)


def test_reconciliation_lists_a_notification_refused_for_its_amount(order_bill, hospital_a):
    # Given the provider notified a different amount than we asked (refused, kept in the inbox)
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p")
    wrong = simulated().sign({"id": "EVT-WRONG", "event": "TRANSACTION.SUCCESS", "reference": payment.out_trade_no,
                              "amount": payment.amount_fen + 100, "transaction_id": "T", "created_at": "now"})
    assert services.notification_receive(provider="simulated", body=wrong[0], signature=wrong[1]).outcome == \
        "amount_mismatch"
    # Then the day's report lists it, with the amount the provider claimed
    [refused] = [m for m in selectors.reconciliation_mismatch_list(day=timezone.localdate(), hospitals=[hospital_a])
                 if m.kind == "refused_notification"]
    assert (refused.reference, refused.source_fen, refused.ledger_fen) == (
        f"trade:{payment.out_trade_no}", payment.amount_fen + 100, 0)
