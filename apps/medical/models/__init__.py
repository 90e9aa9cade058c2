"""Medical models, one module per topic; every model is imported here so Django finds it."""

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
]
