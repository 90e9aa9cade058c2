"""Writes of a hospital's schedule: departments, doctors and clinic sessions, by the hospital's own staff."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import ClinicSession, Department, Doctor
from .staff import hospital_staff_require


@transaction.atomic
def department_create(*, by: Any, hospital: Any, name_zh: str, name_en: str = "") -> Department:
    hospital_staff_require(user=by, hospital=hospital)
    department = Department(hospital=hospital, name_zh=name_zh, name_en=name_en)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def doctor_create(
    *, by: Any, hospital: Any, department: Department, name: str, title: str = "", user: Any = None,
) -> Doctor:
    hospital_staff_require(user=by, hospital=hospital)
    if department.hospital_id != hospital.pk:
        raise ValidationError({"department": ValidationError(
            _("The department belongs to another hospital."), code="other_hospital")})
    doctor = Doctor(hospital=hospital, department=department, name=name, title=title, user=user)
    doctor.full_clean()
    doctor.save()
    return doctor


@transaction.atomic
def clinic_session_create(
    *, by: Any, hospital: Any, doctor: Doctor, date: dt.date, starts_at: dt.time, ends_at: dt.time,
    capacity: int, fee_fen: int, registration_level: str = "general",
) -> ClinicSession:
    """Publish one clinic session of one of the hospital's own doctors."""
    hospital_staff_require(user=by, hospital=hospital)
    if doctor.hospital_id != hospital.pk:
        raise ValidationError({"doctor": ValidationError(
            _("The doctor works at another hospital."), code="other_hospital")})
    session = ClinicSession(
        hospital=hospital, department_id=doctor.department_id, doctor=doctor, date=date, starts_at=starts_at,
        ends_at=ends_at, capacity=capacity, fee_fen=fee_fen, registration_level=registration_level,
    )
    session.full_clean()
    session.save()
    return session
