"""Appointments read as FHIR R4 Appointment resources that the fhir.resources models accept, at every status."""

import pytest
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment

from apps.medical import fhir, services

pytestmark = pytest.mark.django_db


def _validated(resource: dict) -> FhirAppointment:
    return FhirAppointment.model_validate(resource)


def test_a_pending_paid_and_cancelled_appointment_each_validate(session, patients):
    pending = services.appointment_book(patient=patients[0], session=session)
    paid = services.appointment_mark_paid(
        appointment=services.appointment_book(patient=patients[1], session=session), at=timezone.now())
    cancelled = services.appointment_release(
        appointment=services.appointment_book(patient=patients[2], session=session), reason="hold_expired")
    for appointment, status in ((pending, "pending"), (paid, "booked"), (cancelled, "cancelled")):
        appointment.refresh_from_db()
        model = _validated(fhir.appointment_resource(appointment))
        assert model.status == status
        assert model.start < model.end
    assert _validated(fhir.appointment_resource(cancelled)).cancelationReason.coding[0].code == "oth-fin"


def test_the_resource_names_no_patient(session, patients):
    appointment = services.appointment_book(patient=patients[0], session=session)
    text = str(fhir.appointment_resource(appointment))
    assert patients[0].name not in text and patients[0].username not in text


def test_the_citizen_reads_their_appointment_as_fhir_json(citizen_api, session):
    appointment = services.appointment_book(patient=citizen_api.citizen, session=session)
    response = citizen_api.get(f"/api/v1/me/medical/appointments/{appointment.pk}/fhir")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    assert _validated(response.json()).id == str(appointment.pk)
