"""The medical code's scan action: a hospital's allowed ``medical.registration`` scan checks the patient in."""

from typing import Any

from . import services


def check_in_on_scan(*, organization: Any, purpose: str, citizen: Any, actor: Any, code_type: str) -> dict[str, Any]:
    appointment = services.appointment_check_in(hospital=organization, patient=citizen)
    session = appointment.session
    # The hospital's own data about its own appointment: no more of the citizen than the gate allowed.
    return {
        "check_in": {
            "appointment": appointment.pk,
            "queue_no": appointment.queue_no,
            "session": session.pk,
            "department": session.department.name_zh,
            "doctor": session.doctor.name,
            "date": session.date.isoformat(),
            "starts_at": session.starts_at.strftime("%H:%M"),
        }
    }
