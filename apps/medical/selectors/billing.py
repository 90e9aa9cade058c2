"""Reads of the money side. Staff reads take the hospitals the person acts for and filter by them, so a cashier of
one hospital can never read another's bills; a patient's reads filter by the patient."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from apps.codes.plugin_api import organization_staff_list

from ..billing.provider import PROVIDERS
from ..models import Bill, Coverage, InsuranceSettlement, LedgerEntry, Payment, PaymentNotification, Refund

_BILL_RELATED = ("hospital",)


def bill_list(*, citizen: Any = None, staff: Any = None) -> QuerySet[Bill]:
    """The patient's bills, or the bills of every hospital ``staff`` acts for."""
    if (citizen is None) == (staff is None):
        raise ValueError("bill_list takes exactly one of citizen or staff.")
    bills = Bill.objects.select_related(*_BILL_RELATED)
    if citizen is not None:
        return bills.filter(citizen=citizen)
    return bills.filter(hospital__in=organization_staff_list(user=staff).values("pk"))


def bill_get(*, pk: Any, citizen: Any = None, staff: Any = None) -> Bill | None:
    """One bill, only if it is the patient's own or of a hospital ``staff`` acts for; otherwise None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return bill_list(citizen=citizen, staff=staff).filter(pk=pk).first()


def refund_list(*, staff: Any, status: str | None = None) -> QuerySet[Refund]:
    refunds = Refund.objects.select_related("bill", "bill__hospital", "charge_item", "requested_by", "decided_by")
    refunds = refunds.filter(bill__hospital__in=organization_staff_list(user=staff).values("pk"))
    return refunds.filter(status=status) if status else refunds


def refund_get(*, pk: Any, staff: Any) -> Refund | None:
    try:
        return refund_list(staff=staff).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def payment_get(*, pk: Any = None, out_trade_no: str | None = None) -> Payment | None:
    if out_trade_no is not None:
        return Payment.objects.select_related("bill").filter(out_trade_no=out_trade_no).first()
    return Payment.objects.select_related("bill").filter(pk=pk).first()


def coverage_get(*, citizen: Any, year: int | None = None) -> Coverage | None:
    return Coverage.objects.filter(citizen=citizen, year=year or timezone.localdate().year).first()


# -- reconciliation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    source: str  # "provider" or "insurance" or "inbox"
    kind: str  # missing_in_ledger, missing_at_source, amount_differs, refused_notification
    reference: str
    hospital: str
    ledger_fen: int
    source_fen: int

    @property
    def difference_fen(self) -> int:
        return self.ledger_fen - self.source_fen


CSV_COLUMNS = ("day", "source", "kind", "reference", "hospital", "ledger_fen", "source_fen", "difference_fen")


def reconciliation_mismatch_list(*, day: dt.date, hospitals: Any) -> list[Mismatch]:
    """Every difference, for ``day``, between the ledger and (1) each provider's statement, (2) the insurance
    settlements; plus notifications refused for a wrong amount. ``hospitals``: the ones the reader may see."""
    hospital_ids = {h.pk: h.slug for h in hospitals}
    found: list[Mismatch] = []
    # 1. Provider statements against the provider-clearing entries of the day, per trade/refund number.
    ledger: dict[str, int] = defaultdict(int)
    ledger_hospital: dict[str, int] = {}
    entries = LedgerEntry.objects.filter(transaction__day=day, account__code__startswith="provider:",
                                         account__hospital_id__in=hospital_ids)
    for ref, hospital_id, amount in entries.values_list("ref", "account__hospital_id", "amount_fen"):
        ledger[ref] += amount
        ledger_hospital[ref] = hospital_id
    # Map the provider's numbers to our hospitals (payments, refunds, and reversal refunds).
    owner: dict[str, int] = {}
    for number, hospital_id in Payment.objects.filter(bill__hospital_id__in=hospital_ids).values_list(
            "out_trade_no", "bill__hospital_id"):
        owner[f"trade:{number}"] = hospital_id
        owner[f"refund:RV{number}"[:47]] = hospital_id
    for number, hospital_id in Refund.objects.filter(bill__hospital_id__in=hospital_ids).values_list(
            "out_refund_no", "bill__hospital_id"):
        owner[f"refund:{number}"] = hospital_id
    statement: dict[str, int] = {}
    for provider in PROVIDERS.values():
        for row in provider.statement(day=day):
            ref = f"trade:{row.reference}" if row.kind == "payment" else f"refund:{row.reference}"
            if ref in owner:
                statement[ref] = row.amount if row.kind == "payment" else -row.amount
    for ref in sorted(set(ledger) | set(statement)):
        hospital = hospital_ids.get(ledger_hospital.get(ref) or owner.get(ref, 0), "")
        if ref not in statement:
            found.append(Mismatch("provider", "missing_at_source", ref, hospital, ledger[ref], 0))
        elif ref not in ledger:
            found.append(Mismatch("provider", "missing_in_ledger", ref, hospital, 0, statement[ref]))
        elif ledger[ref] != statement[ref]:
            found.append(Mismatch("provider", "amount_differs", ref, hospital, ledger[ref], statement[ref]))
    # 2. Settlements settled that day against every insurer entry posted for them (refunds included).
    settlements = InsuranceSettlement.objects.filter(
        status=InsuranceSettlement.Status.SETTLED, bill__hospital_id__in=hospital_ids,
        settled_at__date__gte=day - dt.timedelta(days=1), settled_at__date__lte=day + dt.timedelta(days=1))
    for settlement in settlements.select_related("bill"):
        if timezone.localdate(settlement.settled_at) != day:
            continue
        ref = f"settlement:{settlement.pk}"
        expected = (settlement.fund_fen - settlement.refunded_fund_fen
                    + settlement.account_fen - settlement.refunded_account_fen)
        posted = LedgerEntry.objects.filter(ref=ref, account__code__startswith="insurer_").aggregate(
            total=Sum("amount_fen"))["total"] or 0
        if posted != expected:
            kind = "missing_in_ledger" if posted == 0 else "amount_differs"
            found.append(Mismatch("insurance", kind, ref, hospital_ids[settlement.bill.hospital_id], posted,
                                  expected))
    # 3. Notifications refused for a wrong amount (money the provider says moved, that we did not book).
    refused = PaymentNotification.objects.filter(outcome=PaymentNotification.Outcome.AMOUNT_MISMATCH)
    for notification in refused:
        ref = (f"trade:{notification.reference}" if notification.event.startswith("TRANSACTION")
               else f"refund:{notification.reference}")
        if ref in owner and timezone.localdate(notification.received_at) == day:
            found.append(Mismatch("inbox", "refused_notification", ref, hospital_ids[owner[ref]],
                                  ledger.get(ref, 0), notification.amount_fen))
    return found


def reconciliation_csv_get(*, day: dt.date, hospitals: Any) -> str:
    """The report as CSV (one row per mismatch; the header alone when everything agrees)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for m in reconciliation_mismatch_list(day=day, hospitals=hospitals):
        writer.writerow([day.isoformat(), m.source, m.kind, m.reference, m.hospital, m.ledger_fen, m.source_fen,
                         m.difference_fen])
    return out.getvalue()
