"""Paying a bill: pre-settle → cash through the provider → settle; notifications that arrive twice, late or out of
order pay once; a failed settlement reverses."""

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.medical import services
from apps.medical.billing.provider import CLOSED, SUCCESS, simulated
from apps.medical.models import (
    Appointment,
    Bill,
    Coverage,
    InsuranceSettlement,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentNotification,
    SimulatedRefund,
)
from apps.medical.services.payments import PAYMENT_TIMEOUT
from citycode.errors import DomainError

from .conftest import ORDER_LINES, book, with_on_commit

pytestmark = pytest.mark.django_db


def _ledger_balance(hospital, code):
    return LedgerEntry.objects.filter(account__hospital=hospital, account__code=code).aggregate(
        s=Sum("amount_fen"))["s"] or 0


def _deliver(body, signature):
    return services.notification_receive(provider="simulated", body=body, signature=signature)


def test_the_registration_fee_paid_from_the_personal_account_books_the_appointment(arrived):
    # Given alice's fee (¥10, not covered by the fund) was paid when she booked; then she checked in
    bill = Bill.objects.get(appointment=arrived, items__category="registration")
    # Then the fund paid nothing, her personal account paid it all, and her booking was marked paid
    assert (bill.status, bill.total_fen, bill.fund_fen, bill.account_fen, bill.cash_fen) == ("paid", 1000, 0, 1000, 0)
    assert Appointment.objects.get(pk=arrived.pk).paid_at is not None
    assert Coverage.objects.get(citizen=arrived.patient).account_balance_fen == 4000


def test_an_order_becomes_a_bill_split_line_by_line_in_whole_fen(order_bill):
    # Given the order: CT ¥300 (exam, 70%) and 4 × ¥12.50 medicine (drug, 80%); ¥100 deductible; ¥40 left in account
    # When alice starts paying (pre-settle)
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p1")
    bill = Bill.objects.get(pk=order_bill.pk)
    ct, drug = bill.items.order_by("position")
    # Then the CT first meets the deductible (¥100), the fund pays 70% of the other ¥200 = ¥140; the account pays
    # ¥40 and cash the rest; the medicine: fund 80% of ¥50 = ¥40, cash ¥10
    assert (ct.deductible_fen, ct.fund_fen, ct.account_fen, ct.cash_fen) == (10_000, 14_000, 4_000, 12_000)
    assert (drug.deductible_fen, drug.fund_fen, drug.account_fen, drug.cash_fen) == (0, 4_000, 0, 1_000)
    assert (bill.total_fen, bill.fund_fen, bill.account_fen, bill.cash_fen) == (35_000, 18_000, 4_000, 13_000)
    # And only the cash share goes to the provider; nothing is paid yet
    assert payment.amount_fen == 13_000 and payment.status == "pending" and bill.status == "issued"


def test_a_notification_delivered_twice_pays_once(order_bill, hospital_a):
    # Given alice paid at the provider, which sends its notification twice
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p1")
    (body, signature), again = simulated().confirm(out_trade_no=payment.out_trade_no, deliver=False)
    # When both copies arrive
    first, second = _deliver(body, signature), _deliver(*again)
    # Then the first applies, the repeat is "already done", counted on the same inbox row
    assert (first.outcome, second.outcome) == ("applied", "applied")
    row = PaymentNotification.objects.get()
    assert (row.outcome, row.deliveries) == ("applied", 2)
    # And the money moved exactly once: one payment transaction, the bill paid, insurance settled
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1  # the registration fee had no cash share
    assert LedgerTransaction.objects.filter(key=f"payment:{payment.out_trade_no}").count() == 1
    bill = Bill.objects.get(pk=order_bill.pk)
    assert bill.status == "paid"
    assert InsuranceSettlement.objects.get(bill=bill).status == "settled"
    # And the receivable of this bill is cleared: cash + fund + account = total
    assert _ledger_balance(hospital_a, "provider:simulated") == 13_000
    assert _ledger_balance(hospital_a, "insurer_fund") == 18_000


def test_a_late_notification_after_the_query_changes_nothing(order_bill):
    # Given alice paid, but the notification did not come, so the query found the payment paid
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p1")
    (body, signature), _again = simulated().confirm(out_trade_no=payment.out_trade_no, deliver=False)
    services.payment_query(payment=payment)
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    # When the notification arrives a day late
    row = _deliver(body, signature)
    # Then it is acknowledged as already done and nothing is posted twice
    assert row.outcome == "already_done"
    assert LedgerTransaction.objects.filter(key__startswith=f"payment:{payment.out_trade_no}").count() == 1


