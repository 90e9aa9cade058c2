"""The medical code's payment scan: a hospital's allowed ``medical.payment`` scan pays the patient's bills there."""

from typing import Any

from .. import services

PAYMENT = "medical.payment"


def pay_on_scan(*, organization: Any, purpose: str, citizen: Any, actor: Any, code_type: str) -> dict[str, Any]:
    bills = services.bills_pay_by_code(hospital=organization, citizen=citizen)
    # The hospital's own bills and their split: nothing of the citizen beyond what the gate allowed.
    return {
        "payment": {
            "bills": [{"number": b.number, "status": b.status, "total_fen": b.total_fen, "fund_fen": b.fund_fen,
                       "account_fen": b.account_fen, "cash_fen": b.cash_fen} for b in bills],
            "paid_cash_fen": sum(b.cash_fen for b in bills if b.status == "paid"),
        }
    }
