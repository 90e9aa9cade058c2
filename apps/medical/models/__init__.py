"""Medical models, one module per topic; every model is imported here so Django finds it."""

# The money side (issue 10, items 4-7): coverage, orders, bills, payments, refunds and the ledger.
from .billing import Bill, ChargeItem, Coverage, CoverageRatio, InsuranceSettlement, ItemCategory, Order  # noqa: E402
from .ledger import LedgerAccount, LedgerEntry, LedgerTransaction  # noqa: E402
from .payments import Payment, PaymentNotification, Refund, SimulatedRefund, SimulatedTrade  # noqa: E402
from .scheduling import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    ClinicSession,
    Department,
    Doctor,
    RegistrationLevel,
)

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentStatus",
    "ClinicSession",
    "Department",
    "Doctor",
    "RegistrationLevel",
    # the money side
    "Bill",
    "ChargeItem",
    "Coverage",
    "CoverageRatio",
    "InsuranceSettlement",
    "ItemCategory",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Order",
    "Payment",
    "PaymentNotification",
    "Refund",
    "SimulatedRefund",
    "SimulatedTrade",
]