def test_an_older_close_event_arriving_after_the_success_is_ignored(order_bill):
    # Given the provider's success has been applied
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p1")
    (body, signature), _ = simulated().confirm(out_trade_no=payment.out_trade_no, deliver=False)
    _deliver(body, signature)
    # When an older "closed" event for the same trade arrives afterwards (out of order)
    stale = simulated().sign({"id": "EVT-OLD-CLOSE", "event": CLOSED, "reference": payment.out_trade_no,
                              "amount": payment.amount_fen, "transaction_id": "", "created_at": "2020-01-01"})
    row = _deliver(*stale)
    # Then it is stale: the payment stays paid, the bill stays paid
    assert row.outcome == "stale"
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert Bill.objects.get(pk=order_bill.pk).status == "paid"


def test_a_wrong_amount_or_a_forged_signature_never_pays(order_bill):
    payment = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p1")
    event = {"id": "EVT-X", "event": SUCCESS, "reference": payment.out_trade_no, "amount": 1,
             "transaction_id": "T1", "created_at": "now"}
    # Given a correctly signed notification with the wrong amount
    row = _deliver(*simulated().sign(event))
    # Then it is refused and kept; the payment is still pending
    assert row.outcome == "amount_mismatch"
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    # And a notification with the right amount but a forged signature is refused before anything is stored
    body, _sig = simulated().sign({**event, "id": "EVT-Y", "amount": payment.amount_fen})
    with pytest.raises(DomainError) as refused:
        _deliver(body, "0" * 64)
    assert refused.value.code == "bad_signature"
    assert not PaymentNotification.objects.filter(event_id="EVT-Y").exists()
    assert Payment.objects.get(pk=payment.pk).status == "pending"


def test_paying_twice_with_the_same_key_or_while_a_payment_is_open_opens_one_payment(order_bill):
    first = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p1")
    again = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p1")
    other_key = services.bill_pay_start(bill=order_bill, citizen=order_bill.citizen, idempotency_key="p2")
    assert first.pk == again.pk == other_key.pk
    assert Payment.objects.filter(bill=order_bill).count() == 1


def test_another_citizen_cannot_pay_or_see_alice_s_bill(order_bill, make_citizen):
    mallory = make_citizen(name="马洛")
    with pytest.raises(DomainError) as refused:
        services.bill_pay_start(bill=order_bill, citizen=mallory, idempotency_key="m")
    assert refused.value.code == "unknown_bill"
    assert not Payment.objects.filter(bill=order_bill).exists()


def test_a_failed_settlement_reverses_the_payment_and_the_bill_can_be_paid_again(order_bill, hospital_a, alice):
    # Given alice pre-settled this bill (¥40 from her account)...
    payment = services.bill_pay_start(bill=order_bill, citizen=alice, idempotency_key="p1")
    # ...and meanwhile her personal account was spent elsewhere (another bill, another hospital)
    Coverage.objects.filter(citizen=alice).update(account_balance_fen=0)
    # When her cash payment is confirmed and the insurer's settle step refuses the stale pre-settlement
    with_on_commit(lambda: simulated().confirm(out_trade_no=payment.out_trade_no))
    # Then the settlement failed and everything was reversed: payment reversed, bill payable again with no split
    assert InsuranceSettlement.objects.get(bill=order_bill).status == "failed"
    assert Payment.objects.get(pk=payment.pk).status == "reversed"
    bill = Bill.objects.get(pk=order_bill.pk)
    assert (bill.status, bill.fund_fen, bill.account_fen, bill.cash_fen) == ("issued", 0, 0, 35_000)
    # And the ledger holds the payment and its reversal (never an edit), netting to zero at the provider
    reversal = LedgerTransaction.objects.get(key=f"reversal:payment:{payment.out_trade_no}")
    assert reversal.reverses.key == f"payment:{payment.out_trade_no}"
    assert _ledger_balance(hospital_a, "provider:simulated") == 0
    # And the provider was asked to give the cash back, under the reversal's fixed number
    assert SimulatedRefund.objects.get().amount_fen == payment.amount_fen
    # And the account balance was never taken
    assert Coverage.objects.get(citizen=alice).account_balance_fen == 0
    # When she pays again, the fresh pre-settlement uses what is true now and settles
    second = services.bill_pay_start(bill=bill, citizen=alice, idempotency_key="p2")
    assert second.amount_fen == 17_000  # fund ¥180 as before, no account share, cash ¥170
    with_on_commit(lambda: simulated().confirm(out_trade_no=second.out_trade_no))
    assert Bill.objects.get(pk=bill.pk).status == "paid"


