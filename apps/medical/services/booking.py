"""Booking: claim a place, hold it until paid, release it, cancel, mark no-shows.

Places are claimed by ONE conditional UPDATE of the session row (``booked < capacity``): under a rush PostgreSQL
serializes the claims on that row and re-checks the condition after each wait, so the 301st claim for 300 places
updates nothing. The CheckConstraint ``booked <= capacity`` backs it up, and the partial unique constraint
``(session, patient)`` over active statuses stops one patient holding two places. There is no check-then-insert.
Every status change that frees a place gives it back by a conditional UPDATE in the same transaction, so
``ClinicSession.booked`` always equals the number of appointments holding a place (tests check it).
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import DomainError

from ..errors import MedicalErrorCode
from ..models import Appointment, AppointmentStatus, ClinicSession

# An unpaid booking keeps its place this long (WeChat/Alipay orders commonly time out after 15 minutes).
DEFAULT_HOLD = dt.timedelta(minutes=15)
# No-show rule: this many no-shows within the window suspend online booking (as city hospitals' rules do).
NOSHOW_LIMIT = 3
NOSHOW_WINDOW = dt.timedelta(days=90)
RELEASE_BATCH = 500
# Unpaid holds one patient may have at once: a script holding every place of a popular doctor for 15 minutes at a
# time (scalping) gets three, then must pay or wait.
MAX_UNPAID_HOLDS = 3


def _hold() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "MEDICAL_HOLD_SECONDS", DEFAULT_HOLD.total_seconds()))


def _release_place(session_id: int) -> None:
    # Conditional, so a bug elsewhere can never drive the counter below zero (the column is unsigned too).
    ClinicSession.objects.filter(pk=session_id, booked__gt=0).update(booked=F("booked") - 1)


def appointment_book(
    *, patient: Any, session: ClinicSession, idempotency_key: str = "", now: dt.datetime | None = None,
) -> Appointment:
    """Claim a place in ``session`` for ``patient``: ``pending`` (held for payment) or, for a free session,
    ``booked``. The same ``idempotency_key`` sent again returns the first booking instead of a second one."""
    now = now or timezone.now()
    if idempotency_key:
        earlier = Appointment.objects.filter(patient=patient, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
    if session.booked >= session.capacity:
        # Under a rush most attempts meet a full session: refuse them from the row already read, with no
        # transaction. Only a refusal is decided here; a place is only ever given by the conditional UPDATE.
        raise DomainError(MedicalErrorCode.SESSION_FULL, _("No places are left in this session."))
    try:
        return _claim(patient=patient, session=session, idempotency_key=idempotency_key, now=now)
    except IntegrityError:
        # The loser of two racing inserts: the whole claim (counter included) was rolled back.
        if idempotency_key:
            earlier = Appointment.objects.filter(patient=patient, idempotency_key=idempotency_key).first()
            if earlier is not None:
                return earlier
        raise DomainError(MedicalErrorCode.ALREADY_BOOKED, _("You already have a booking in this session.")) from None


@transaction.atomic
def _claim(*, patient: Any, session: ClinicSession, idempotency_key: str, now: dt.datetime) -> Appointment:
    # Same-day registration (当日挂号) stays open while the session runs; cancelling closes at its start.
    if not session.hospital.is_active or session.end <= now:
        raise DomainError(MedicalErrorCode.SESSION_CLOSED, _("This session is no longer open for booking."))
    noshows = Appointment.objects.filter(
        patient=patient, status=AppointmentStatus.NOSHOW, session__date__gte=(now - NOSHOW_WINDOW).date()
    ).count()
    if noshows >= NOSHOW_LIMIT:
        raise DomainError(MedicalErrorCode.BOOKING_SUSPENDED, _(
            "Online booking is suspended: you missed %(count)d appointments in the last 90 days."
        ) % {"count": noshows})
    if session.fee_fen:
        # The patient's row lock makes this count exact even when one patient fires many bookings at once.
        get_user_model().objects.select_for_update().filter(pk=patient.pk).first()
        holds = Appointment.objects.filter(patient=patient, status=AppointmentStatus.PENDING).count()
        if holds >= MAX_UNPAID_HOLDS:
            raise DomainError(MedicalErrorCode.TOO_MANY_HOLDS, _(
                "You already hold %(count)d unpaid bookings: pay for one or let it lapse first.") % {"count": holds})
    claimed = ClinicSession.objects.filter(pk=session.pk, booked__lt=F("capacity")).update(
        booked=F("booked") + 1, places_issued=F("places_issued") + 1
    )
    if not claimed:
        raise DomainError(MedicalErrorCode.SESSION_FULL, _("No places are left in this session."))
    # Our UPDATE holds the row lock until commit, so this reads our own place number and nobody else's.
    place_no = ClinicSession.objects.filter(pk=session.pk).values_list("places_issued", flat=True).get()
    free = session.fee_fen == 0
    appointment = Appointment(
        session=session, patient=patient, place_no=place_no, fee_fen=session.fee_fen,
        status=AppointmentStatus.BOOKED if free else AppointmentStatus.PENDING,
        held_until=None if free else now + _hold(), idempotency_key=idempotency_key,
    )
    # The unique constraints are left to the database (validate_constraints=False): checking them here first
    # would be the check-then-insert race this design avoids; a violation raises IntegrityError at save.
    appointment.full_clean(exclude=["session", "patient"], validate_constraints=False)
    appointment.save()
    return appointment


@transaction.atomic
def appointment_mark_paid(*, appointment: Appointment, at: dt.datetime) -> Appointment:
    """The registration fee is paid: the hold ends and the booking is ``booked``. Idempotent (a second call
    changes nothing). A booking already released (its hold expired first) is refused with
    ``appointment_released``: the caller refunds the payment."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.paid_at is not None:
        return locked
    if locked.status != AppointmentStatus.PENDING:
        raise DomainError(MedicalErrorCode.APPOINTMENT_RELEASED, _(
            "This booking was released before the payment arrived; the payment must be refunded."))
    locked.status = AppointmentStatus.BOOKED
    locked.paid_at = at
    locked.held_until = None
    locked.save(update_fields=["status", "paid_at", "held_until"])
    return locked


