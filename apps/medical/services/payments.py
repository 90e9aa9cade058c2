"""Provider notifications, queries and refunds (issue 10, item 6).

Every notification goes through the inbox (``PaymentNotification``): stored once per (provider, event id), then
applied once under that row's lock and the payment's. A repeat, a late copy after a query already settled the
payment, or an older event arriving after a newer one changes nothing and is answered "already done" (so the
provider stops repeating). A wrong amount is refused and kept for reconciliation.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import DomainError

from ..billing import provider as providers
from ..billing.errors import BillingErrorCode
from ..billing.ledger import INSURER_ACCOUNT, INSURER_FUND, REVENUE, Leg, ledger_post
from ..models import (
    Bill,
    ChargeItem,
    Coverage,
    InsuranceSettlement,
    LedgerTransaction,
    Payment,
    PaymentNotification,
    Refund,
)
from .billing import bill_pay_start, payment_abandon, reversal_refund_no, settle_after_payment
from .staff import hospital_staff_require

# A payment with no notification is queried after this long; unpaid after PAYMENT_TIMEOUT it is closed.
QUERY_AFTER = dt.timedelta(minutes=1)
PAYMENT_TIMEOUT = dt.timedelta(minutes=30)
Outcome = PaymentNotification.Outcome


def _provider(key: str) -> providers.PaymentProvider:
    try:
        return providers.provider_for(key)
    except providers.ProviderError:
        raise DomainError(BillingErrorCode.UNKNOWN_PROVIDER, _("No such payment provider.")) from None


# -- the inbox --------------------------------------------------------------------------------------------------


def notification_receive(*, provider: str, body: bytes, signature: str) -> PaymentNotification:
    """Verify, store once, apply once. Returns the inbox row (its ``outcome`` says what happened)."""
    gateway = _provider(provider)
    try:
        notification = gateway.parse_notification(body=body, signature=signature)
    except providers.ProviderError as error:
        if error.reason == "bad_signature":
            raise DomainError(BillingErrorCode.BAD_SIGNATURE, _("The notification's signature is not valid.")) from None
        raise DomainError(BillingErrorCode.MALFORMED_NOTIFICATION, _("The notification is malformed.")) from None
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = PaymentNotification.objects.create(
                    provider=gateway.key, event_id=notification.event_id, event=notification.event,
                    reference=notification.reference, amount_fen=notification.amount, body=notification.body)
        except IntegrityError:
            # A repeat (possibly concurrent: the unique index made us wait for the first to commit).
            PaymentNotification.objects.filter(provider=gateway.key, event_id=notification.event_id).update(
                deliveries=F("deliveries") + 1)
            row = PaymentNotification.objects.get(provider=gateway.key, event_id=notification.event_id)
        row = PaymentNotification.objects.select_for_update().get(pk=row.pk)
        if row.processed_at is None:
            row.outcome = _apply(row)
            row.processed_at = timezone.now()
            row.save(update_fields=["outcome", "processed_at"])
    return row


def _apply(row: PaymentNotification) -> str:
    if row.event in (providers.SUCCESS, providers.CLOSED):
        return _apply_trade_event(row)
    return _apply_refund_event(row)


def _locked_payment(out_trade_no: str) -> Payment | None:
    found = Payment.objects.filter(out_trade_no=out_trade_no).values_list("bill_id", flat=True).first()
    if found is None:
        return None
    Bill.objects.select_for_update().get(pk=found)  # lock order: bill, then payment
    return Payment.objects.select_for_update().select_related("bill", "bill__hospital").get(
        out_trade_no=out_trade_no)


def _apply_trade_event(row: PaymentNotification) -> str:
    payment = _locked_payment(row.reference)
    if payment is None:
        return Outcome.UNKNOWN_TRADE
    if row.amount_fen != payment.amount_fen:
        return Outcome.AMOUNT_MISMATCH
    if payment.status != Payment.Status.PENDING:
        # Already paid (or reversed, or closed): a repeat, a late copy, or an older event after a newer one.
        return Outcome.ALREADY_DONE if row.event == providers.SUCCESS else Outcome.STALE
    if row.event == providers.SUCCESS:
        settle_after_payment(payment=payment, transaction_id=str(row.body.get("transaction_id", "")),
                             at=timezone.now())
    else:
        payment_abandon(payment=payment)
    return Outcome.APPLIED


def _apply_refund_event(row: PaymentNotification) -> str:
    refund = Refund.objects.filter(out_refund_no=row.reference).values_list("bill_id", flat=True).first()
    if refund is None:
        # The refund of a reversed payment was posted when the reversal was decided.
        reversed_payment = Payment.objects.filter(status=Payment.Status.REVERSED,
                                                  out_trade_no=row.reference.removeprefix("RV")).first()
        if reversed_payment is not None and reversal_refund_no(reversed_payment) == row.reference:
            return (Outcome.ALREADY_DONE if row.amount_fen == reversed_payment.amount_fen
                    else Outcome.AMOUNT_MISMATCH)
        return Outcome.UNKNOWN_TRADE
    Bill.objects.select_for_update().get(pk=refund)
    locked = Refund.objects.select_for_update().get(out_refund_no=row.reference)
    if row.amount_fen != locked.cash_fen:
        return Outcome.AMOUNT_MISMATCH
    if locked.status == Refund.Status.COMPLETED:
        return Outcome.ALREADY_DONE
    if locked.status != Refund.Status.APPROVED:
        return Outcome.STALE
    _refund_complete(refund=locked)
    return Outcome.APPLIED


# -- queries (when no notification comes) -----------------------------------------------------------------------


@transaction.atomic
def payment_query(*, payment: Payment, now: dt.datetime | None = None) -> Payment:
    """Ask the provider about a pending payment and apply the answer exactly as a notification would."""
    now = now or timezone.now()
    locked = _locked_payment(payment.out_trade_no)
    assert locked is not None
    if locked.status != Payment.Status.PENDING:
        return locked
    gateway = _provider(locked.provider)
    state = gateway.query(out_trade_no=locked.out_trade_no)
    if state is not None and state.status == "SUCCESS":
        if state.amount == locked.amount_fen:
            settle_after_payment(payment=locked, transaction_id=state.transaction_id, at=now)
        # A differing amount is left pending: reconciliation lists it, nobody is credited.
    elif state is None or state.status == "CLOSED" or now - locked.created_at > PAYMENT_TIMEOUT:
        if state is not None and state.status == "NOTPAY":
            gateway.close(out_trade_no=locked.out_trade_no)  # so a late payment cannot succeed at the provider
        payment_abandon(payment=locked)
    return locked


def payment_query_stale(*, now: dt.datetime | None = None) -> int:
    """Beat task: query every payment that has waited past QUERY_AFTER without a notification."""
    now = now or timezone.now()
    pending = Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=now - QUERY_AFTER)
    count = 0
    for payment in pending.order_by("created_at")[:500]:
        payment_query(payment=payment, now=now)
        count += 1
    return count


def payment_reversal_refund(*, payment: Payment) -> None:
    """Ask the provider to return a reversed payment's cash (idempotent: a fixed refund number)."""
    if payment.status != Payment.Status.REVERSED:
        return
    _provider(payment.provider).refund(out_trade_no=payment.out_trade_no, out_refund_no=reversal_refund_no(payment),
                                       amount=payment.amount_fen)


