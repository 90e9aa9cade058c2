"""Reads for hospitals, schedules and appointments; one module per topic, every selector re-exported here."""

# The money side (issue 10, items 4-7).
from .billing import (  # noqa: E402
    bill_get,
    bill_list,
    coverage_get,
    payment_get,
    reconciliation_csv_get,
    reconciliation_mismatch_list,
    refund_get,
    refund_list,
)
from .scheduling import (
    appointment_count,
    appointment_get,
    appointment_list,
    clinic_session_get,
    clinic_session_list,
    department_list,
    doctor_list,
    hospital_list,
    queue_list,
)

__all__ = [
    "appointment_count",
    "appointment_get",
    "appointment_list",
    "clinic_session_get",
    "clinic_session_list",
    "department_list",
    "doctor_list",
    "hospital_list",
    "queue_list",
    # the money side
    "bill_get",
    "bill_list",
    "coverage_get",
    "payment_get",
    "reconciliation_csv_get",
    "reconciliation_mismatch_list",
    "refund_get",
    "refund_list",
]