@transaction.atomic
def appointment_release(*, appointment: Appointment, reason: str, now: dt.datetime | None = None) -> Appointment:
    """Give the place back (``cancelled`` with ``reason``). Idempotent: an appointment already cancelled or
    marked no-show is returned unchanged. A checked-in one cannot be released."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NOSHOW):
        return locked
    if locked.status not in (AppointmentStatus.PENDING, AppointmentStatus.BOOKED):
        raise DomainError(MedicalErrorCode.NOT_CANCELLABLE, _("A patient who has checked in cannot be released."))
    locked.status = AppointmentStatus.CANCELLED
    locked.cancelled_at = now or timezone.now()
    locked.cancel_reason = reason[:32]
    locked.held_until = None
    locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "held_until"])
    _release_place(locked.session_id)
    return locked


def appointment_cancel(*, appointment: Appointment, patient: Any, now: dt.datetime | None = None) -> Appointment:
    """The patient cancels their own booking, up to the session's start. (A paid one is refunded by the
    payments side, which sees ``cancel_reason == "patient"`` with ``paid_at`` set.)"""
    now = now or timezone.now()
    if appointment.patient_id != patient.pk:
        raise DomainError(MedicalErrorCode.APPOINTMENT_NOT_FOUND, _("No such appointment."))
    cancellable = (AppointmentStatus.PENDING, AppointmentStatus.BOOKED)
    if appointment.status not in cancellable or appointment.session.start <= now:
        raise DomainError(MedicalErrorCode.NOT_CANCELLABLE, _(
            "Only a booking not yet checked in can be cancelled, and only before the session starts."))
    return appointment_release(appointment=appointment, reason="patient", now=now)


def appointment_release_expired(*, now: dt.datetime | None = None) -> int:
    """Release every unpaid booking whose hold has ended (the beat task). Each in its own short transaction;
    rows another worker is handling are skipped, so two workers never release one twice. Returns how many."""
    now = now or timezone.now()
    released = 0
    while True:
        with transaction.atomic():
            batch = list(Appointment.objects.select_for_update(skip_locked=True).filter(
                status=AppointmentStatus.PENDING, held_until__lt=now).order_by("held_until")[:RELEASE_BATCH])
            for appointment in batch:
                appointment_release(appointment=appointment, reason="hold_expired", now=now)
        released += len(batch)
        if len(batch) < RELEASE_BATCH:
            return released


def appointment_mark_noshows(*, now: dt.datetime | None = None) -> int:
    """Booked patients who never checked in by the end of their session become ``noshow`` (counted by the
    no-show rule). Returns how many."""
    now = now or timezone.now()
    marked = 0
    with transaction.atomic():
        candidates = (
            Appointment.objects.select_for_update(skip_locked=True, of=("self",)).select_related("session")
            .filter(status=AppointmentStatus.BOOKED, session__date__lte=timezone.localdate(now))
        )
        for appointment in candidates:
            if appointment.session.end <= now:
                appointment.status = AppointmentStatus.NOSHOW
                appointment.save(update_fields=["status"])
                _release_place(appointment.session_id)
                marked += 1
    return marked

