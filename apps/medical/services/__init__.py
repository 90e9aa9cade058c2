"""Writes for hospitals, schedules and appointments; one module per topic, every service re-exported here."""

from .booking import (
    appointment_book,
    appointment_cancel,
    appointment_mark_noshows,
    appointment_mark_paid,
    appointment_release,
    appointment_release_expired,
)
from .checkin import appointment_check_in, appointment_fulfil
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
]
