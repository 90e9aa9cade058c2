"""Reads of schedules and appointments. Staff-facing reads take the hospital and filter by it, so a query for one
hospital can never return another's rows."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from apps.codes.plugin_api import organization_staff_list

from ..models import ACTIVE_STATUSES, Appointment, AppointmentStatus, ClinicSession, Department, Doctor

HOSPITAL_KIND = "hospital"


def hospital_list(*, staff: Any = None) -> QuerySet:
    """Active hospitals; with ``staff``, only those the person acts for."""
    from django.apps import apps

    organization = apps.get_model("identity", "Organization")
    hospitals = organization.objects.filter(kind=HOSPITAL_KIND, is_active=True)
    if staff is not None:
        hospitals = hospitals.filter(pk__in=organization_staff_list(user=staff).values("pk"))
    return hospitals.order_by("slug")


def department_list(*, hospital: Any) -> QuerySet[Department]:
    return Department.objects.filter(hospital=hospital).order_by("name_zh")


def doctor_list(*, hospital: Any = None, department: Department | None = None, user: Any = None) -> QuerySet[Doctor]:
    if hospital is None and user is None:
        raise ValueError("doctor_list needs a hospital or a user to narrow it.")
    doctors = Doctor.objects.all()
    if hospital is not None:
        doctors = doctors.filter(hospital=hospital)
    if user is not None:
        doctors = doctors.filter(user=user)
    if department is not None:
        doctors = doctors.filter(department=department)
    return doctors.select_related("department", "hospital")


def clinic_session_get(*, pk: int, hospital: Any = None) -> ClinicSession | None:
    sessions = ClinicSession.objects.select_related("hospital", "department", "doctor")
    if hospital is not None:
        sessions = sessions.filter(hospital=hospital)
    return sessions.filter(pk=pk).first()


def clinic_session_list(
    *, hospital: Any = None, department: Department | None = None, doctor: Doctor | None = None,
    date_from: dt.date | None = None, date_to: dt.date | None = None,
) -> QuerySet[ClinicSession]:
    sessions = ClinicSession.objects.select_related("hospital", "department", "doctor").filter(hospital__is_active=True)
    if hospital is not None:
        sessions = sessions.filter(hospital=hospital)
    if department is not None:
        sessions = sessions.filter(department=department)
    if doctor is not None:
        sessions = sessions.filter(doctor=doctor)
    if date_from is not None:
        sessions = sessions.filter(date__gte=date_from)
    if date_to is not None:
        sessions = sessions.filter(date__lte=date_to)
    return sessions.order_by("date", "starts_at", "id")


def appointment_get(
    *, pk: int, patient: Any = None, hospital: Any = None, for_update: bool = False,
) -> Appointment | None:
    """One appointment; ``patient`` or ``hospital`` narrows it to that patient's or that hospital's (so a
    guessed id of someone else's reads as missing)."""
    appointments = Appointment.objects.select_related("session__hospital", "session__department", "session__doctor")
    if for_update:
        appointments = appointments.select_for_update(of=("self",))
    if patient is not None:
        appointments = appointments.filter(patient=patient)
    if hospital is not None:
        appointments = appointments.filter(session__hospital=hospital)
    return appointments.filter(pk=pk).first()


def appointment_list(
    *, patient: Any = None, hospital: Any = None, session: ClinicSession | None = None,
    statuses: tuple[str, ...] | None = None,
) -> QuerySet[Appointment]:
    if patient is None and hospital is None and session is None:
        raise ValueError("appointment_list needs a patient, a hospital or a session to narrow it.")
    appointments = Appointment.objects.select_related("session__hospital", "session__department", "session__doctor")
    if patient is not None:
        appointments = appointments.filter(patient=patient)
    if hospital is not None:
        appointments = appointments.filter(session__hospital=hospital)
    if session is not None:
        appointments = appointments.filter(session=session)
    if statuses is not None:
        appointments = appointments.filter(status__in=statuses)
    return appointments


def queue_list(*, session: ClinicSession) -> QuerySet[Appointment]:
    """The checked-in patients of a session in queue order (the desk's and the waiting room's list)."""
    return Appointment.objects.filter(
        session=session, status__in=(AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED)
    ).order_by("queue_no")


def appointment_count(*, session: ClinicSession, statuses: tuple[str, ...] = ACTIVE_STATUSES) -> int:
    """How many of the session's appointments are in ``statuses`` (by default: those holding a place)."""
    return Appointment.objects.filter(session=session, status__in=statuses).count()
