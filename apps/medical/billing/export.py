"""The money side's part of the citizen's export (PIPL Art 45): coverage, bills with their lines, payments,
settlements and refunds as a patient; orders placed and refunds handled as a hospital's staff member (by bill
number only: another patient's data is never in someone else's export)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ..models import Bill, Coverage, Order, Refund

BILLING_EXPORT_COVERS = (
    "medical.Coverage.citizen",
    "medical.CoverageRatio.coverage",
    "medical.InsuranceSettlement.coverage",
    "medical.Bill.citizen",
    "medical.Bill.appointment",
    "medical.ChargeItem.citizen",
    "medical.ChargeItem.bill",
    "medical.ChargeItem.order",
    "medical.ChargeItem.appointment",
    "medical.InsuranceSettlement.bill",
    "medical.Payment.bill",
    "medical.Refund.bill",
    "medical.Refund.charge_item",
    "medical.Refund.requested_by",
    "medical.Refund.decided_by",
    "medical.Order.citizen",
    "medical.Order.appointment",
    "medical.Order.placed_by",
)


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def billing_export(citizen: Any) -> dict[str, Any]:
    return {
        "coverage": [
            {"year": c.year, "insured": c.insured, "scheme": c.scheme, "deductible_fen": c.deductible_fen,
             "annual_cap_fen": c.annual_cap_fen, "account_balance_fen": c.account_balance_fen,
             "ratios_bp": {r.category: r.ratio_bp for r in c.ratios.all()},
             "settlements": [{"bill": s.bill.number, "status": s.status, "fund_fen": s.fund_fen,
                              "account_fen": s.account_fen, "deductible_fen": s.deductible_fen,
                              "refunded_fund_fen": s.refunded_fund_fen, "refunded_account_fen": s.refunded_account_fen,
                              "settled_at": _when(s.settled_at)} for s in c.settlements.select_related("bill")]}
            for c in Coverage.objects.filter(citizen=citizen).order_by("year")
        ],
        "orders": [{"id": o.pk, "hospital": o.hospital.name, "appointment": o.appointment_id, "note": o.note,
                    "created_at": _when(o.created_at)}
                   for o in Order.objects.filter(citizen=citizen).select_related("hospital").order_by("created_at")],
        "bills": [
            {
                "number": b.number, "hospital": b.hospital.name, "appointment": b.appointment_id, "status": b.status,
                "total_fen": b.total_fen, "fund_fen": b.fund_fen, "account_fen": b.account_fen, "cash_fen": b.cash_fen,
                "created_at": _when(b.created_at), "paid_at": _when(b.paid_at),
                "items": [{"position": i.position, "code": i.code, "description": i.description,
                           "category": i.category, "order": i.order_id, "amount_fen": i.amount_fen,
                           "fund_fen": i.fund_fen, "account_fen": i.account_fen, "cash_fen": i.cash_fen,
                           "status": i.status} for i in b.items.order_by("position")],
                "payments": [{"out_trade_no": p.out_trade_no, "provider": p.provider, "amount_fen": p.amount_fen,
                              "status": p.status, "paid_at": _when(p.paid_at)} for p in b.payments.all()],
                "settlements": [{"status": s.status, "fund_fen": s.fund_fen, "account_fen": s.account_fen,
                                 "failure": s.failure} for s in b.settlements.all()],
                "refunds": [{"out_refund_no": r.out_refund_no,
                             "line": r.charge_item.position if r.charge_item else None,
                             "status": r.status, "amount_fen": r.amount_fen, "cash_fen": r.cash_fen,
                             "requested_at": _when(r.requested_at), "completed_at": _when(r.completed_at)}
                            for r in b.refunds.select_related("charge_item")],
            }
            for b in Bill.objects.filter(citizen=citizen).select_related("hospital").order_by("created_at")
        ],
        # As a hospital's staff member: what this person did, by number only.
        "orders_placed": [{"id": o.pk, "hospital": o.hospital.name, "created_at": _when(o.created_at)}
                          for o in Order.objects.filter(placed_by=citizen).select_related("hospital")],
        "refunds_handled": [{"out_refund_no": r.out_refund_no, "bill": r.bill.number, "status": r.status,
                             "role": "requested" if r.requested_by_id == citizen.pk else "decided",
                             "amount_fen": r.amount_fen}
                            for r in Refund.objects.filter(Q(requested_by=citizen) | Q(decided_by=citizen))
                            .select_related("bill")],
    }
