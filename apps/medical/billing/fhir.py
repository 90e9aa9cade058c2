"""Charge items and bills as FHIR R4 ``ChargeItem`` and ``Invoice`` (validated with ``fhir.resources`` in tests).

The patient is named by this city's internal id only (no name, no ID number). Money is computed in integer fen;
FHIR's Money.value is a decimal number, written here as ``fen / 100``, whose JSON text is exactly the two-decimal
amount (Python prints the shortest text that reads back to the same value, so 1250 fen is ``12.5``, never
``12.499999``).
"""

from __future__ import annotations

from typing import Any

from ..models import Bill, ChargeItem

ITEM_SYSTEM = "urn:citycode:medical:item"
CATEGORY_SYSTEM = "urn:citycode:medical:item-category"
BILL_SYSTEM = "urn:citycode:medical:bill-number"
SHARE_SYSTEM = "urn:citycode:medical:insurance-share"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
INVOICE_STATUS: dict[str, str] = {Bill.Status.ISSUED: "issued", Bill.Status.PAID: "balanced",
                                  Bill.Status.REFUNDED: "balanced", Bill.Status.CANCELLED: "cancelled"}


def _money(fen: int) -> dict[str, Any]:
    return {"value": fen / 100, "currency": "CNY"}


def chargeitem_resource(item: ChargeItem) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ChargeItem",
        "id": str(item.pk),
        "status": item.status,
        "code": {"coding": [{"system": ITEM_SYSTEM, "code": item.code}], "text": item.description},
        "subject": {"reference": f"Patient/{item.citizen_id}"},
        "occurrenceDateTime": item.created_at.isoformat(),
        "enteredDate": item.created_at.isoformat(),
        "performingOrganization": {"reference": f"Organization/{item.hospital.slug}",
                                   "display": item.hospital.name},
        "quantity": {"value": item.quantity},
        "priceOverride": _money(item.unit_price_fen),
        "productCodeableConcept": {"coding": [{"system": CATEGORY_SYSTEM, "code": item.category}],
                                   "text": item.get_category_display()},
    }
    if item.appointment_id:
        resource["supportingInformation"] = [{"reference": f"Appointment/{item.appointment_id}"}]
    if item.order_id:
        resource["extension"] = [{"url": "urn:citycode:medical:order", "valueString": str(item.order_id)}]
    return resource


def _shares(fund: int, account: int, cash: int, deductible: int) -> list[dict[str, Any]]:
    components = [
        ("deduction", ADJUDICATION, "benefit", "fund", fund),
        ("deduction", SHARE_SYSTEM, "personal-account", "personal account", account),
        ("informational", SHARE_SYSTEM, "cash", "cash", cash),
        ("informational", ADJUDICATION, "deductible", "deductible", deductible),
    ]
    return [{"type": kind, "code": {"coding": [{"system": system, "code": code}], "text": text},
             "amount": _money(amount)} for kind, system, code, text, amount in components]


def invoice_resource(bill: Bill) -> dict[str, Any]:
    items = list(bill.items.order_by("position"))
    resource: dict[str, Any] = {
        "resourceType": "Invoice",
        "id": str(bill.pk),
        "identifier": [{"system": BILL_SYSTEM, "value": bill.number}],
        "status": INVOICE_STATUS.get(str(bill.status), "issued"),
        "subject": {"reference": f"Patient/{bill.citizen_id}"},
        "recipient": {"reference": f"Patient/{bill.citizen_id}"},
        "issuer": {"reference": f"Organization/{bill.hospital.slug}", "display": bill.hospital.name},
        "date": bill.created_at.isoformat(),
        "lineItem": [
            {
                "sequence": item.position,
                "chargeItemReference": {"reference": f"ChargeItem/{item.pk}"},
                "priceComponent": [{"type": "base", "amount": _money(item.amount_fen)},
                                   *(_shares(item.fund_fen, item.account_fen, item.cash_fen, item.deductible_fen)
                                     if item.fund_fen + item.account_fen + item.cash_fen else [])],
            }
            for item in items
        ],
        "totalPriceComponent": [{"type": "base", "amount": _money(bill.total_fen)},
                                *_shares(bill.fund_fen, bill.account_fen, bill.cash_fen, bill.deductible_fen)],
        "totalGross": _money(bill.total_fen),
        # What the patient pays out of pocket after the insurer's and the account's shares.
        "totalNet": _money(bill.cash_fen),
    }
    if bill.status == Bill.Status.REFUNDED:
        resource["note"] = [{"text": "refunded"}]
    return resource