# -- refunds: one person requests, another decides -----------------------------------------------------------------


@transaction.atomic
def refund_request(*, bill: Bill, requested_by: Any, reason: str, charge_item: ChargeItem | None = None) -> Refund:
    """Request a refund of the whole bill or of one line. Staff of the bill's hospital only."""
    hospital_staff_require(user=requested_by, hospital=bill.hospital)
    locked = Bill.objects.select_for_update().get(pk=bill.pk)
    if locked.status != Bill.Status.PAID:
        raise DomainError(BillingErrorCode.BILL_NOT_REFUNDABLE, _("Only a paid bill can be refunded."))
    live = Refund.objects.filter(bill=locked).exclude(status=Refund.Status.REJECTED)
    if charge_item is not None:
        if charge_item.bill_id != locked.pk:
            raise DomainError(BillingErrorCode.UNKNOWN_CHARGE_ITEM, _("No such line on this bill."))
        if live.filter(charge_item__isnull=True).exists() or live.filter(charge_item=charge_item).exists():
            raise DomainError(BillingErrorCode.REFUND_EXISTS, _("This line is already being refunded."))
        items = [charge_item]
    else:
        if live.exists():
            raise DomainError(BillingErrorCode.REFUND_EXISTS, _("Part of this bill is already being refunded."))
        items = list(locked.items.all())
    if not (reason or "").strip():
        raise DomainError(BillingErrorCode.INVALID_ORDER, _("Say why the refund is due."))
    return Refund.objects.create(
        bill=locked, charge_item=charge_item, reason=reason.strip()[:200], requested_by=requested_by,
        out_refund_no=f"RF{locked.pk:08d}{secrets.token_hex(6).upper()}",
        amount_fen=sum(i.amount_fen for i in items), fund_fen=sum(i.fund_fen for i in items),
        account_fen=sum(i.account_fen for i in items), cash_fen=sum(i.cash_fen for i in items))


def _locked_refund(*, refund: Refund, by: Any) -> Refund:
    hospital_staff_require(user=by, hospital=refund.bill.hospital)
    Bill.objects.select_for_update().get(pk=refund.bill_id)
    locked = Refund.objects.select_for_update().select_related("bill").get(pk=refund.pk)
    if locked.status != Refund.Status.REQUESTED:
        raise DomainError(BillingErrorCode.REFUND_DECIDED, _("This refund has already been decided."))
    if locked.requested_by_id == getattr(by, "pk", None):
        raise DomainError(BillingErrorCode.REFUND_SAME_PERSON,
                          _("A refund must be approved by someone other than who requested it."))
    return locked


