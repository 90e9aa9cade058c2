"""Check-in by code: the hospital scans the patient's code (purpose ``medical.registration``, single-use), the
consent gate allows and logs it, then this gives the patient's booked appointment of today a queue number.

Queue numbers come from the session's own sequence, advanced by one UPDATE (``queue_last + 1``) that locks the
session row until commit: two desks checking in at once get consecutive numbers, never the same one, and the
unique constraint ``(session, queue_no)`` backs that up. (ERPNext numbers its queue MAX+1: a race.)
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import DomainError

from ..errors import MedicalErrorCode
from ..models import Appointment, AppointmentStatus, ClinicSession
from .staff import hospital_staff_require


@transaction.atomic
def appointment_check_in(*, hospital: Any, patient: Any, now: dt.datetime | None = None) -> Appointment:
    """Check the patient in for their appointment today at this hospital (the earliest session not yet over) and
    give them the session's next queue number. Called only after the consent gate allowed a
    ``medical.registration`` scan by this hospital."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = list(
        Appointment.objects.select_for_update(of=("self",)).select_related("session")
        .filter(patient=patient, session__hospital=hospital, session__date=today,
                status__in=(AppointmentStatus.PENDING, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED))
        .order_by("session__starts_at", "id")
    )
    open_ones = [a for a in candidates if a.session.end > now]
    waiting = [a for a in open_ones if a.status == AppointmentStatus.BOOKED]
    if not waiting:
        if any(a.status == AppointmentStatus.ARRIVED for a in open_ones):
            raise DomainError(MedicalErrorCode.ALREADY_CHECKED_IN, _("This patient has already checked in."))
        if any(a.status == AppointmentStatus.PENDING for a in open_ones):
            raise DomainError(MedicalErrorCode.NOT_PAID, _("The registration fee has not been paid yet."))
        raise DomainError(MedicalErrorCode.NO_APPOINTMENT_TODAY,
                          _("This patient has no booked appointment here today."))
    appointment = waiting[0]
    ClinicSession.objects.filter(pk=appointment.session_id).update(queue_last=F("queue_last") + 1)
    appointment.queue_no = ClinicSession.objects.filter(pk=appointment.session_id).values_list(
        "queue_last", flat=True).get()
    appointment.status = AppointmentStatus.ARRIVED
    appointment.checked_in_at = now
    appointment.save(update_fields=["queue_no", "status", "checked_in_at"])
    return appointment


@transaction.atomic
def appointment_fulfil(*, by: Any, appointment: Appointment) -> Appointment:
    """The doctor has seen the patient (the desk moves the queue on). Idempotent."""
    hospital_staff_require(user=by, hospital=appointment.session.hospital)
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status == AppointmentStatus.FULFILLED:
        return locked
    if locked.status != AppointmentStatus.ARRIVED:
        raise DomainError(MedicalErrorCode.NOT_CHECKED_IN, _("Only a checked-in patient can be marked as seen."))
    locked.status = AppointmentStatus.FULFILLED
    locked.save(update_fields=["status"])
    return locked
