"""Writes of the money side: coverage, orders → charge items → bills, and settlement (issue 10, items 4 and 5).

Settlement runs in the national interface's steps: pre-settle (the split is computed and fixed on the bill and
each line) → cash payment (services.payments) → settle with the insurer → or, when settling fails, reverse:
the cash is refunded through the provider, the ledger posts the payment's reversal, and the bill can be paid
again with a fresh pre-settlement.

Rows are locked in one fixed order everywhere: bill → payment → appointment → coverage → settlement → refund.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import DomainError

from ..billing import insurance
from ..billing.errors import BillingErrorCode
from ..billing.ledger import INSURER_ACCOUNT, INSURER_FUND, RECEIVABLE, REVENUE, Leg, ledger_post, ledger_reverse
from ..billing.provider import provider_for
from ..models import (
    Appointment,
    AppointmentStatus,
    Bill,
    ChargeItem,
    Coverage,
    CoverageRatio,
    InsuranceSettlement,
    ItemCategory,
    LedgerTransaction,
    Order,
    Payment,
)
from .booking import appointment_mark_paid
from .staff import hospital_staff_require

MAX_LINES = 50
MAX_QUANTITY = 999
MAX_UNIT_PRICE_FEN = 10_000_000  # ¥100,000: a typo guard, not a business rule
INSURER = insurance.SimulatedInsurer()


def _bill_number() -> str:
    return f"B{timezone.localdate():%Y%m%d}{secrets.token_hex(5).upper()}"


# -- coverage ---------------------------------------------------------------------------------------------------


@transaction.atomic
def coverage_set(*, citizen: Any, year: int, insured: bool, deductible_fen: int = 0, annual_cap_fen: int = 0,
                 account_balance_fen: int = 0, ratios: Mapping[str, int] | None = None,
                 scheme: str = "") -> Coverage:
    """Record the insurer's terms for a patient's year (what the insurer's enrolment interface returns)."""
    coverage = Coverage.objects.select_for_update().filter(citizen=citizen, year=year).first() or Coverage(
        citizen=citizen, year=year)
    coverage.insured, coverage.scheme = insured, scheme
    coverage.deductible_fen, coverage.annual_cap_fen = deductible_fen, annual_cap_fen
    coverage.account_balance_fen = account_balance_fen
    coverage.full_clean(exclude=["citizen"])
    coverage.save()
    wanted = dict(ratios or {})
    for category, ratio in wanted.items():
        if category not in ItemCategory.values or type(ratio) is not int or not 0 <= ratio <= insurance.FULL_RATIO:
            raise ValidationError({"ratios": ValidationError(
                _("A ratio is a whole number of basis points (0 to 10000) for a known item category."),
                code="invalid_ratio")})
    coverage.ratios.exclude(category__in=list(wanted)).delete()
    for category, ratio in wanted.items():
        CoverageRatio.objects.update_or_create(coverage=coverage, category=category, defaults={"ratio_bp": ratio})
    return coverage


def _terms_and_used(*, citizen: Any, year: int, lock: bool) -> tuple[Coverage | None, insurance.Terms,
                                                                      insurance.Used]:
    rows = Coverage.objects.filter(citizen=citizen, year=year)
    coverage = (rows.select_for_update() if lock else rows).first()
    if coverage is None or not coverage.insured:
        return coverage, insurance.Terms(insured=False), insurance.Used()
    terms = insurance.Terms(
        insured=True, deductible=coverage.deductible_fen, annual_cap=coverage.annual_cap_fen,
        ratios={r.category: r.ratio_bp for r in coverage.ratios.all()}, account_balance=coverage.account_balance_fen)
    return coverage, terms, _used(coverage)


def _used(coverage: Coverage) -> insurance.Used:
    """What the year's settled (not refunded) settlements have used of the deductible and the fund."""
    totals = InsuranceSettlement.objects.filter(coverage=coverage, status=InsuranceSettlement.Status.SETTLED).aggregate(
        fund=Sum(F("fund_fen") - F("refunded_fund_fen")), deductible=Sum("deductible_fen"))
    return insurance.Used(deductible=totals["deductible"] or 0, fund=totals["fund"] or 0)


# -- orders and bills -------------------------------------------------------------------------------------------


def _clean_lines(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not 0 < len(lines) <= MAX_LINES:
        raise DomainError(BillingErrorCode.INVALID_ORDER, _("An order has between 1 and 50 items."))
    cleaned = []
    for line in lines:
        category, price, quantity = line.get("category"), line.get("unit_price_fen"), line.get("quantity", 1)
        code, description = str(line.get("code", ""))[:32], str(line.get("description", ""))[:200]
        if category not in ItemCategory.values or category == ItemCategory.REGISTRATION:
            raise DomainError(BillingErrorCode.INVALID_ORDER, _("Unknown item category."))
        if type(price) is not int or not 0 < price <= MAX_UNIT_PRICE_FEN:
            raise DomainError(BillingErrorCode.INVALID_ORDER, _("A unit price is a positive whole number of fen."))
        if type(quantity) is not int or not 0 < quantity <= MAX_QUANTITY:
            raise DomainError(BillingErrorCode.INVALID_ORDER, _("A quantity is a whole number from 1 to 999."))
        if not code or not description:
            raise DomainError(BillingErrorCode.INVALID_ORDER, _("Every item needs a code and a description."))
        cleaned.append({"code": code, "description": description, "category": category,
                        "unit_price_fen": price, "quantity": quantity})
    return cleaned


def _bill_issue(*, hospital: Any, citizen: Any, appointment: Appointment | None, order: Order | None,
                lines: Sequence[Mapping[str, Any]]) -> Bill:
    total = sum(line["unit_price_fen"] * line["quantity"] for line in lines)
    bill = Bill(hospital=hospital, citizen=citizen, appointment=appointment, number=_bill_number(),
                total_fen=total, cash_fen=total)
    bill.save()
    ChargeItem.objects.bulk_create([
        ChargeItem(hospital=hospital, citizen=citizen, order=order, appointment=appointment, bill=bill,
                   position=position, amount_fen=line["unit_price_fen"] * line["quantity"], **line)
        for position, line in enumerate(lines, start=1)
    ])
    # Issuing a bill books what the patient owes and what the hospital earned.
    ledger_post(hospital=hospital, key=f"charge:{bill.number}", kind=LedgerTransaction.Kind.CHARGE,
                bill_ref=f"bill:{bill.pk}", memo=f"bill {bill.number}",
                legs=[Leg(RECEIVABLE, total), Leg(REVENUE, -total)])
    return bill


@transaction.atomic
def order_place(*, placed_by: Any, appointment: Appointment, lines: Sequence[Mapping[str, Any]],
                note: str = "") -> Bill:
    """A doctor's order for the patient of an appointment they are seeing (checked in or seen): each line
    becomes a charge item on a new bill. Staff of another hospital, or an appointment that never arrived, are
    refused — a hospital cannot bill someone who did not come to it."""
    hospital = appointment.session.hospital
    hospital_staff_require(user=placed_by, hospital=hospital)
    if appointment.status not in (AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED):
        raise DomainError(BillingErrorCode.INVALID_ORDER, _("Orders are placed for a patient who has checked in."))
    cleaned = _clean_lines(lines)
    order = Order.objects.create(hospital=hospital, citizen=appointment.patient, appointment=appointment,
                                 placed_by=placed_by, note=note[:200])
    return _bill_issue(hospital=hospital, citizen=appointment.patient, appointment=appointment, order=order,
                       lines=cleaned)


@transaction.atomic
def registration_bill_get_or_create(*, appointment: Appointment, citizen: Any) -> Bill:
    """The bill of a held booking's registration fee (one per appointment; asking again returns it)."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.patient_id != citizen.pk:
        raise DomainError(BillingErrorCode.UNKNOWN_BILL, _("No such booking."))
    existing = Bill.objects.filter(appointment=locked, items__category=ItemCategory.REGISTRATION).first()
    if existing is not None:
        return existing
    if locked.status != AppointmentStatus.PENDING:
        raise DomainError(BillingErrorCode.BILL_NOT_PAYABLE, _("This booking is not awaiting its fee."))
    session = locked.session
    return _bill_issue(hospital=session.hospital, citizen=citizen, appointment=locked, order=None, lines=[{
        "code": f"REG-{session.registration_level}".upper()[:32], "category": ItemCategory.REGISTRATION,
        "description": f"{session.department.name_zh} {session.doctor.name} {session.date:%Y-%m-%d}"[:200],
        "unit_price_fen": locked.fee_fen, "quantity": 1}])


# -- pre-settle, pay, settle, reverse -----------------------------------------------------------------------------


def _presettle(*, bill: Bill) -> InsuranceSettlement:
    year = timezone.localdate().year
    coverage, terms, used = _terms_and_used(citizen=bill.citizen, year=year, lock=False)
    items = list(bill.items.order_by("position"))
    result = insurance.split(lines=[(i.category, i.amount_fen) for i in items], terms=terms, used=used)
    for item, share in zip(items, result.lines, strict=True):
        item.fund_fen, item.account_fen, item.cash_fen = share.fund, share.account, share.cash
        item.deductible_fen = share.deductible
    ChargeItem.objects.bulk_update(items, ["fund_fen", "account_fen", "cash_fen", "deductible_fen"])
    bill.fund_fen, bill.account_fen, bill.cash_fen = result.fund, result.account, result.cash
    bill.deductible_fen, bill.self_paid_fen = result.deductible, result.self_paid
    bill.save(update_fields=["fund_fen", "account_fen", "cash_fen", "deductible_fen", "self_paid_fen"])
    return InsuranceSettlement.objects.create(bill=bill, coverage=coverage, year=year, fund_fen=result.fund,
                                              account_fen=result.account, deductible_fen=result.deductible)


@transaction.atomic
def bill_pay_start(*, bill: Bill, citizen: Any, idempotency_key: str, provider: str = "simulated") -> Payment | None:
    """The patient pays a bill: pre-settle, then open a cash payment with the provider (``None`` when insurance
    covers everything and the bill is settled at once). The same key again returns the same payment; a payment
    already under way is returned rather than doubled."""
    locked = Bill.objects.select_for_update().filter(pk=bill.pk, citizen=citizen).first()
    if locked is None:
        raise DomainError(BillingErrorCode.UNKNOWN_BILL, _("No such bill."))
    key = (idempotency_key or "").strip()[:64]
    replay = Payment.objects.filter(bill=locked, idempotency_key=key).first() if key else None
    if replay is not None:
        return replay
    live = Payment.objects.filter(bill=locked, status=Payment.Status.PENDING).first()
    if live is not None:
        return live
    if locked.status != Bill.Status.ISSUED:
        raise DomainError(BillingErrorCode.BILL_NOT_PAYABLE, _("This bill is not awaiting payment."))
    gateway = provider_for(provider)
    settlement = _presettle(bill=locked)
    if locked.cash_fen == 0:
        _settle(bill=locked, payment=None, settlement=settlement)
        return None
    payment = Payment.objects.create(
        bill=locked, provider=gateway.key, idempotency_key=key or secrets.token_hex(8),
        out_trade_no=f"MP{locked.pk:08d}{secrets.token_hex(6).upper()}", amount_fen=locked.cash_fen)
    gateway.create_order(out_trade_no=payment.out_trade_no, amount=payment.amount_fen,
                         description=f"{locked.hospital.name} {locked.number}")
    return payment


def _settle(*, bill: Bill, payment: Payment | None, settlement: InsuranceSettlement) -> bool:
    """Settle a pre-settled bill once its cash is in (inside the caller's transaction, rows locked). Returns
    False when settlement failed and everything was reversed."""
    appointment = (Appointment.objects.select_for_update().get(pk=bill.appointment_id)
                   if bill.appointment_id and bill.items.filter(category=ItemCategory.REGISTRATION).exists()
                   else None)
    if appointment is not None and appointment.paid_at is None and appointment.status != AppointmentStatus.PENDING:
        _reverse(bill=bill, payment=payment, settlement=settlement, reason="appointment_released")
        return False
    coverage = (Coverage.objects.select_for_update().get(pk=settlement.coverage_id)
                if settlement.coverage_id else None)
    if coverage is not None and settlement.fund_fen + settlement.account_fen > 0:
        used = _used(coverage)
        try:
            settlement.insurer_ref = INSURER.settle(
                fund=settlement.fund_fen, account=settlement.account_fen,
                account_balance=coverage.account_balance_fen,
                cap_left=max(0, coverage.annual_cap_fen - used.fund), settlement_id=settlement.pk)
        except insurance.InsurerRefused as refused:
            _reverse(bill=bill, payment=payment, settlement=settlement, reason=refused.reason)
            return False
        Coverage.objects.filter(pk=coverage.pk).update(account_balance_fen=F("account_balance_fen")
                                                       - settlement.account_fen)
    now = timezone.now()
    settlement.status, settlement.settled_at = InsuranceSettlement.Status.SETTLED, now
    settlement.save(update_fields=["status", "settled_at", "insurer_ref"])
    ref = f"settlement:{settlement.pk}"
    if settlement.fund_fen + settlement.account_fen > 0:  # an uninsured patient's settlement moves nothing
        ledger_post(hospital=bill.hospital, key=ref, kind=LedgerTransaction.Kind.SETTLEMENT,
                    bill_ref=f"bill:{bill.pk}", memo=f"insurance for {bill.number}",
                    legs=[Leg(INSURER_FUND, settlement.fund_fen, ref),
                          Leg(INSURER_ACCOUNT, settlement.account_fen, ref),
                          Leg(RECEIVABLE, -(settlement.fund_fen + settlement.account_fen))])
    bill.status, bill.paid_at = Bill.Status.PAID, now
    bill.save(update_fields=["status", "paid_at"])
    bill.items.update(status=ChargeItem.Status.BILLED)
    if appointment is not None:
        appointment_mark_paid(appointment=appointment, at=now)
    return True


def _reverse(*, bill: Bill, payment: Payment | None, settlement: InsuranceSettlement, reason: str) -> None:
    """Undo a payment whose settlement failed: the ledger posts the payment's reversal, the provider refunds the
    cash (after commit, by a task, under a fixed refund number), and the bill waits for a fresh attempt."""
    settlement.status, settlement.failure = InsuranceSettlement.Status.FAILED, reason[:200]
    settlement.save(update_fields=["status", "failure"])
    if payment is not None:
        payment.status = Payment.Status.REVERSED
        payment.save(update_fields=["status"])
        original = LedgerTransaction.objects.get(key=f"payment:{payment.out_trade_no}")
        ledger_reverse(original=original, key=f"reversal:payment:{payment.out_trade_no}",
                       refs={f"trade:{payment.out_trade_no}": f"refund:{reversal_refund_no(payment)}"},
                       memo=f"settlement failed ({reason}): cash returned")
        from .. import tasks  # tasks import services

        transaction.on_commit(lambda: tasks.payment_reversal_refund.delay(payment.pk))
    bill.items.update(fund_fen=0, account_fen=0, cash_fen=0, deductible_fen=0)
    bill.fund_fen, bill.account_fen, bill.cash_fen = 0, 0, bill.total_fen
    bill.deductible_fen = bill.self_paid_fen = 0
    # A registration fee whose booking was released cannot be paid again: the bill is cancelled.
    bill.status = Bill.Status.CANCELLED if reason == "appointment_released" else Bill.Status.ISSUED
    bill.save(update_fields=["fund_fen", "account_fen", "cash_fen", "deductible_fen", "self_paid_fen", "status"])


def reversal_refund_no(payment: Payment) -> str:
    return f"RV{payment.out_trade_no}"[:40]


def settle_after_payment(*, payment: Payment, transaction_id: str, at: dt.datetime) -> bool:
    """The provider confirmed the cash (notification or query): record it, post it, then settle. The caller holds
    the bill and payment locks and has checked the amount and that the payment was pending."""
    payment.status, payment.provider_txn_id, payment.paid_at = Payment.Status.SUCCEEDED, transaction_id[:64], at
    payment.save(update_fields=["status", "provider_txn_id", "paid_at"])
    bill = payment.bill
    ledger_post(hospital=bill.hospital, key=f"payment:{payment.out_trade_no}", kind=LedgerTransaction.Kind.PAYMENT,
                bill_ref=f"bill:{bill.pk}", memo=f"cash for {bill.number}",
                legs=[Leg(f"provider:{payment.provider}", payment.amount_fen, f"trade:{payment.out_trade_no}"),
                      Leg(RECEIVABLE, -payment.amount_fen)])
    settlement = InsuranceSettlement.objects.select_for_update().get(
        bill=bill, status=InsuranceSettlement.Status.PRESETTLED)
    return _settle(bill=bill, payment=payment, settlement=settlement)


def payment_abandon(*, payment: Payment) -> None:
    """A payment that was never paid (closed at the provider): its pre-settlement lapses; the bill is payable
    again. Caller holds the bill and payment locks."""
    payment.status = Payment.Status.CLOSED
    payment.save(update_fields=["status"])
    settlement = InsuranceSettlement.objects.select_for_update().filter(
        bill=payment.bill, status=InsuranceSettlement.Status.PRESETTLED).first()
    if settlement is not None:
        _reverse(bill=payment.bill, payment=None, settlement=settlement, reason="payment_closed")
