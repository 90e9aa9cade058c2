"""Writes for hospitals, schedules and appointments; one module per topic, every service re-exported here."""

# The money side (issue 10, items 4-7).
from .billing import bill_pay_start, coverage_set, order_place, registration_bill_get_or_create  # noqa: E402
from .booking import (
    appointment_book,
    appointment_cancel,
    appointment_mark_noshows,
    appointment_mark_paid,
    appointment_release,
    appointment_release_expired,
)
from .checkin import appointment_check_in, appointment_fulfil
from .payments import (  # noqa: E402
    bills_pay_by_code,
    notification_receive,
    payment_query,
    payment_query_stale,
    payment_reversal_refund,
    refund_approve,
    refund_reject,
    refund_request,
)
from .scheduling import clinic_session_create, department_create, doctor_create

__all__ = [
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_fulfil",
    "appointment_mark_noshows",
    "appointment_mark_paid",
    "appointment_release",
    "appointment_release_expired",
    "clinic_session_create",
    "department_create",
    "doctor_create",
    # the money side
    "bill_pay_start",
    "bills_pay_by_code",
    "coverage_set",
    "notification_receive",
    "order_place",
    "payment_query",
    "payment_query_stale",
    "payment_reversal_refund",
    "refund_approve",
    "refund_reject",
    "refund_request",
    "registration_bill_get_or_create",
]
