"""Error codes of the medical app's money side (orders, bills, payments, refunds, reconciliation)."""

from apps.codes.plugin_api import ErrorCodeEnum


class BillingErrorCode(ErrorCodeEnum):
    BAD_SIGNATURE = "bad_signature", 400
    INVALID_ORDER = "invalid_order", 400
    INVALID_DAY = "invalid_day", 400
    MALFORMED_NOTIFICATION = "malformed_notification", 400
    REFUND_SAME_PERSON = "refund_same_person", 403
    UNKNOWN_BILL = "unknown_bill", 404
    UNKNOWN_CHARGE_ITEM = "unknown_charge_item", 404
    UNKNOWN_PAYMENT = "unknown_payment", 404
    UNKNOWN_PROVIDER = "unknown_provider", 404
    UNKNOWN_REFUND = "unknown_refund", 404
    AMOUNT_MISMATCH = "amount_mismatch", 409
    BILL_NOT_PAYABLE = "bill_not_payable", 409
    BILL_NOT_REFUNDABLE = "bill_not_refundable", 409
    REFUND_EXISTS = "refund_exists", 409
    REFUND_DECIDED = "refund_decided", 409
    TRADE_CLOSED = "trade_closed", 409
    PROVIDER_UNAVAILABLE = "provider_unavailable", 503
