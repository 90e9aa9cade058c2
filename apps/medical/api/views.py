"""The medical API: one view per operation. Citizens book and see their own appointments; a hospital's staff
manage its schedule, check patients in by code and see its queue — and nothing of another hospital."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.plugin_api import DomainError, IsCitizen, code_scan

from .. import fhir, selectors, services
from ..code_type import REGISTRATION
from ..errors import MedicalErrorCode
from ..models import AppointmentStatus
from ..pages_data import queue_view, staff_hospital
from . import serializers as s

TAGS = ["medical"]
STAFF_ERRORS = {
    403: OpenApiResponse(description="`not_hospital_staff`: you hold no role in this hospital."),
    404: OpenApiResponse(description="`hospital_not_found`."),
}


def _session(pk: int, hospital=None):
    session = selectors.clinic_session_get(pk=pk, hospital=hospital)
    if session is None:
        raise DomainError(MedicalErrorCode.SESSION_NOT_FOUND, _("No such session."))
    return session


def _my_appointment(request, pk: int):
    appointment = selectors.appointment_get(pk=pk, patient=request.user)
    if appointment is None:
        raise DomainError(MedicalErrorCode.APPOINTMENT_NOT_FOUND, _("No such appointment."))
    return appointment


class HospitalListApi(APIView):
    @extend_schema(responses={200: s.MedicalHospitalOutput(many=True)}, tags=TAGS,
                   summary="Hospitals that take bookings")
    def get(self, request):
        return Response(s.MedicalHospitalOutput(selectors.hospital_list(), many=True).data)


class SessionListApi(APIView):
    @extend_schema(parameters=[s.MedicalSessionListInput], responses={200: s.MedicalSessionOutput(many=True)},
                   tags=TAGS, summary="Clinic sessions open for booking, with the places left")
    def get(self, request):
        data = s.MedicalSessionListInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        hospital = None
        if slug := data.validated_data.get("hospital"):
            hospital = next((h for h in selectors.hospital_list() if h.slug == slug), None)
            if hospital is None:
                raise DomainError(MedicalErrorCode.HOSPITAL_NOT_FOUND, _("No such hospital."))
        sessions = selectors.clinic_session_list(
            hospital=hospital, date_from=data.validated_data.get("date_from") or timezone.localdate(),
            date_to=data.validated_data.get("date_to"),
        )[:500]
        return Response(s.MedicalSessionOutput(sessions, many=True).data)


class AppointmentBookApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=s.MedicalBookInput, responses={
            201: s.MedicalAppointmentOutput,
            400: OpenApiResponse(description="`session_closed` (started or hospital closed) or validation_error."),
            403: OpenApiResponse(description="`booking_suspended`: three no-shows in 90 days."),
            404: OpenApiResponse(description="`session_not_found`."),
            409: OpenApiResponse(description="`session_full` or `already_booked` (one booking per session)."),
        },
        tags=TAGS, summary="Book a place in a clinic session (held unpaid for a limited time)",
    )
    def post(self, request):
        data = s.MedicalBookInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_book(
            patient=request.user, session=_session(data.validated_data["session"]),
            idempotency_key=data.validated_data["idempotency_key"],
        )
        return Response(s.MedicalAppointmentOutput(appointment).data, status=status.HTTP_201_CREATED)


class MyAppointmentListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalAppointmentOutput(many=True)}, tags=TAGS, summary="My appointments")
    def get(self, request):
        appointments = selectors.appointment_list(patient=request.user)[:200]
        return Response(s.MedicalAppointmentOutput(appointments, many=True).data)


class MyAppointmentCancelApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={
        200: s.MedicalAppointmentOutput,
        400: OpenApiResponse(description="`not_cancellable`: checked in, or the session has started."),
        404: OpenApiResponse(description="`appointment_not_found` (also for someone else's)."),
    }, tags=TAGS, summary="Cancel my booking before the session starts")
    def post(self, request, appointment_id: int):
        appointment = services.appointment_cancel(appointment=_my_appointment(request, appointment_id),
                                                  patient=request.user)
        return Response(s.MedicalAppointmentOutput(appointment).data)


class MyAppointmentFhirApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: OpenApiResponse(description="A FHIR R4 Appointment resource.")}, tags=TAGS,
                   summary="My appointment as a FHIR R4 Appointment")
    def get(self, request, appointment_id: int):
        return Response(fhir.appointment_resource(_my_appointment(request, appointment_id)),
                        content_type="application/fhir+json")


class HospitalSessionCreateApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=s.MedicalSessionCreateInput, responses={201: s.MedicalSessionOutput, **STAFF_ERRORS},
                   tags=TAGS, summary="Publish a clinic session of one of the hospital's doctors (hospital staff)")
    def post(self, request, slug: str):
        hospital = staff_hospital(user=request.user, slug=slug)
        data = s.MedicalSessionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        doctor = selectors.doctor_list(hospital=hospital).filter(pk=values.pop("doctor")).first()
        if doctor is None:
            raise DomainError(MedicalErrorCode.DOCTOR_NOT_FOUND, _("This hospital has no such doctor."))
        session = services.clinic_session_create(by=request.user, hospital=hospital, doctor=doctor, **values)
        return Response(s.MedicalSessionOutput(session).data, status=status.HTTP_201_CREATED)


class HospitalAppointmentListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalQueueEntryOutput(many=True), **STAFF_ERRORS}, tags=TAGS,
                   summary="A session's appointments (hospital staff): numbers and statuses, no patient data")
    def get(self, request, slug: str, session_id: int):
        hospital = staff_hospital(user=request.user, slug=slug)
        session = _session(session_id, hospital=hospital)
        appointments = selectors.appointment_list(session=session).order_by("place_no")
        return Response(s.MedicalQueueEntryOutput(appointments, many=True).data)


class HospitalQueueApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalQueueOutput, **STAFF_ERRORS}, tags=TAGS,
                   summary="A session's queue: who is being seen and who waits, by number (hospital staff)")
    def get(self, request, slug: str, session_id: int):
        hospital = staff_hospital(user=request.user, slug=slug)
        return Response(s.MedicalQueueOutput(queue_view(session=_session(session_id, hospital=hospital))).data)


class HospitalCheckInApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=s.MedicalCheckInInput, responses={
            200: s.MedicalCheckInOutput, **STAFF_ERRORS,
            400: OpenApiResponse(description="The code is refused (expired, forged...), or `not_paid`, "
                                             "`no_appointment_today`."),
            409: OpenApiResponse(description="`already_used` (this code was scanned before: single-use) or "
                                             "`already_checked_in`."),
        },
        tags=TAGS, summary="Check a patient in by scanning their code (hospital desk staff)",
        description="The same as `POST /api/v1/scan` with purpose `medical.registration` by the hospital: the "
        "consent gate decides and logs first; the code is single-use.",
    )
    def post(self, request, slug: str):
        hospital = staff_hospital(user=request.user, slug=slug)
        data = s.MedicalCheckInInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = code_scan(organization=hospital, purpose=REGISTRATION, token=data.validated_data["token"],
                           actor=request.user, request_id=request.headers.get("X-Request-ID", "")[:64])
        return Response(s.MedicalCheckInOutput(result.action["check_in"]).data)


class HospitalAppointmentFulfilApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: s.MedicalQueueEntryOutput, **STAFF_ERRORS}, tags=TAGS,
                   summary="Mark a checked-in patient as seen: the queue moves on (hospital staff)")
    def post(self, request, slug: str, appointment_id: int):
        hospital = staff_hospital(user=request.user, slug=slug)
        appointment = selectors.appointment_get(pk=appointment_id, hospital=hospital)
        if appointment is None or appointment.status not in (AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED):
            raise DomainError(MedicalErrorCode.APPOINTMENT_NOT_FOUND, _("No such checked-in patient here."))
        appointment = services.appointment_fulfil(by=request.user, appointment=appointment)
        return Response(s.MedicalQueueEntryOutput(appointment).data)
