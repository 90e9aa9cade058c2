"""Reads for hospitals, schedules and appointments; one module per topic, every selector re-exported here."""

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
]