def test_an_unpaid_payment_is_closed_after_its_timeout_and_the_bill_is_payable_again(order_bill, alice):
    payment = services.bill_pay_start(bill=order_bill, citizen=alice, idempotency_key="p1")
    later = timezone.now() + PAYMENT_TIMEOUT * 2
    services.payment_query(payment=payment, now=later)
    assert Payment.objects.get(pk=payment.pk).status == "closed"
    assert simulated().query(out_trade_no=payment.out_trade_no).status == "CLOSED"
    # A payment at the provider after the close is refused there, so no money can arrive for a closed order
    with pytest.raises(Exception, match="trade_closed"):
        simulated().confirm(out_trade_no=payment.out_trade_no, deliver=False)
    assert Bill.objects.get(pk=order_bill.pk).status == "issued"


def test_a_registration_fee_paid_after_the_hold_expired_is_refunded(today_session, make_citizen):
    # Given bob (uninsured) held a place, and his bill was opened
    bob = make_citizen(name="鲍勃")
    appointment = book(bob, today_session)
    bill = services.registration_bill_get_or_create(appointment=appointment, citizen=bob)
    payment = services.bill_pay_start(bill=bill, citizen=bob, idempotency_key="r")
    # When the hold expires before his payment's notification arrives
    services.appointment_release(appointment=appointment, reason="hold_expired")
    with_on_commit(lambda: simulated().confirm(out_trade_no=payment.out_trade_no))
    # Then his cash is returned and the bill cancelled; the booking stays released
    assert Payment.objects.get(pk=payment.pk).status == "reversed"
    assert Bill.objects.get(pk=bill.pk).status == "cancelled"
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert SimulatedRefund.objects.filter(out_refund_no=f"RV{payment.out_trade_no}").exists()


def test_orders_need_a_checked_in_patient_and_staff_of_that_hospital(order_bill, arrived, staff_b, today_session,
                                                                   make_citizen):
    # Staff of hospital B cannot bill A's patient
    with pytest.raises(DomainError) as refused:
        services.order_place(placed_by=staff_b, appointment=arrived, lines=ORDER_LINES)
    assert refused.value.code == "not_hospital_staff"
    # Bad lines are refused whole: nothing written
    count = Bill.objects.count()
    doctor = order_bill.items.first().order.placed_by
    for bad in ([], [{**ORDER_LINES[0], "unit_price_fen": 1.5}], [{**ORDER_LINES[0], "category": "spa"}],
                [{**ORDER_LINES[0], "quantity": 0}], [{**ORDER_LINES[0], "category": "registration"}]):
        with pytest.raises(DomainError) as refused:
            services.order_place(placed_by=doctor, appointment=arrived, lines=bad)
        assert refused.value.code == "invalid_order"
    assert Bill.objects.count() == count
    # And a patient who only booked (never came) cannot be billed
    carol = make_citizen(name="卡罗")
    held = book(carol, today_session)
    with pytest.raises(DomainError) as refused:
        services.order_place(placed_by=doctor, appointment=held, lines=ORDER_LINES)
    assert refused.value.code == "invalid_order"


def test_an_uninsured_patient_pays_the_whole_bill_in_cash_and_no_insurance_is_posted(today_session, make_citizen,
                                                                                    hospital_a):
    # Given dan, with no coverage at all, and his registration fee
    dan = make_citizen(name="丹")
    appointment = book(dan, today_session)
    bill = services.registration_bill_get_or_create(appointment=appointment, citizen=dan)
    # When he pays and the provider confirms
    payment = services.bill_pay_start(bill=bill, citizen=dan, idempotency_key="d")
    assert payment.amount_fen == bill.total_fen
    with_on_commit(lambda: simulated().confirm(out_trade_no=payment.out_trade_no))
    # Then the bill is paid in cash alone; the settlement posts nothing to the insurer's accounts
    bill.refresh_from_db()
    assert (bill.status, bill.fund_fen, bill.account_fen, bill.cash_fen) == ("paid", 0, 0, 1000)
    assert not LedgerTransaction.objects.filter(kind="settlement", bill_ref=f"bill:{bill.pk}").exists()
    assert InsuranceSettlement.objects.get(bill=bill).status == "settled"
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
