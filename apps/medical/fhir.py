"""Appointments as FHIR R4 ``Appointment`` resources (validated with the ``fhir.resources`` models in tests).

References name the patient and the practitioner by this city's internal id only: no name and no ID number leaves
in a resource (the patient reads their own; a hospital gets a patient's data only through the consent gate)."""

from typing import Any

from .models import Appointment, AppointmentStatus

PLACE_SYSTEM = "urn:citycode:medical:place-number"
QUEUE_SYSTEM = "urn:citycode:medical:queue-number"
# FHIR R4 appointment-cancellation-reason codes: "pat" (the patient), "oth-fin" (financial: not paid in time).
CANCEL_SYSTEM = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
CANCEL_CODES = {"patient": "pat", "hold_expired": "oth-fin", "payment_failed": "oth-fin"}
PARTICIPANT_STATUS: dict[str, str] = {AppointmentStatus.CANCELLED: "declined", AppointmentStatus.NOSHOW: "declined"}


def appointment_resource(appointment: Appointment) -> dict[str, Any]:
    session = appointment.session
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.pk),
        "status": appointment.status,
        "identifier": [{"system": PLACE_SYSTEM, "value": str(appointment.place_no)}],
        "serviceType": [{"text": session.department.name_zh}],
        "appointmentType": {"text": session.get_registration_level_display()},
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "created": appointment.created_at.isoformat(),
        "participant": [
            {
                "actor": {"reference": f"Patient/{appointment.patient_id}"},
                "required": "required",
                "status": PARTICIPANT_STATUS.get(appointment.status, "accepted"),
            },
            {
                "actor": {"reference": f"Practitioner/{session.doctor_id}", "display": session.doctor.name},
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": {"reference": f"Location/{session.hospital_id}", "display": session.hospital.name},
                "required": "information-only",
                "status": "accepted",
            },
        ],
    }
    if appointment.queue_no is not None:
        resource["identifier"].append({"system": QUEUE_SYSTEM, "value": str(appointment.queue_no)})
    if appointment.status == AppointmentStatus.CANCELLED:
        code = CANCEL_CODES.get(appointment.cancel_reason, "oth")
        resource["cancelationReason"] = {
            "coding": [{"system": CANCEL_SYSTEM, "code": code}], "text": appointment.cancel_reason or "cancelled",
        }
    return resource