@transaction.atomic
def refund_approve(*, refund: Refund, approved_by: Any) -> Refund:
    """A second staff member approves: the provider is asked to return the cash; its notification completes it."""
    locked = _locked_refund(refund=refund, by=approved_by)
    locked.status, locked.decided_by, locked.decided_at = Refund.Status.APPROVED, approved_by, timezone.now()
    locked.full_clean(exclude=["bill", "charge_item", "requested_by", "decided_by"])
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    if locked.cash_fen == 0:
        _refund_complete(refund=locked)
        return locked
    payment = Payment.objects.get(bill=locked.bill, status=Payment.Status.SUCCEEDED)
    try:
        _provider(payment.provider).refund(out_trade_no=payment.out_trade_no, out_refund_no=locked.out_refund_no,
                                           amount=locked.cash_fen)
    except providers.ProviderError:
        raise DomainError(BillingErrorCode.PROVIDER_UNAVAILABLE,
                          _("The payment provider did not accept the refund; try again.")) from None
    return locked


@transaction.atomic
def refund_reject(*, refund: Refund, rejected_by: Any) -> Refund:
    locked = _locked_refund(refund=refund, by=rejected_by)
    locked.status, locked.decided_by, locked.decided_at = Refund.Status.REJECTED, rejected_by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


def _refund_complete(*, refund: Refund) -> None:
    """The money is back: post it, give the insurer's shares back, and close the bill when nothing is left."""
    bill = refund.bill
    refund.status, refund.completed_at = Refund.Status.COMPLETED, timezone.now()
    refund.save(update_fields=["status", "completed_at"])
    settlement = InsuranceSettlement.objects.select_for_update().filter(
        bill=bill, status=InsuranceSettlement.Status.SETTLED).first()
    settlement_ref = f"settlement:{settlement.pk}" if settlement else ""
    if settlement is not None and refund.fund_fen + refund.account_fen > 0:
        if settlement.coverage_id and refund.account_fen:
            Coverage.objects.filter(pk=settlement.coverage_id).update(
                account_balance_fen=F("account_balance_fen") + refund.account_fen)
        InsuranceSettlement.objects.filter(pk=settlement.pk).update(
            refunded_fund_fen=F("refunded_fund_fen") + refund.fund_fen,
            refunded_account_fen=F("refunded_account_fen") + refund.account_fen)
    payment = Payment.objects.filter(bill=bill, status=Payment.Status.SUCCEEDED).first()
    provider_code = f"provider:{payment.provider}" if payment else "provider:simulated"
    ledger_post(hospital=bill.hospital, key=f"refund:{refund.out_refund_no}", kind=LedgerTransaction.Kind.REFUND,
                bill_ref=f"bill:{bill.pk}", memo=f"refund {refund.out_refund_no} of {bill.number}",
                legs=[Leg(REVENUE, refund.amount_fen), Leg(provider_code, -refund.cash_fen,
                                                           f"refund:{refund.out_refund_no}"),
                      Leg(INSURER_FUND, -refund.fund_fen, settlement_ref),
                      Leg(INSURER_ACCOUNT, -refund.account_fen, settlement_ref)])
    refunded_items = set(Refund.objects.filter(bill=bill, status=Refund.Status.COMPLETED)
                         .values_list("charge_item_id", flat=True))
    if None in refunded_items or refunded_items >= set(bill.items.values_list("pk", flat=True)):
        Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.REFUNDED)


# -- paying by code at the cashier ----------------------------------------------------------------------------------


def bills_pay_by_code(*, hospital: Any, citizen: Any, now: dt.datetime | None = None) -> list[Bill]:
    """The cashier scanned the patient's medical code for ``medical.payment`` (the gate allowed it): every bill of
    this patient awaiting payment at THIS hospital is pre-settled and its cash taken through the provider, the way
    a payment code (付款码) works — the provider answers at once, and its answer is applied as a query's would be
    (its notification, arriving later, is then "already done"). Returns the bills, paid or not."""
    bills = list(Bill.objects.filter(hospital=hospital, citizen=citizen, status=Bill.Status.ISSUED)
                 .order_by("created_at")[:20])
    for bill in bills:
        payment = bill_pay_start(bill=bill, citizen=citizen, idempotency_key=f"code-{secrets.token_hex(8)}")
        if payment is not None and payment.status == Payment.Status.PENDING:
            gateway = _provider(payment.provider)
            if isinstance(gateway, providers.SimulatedProvider):
                gateway.confirm(out_trade_no=payment.out_trade_no)
            payment_query(payment=payment, now=now)
        bill.refresh_from_db()
    return bills
