"""The medical code's error codes: each member is the machine-readable code a client sees and its one HTTP status."""

from apps.codes.plugin_api import ErrorCodeEnum


class MedicalErrorCode(ErrorCodeEnum):
    SESSION_CLOSED = "session_closed", 400
    NOT_CANCELLABLE = "not_cancellable", 400
    NOT_PAID = "not_paid", 400
    NOT_CHECKED_IN = "not_checked_in", 400
    NO_APPOINTMENT_TODAY = "no_appointment_today", 400
    BOOKING_SUSPENDED = "booking_suspended", 403
    NOT_HOSPITAL_STAFF = "not_hospital_staff", 403
    SESSION_NOT_FOUND = "session_not_found", 404
    APPOINTMENT_NOT_FOUND = "appointment_not_found", 404
    HOSPITAL_NOT_FOUND = "hospital_not_found", 404
    DOCTOR_NOT_FOUND = "doctor_not_found", 404
    SESSION_FULL = "session_full", 409
    TOO_MANY_HOLDS = "too_many_holds", 409
    ALREADY_BOOKED = "already_booked", 409
    ALREADY_CHECKED_IN = "already_checked_in", 409
    APPOINTMENT_RELEASED = "appointment_released", 409
from .billing.errors import BillingErrorCode  # noqa: E402,F401  (the money side's codes, found through this module)
