"""Booking claims a place by one conditional UPDATE; holds end; cancellations and no-shows give places back;
the session's counter always equals the appointments holding a place."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from apps.medical import selectors, services, tasks
from apps.medical.models import Appointment, AppointmentStatus, ClinicSession
from citycode.errors import DomainError

pytestmark = pytest.mark.django_db


def _counter_agrees(session) -> bool:
    session.refresh_from_db()
    return session.booked == selectors.appointment_count(session=session)


def _code(exc_info) -> str:
    return exc_info.value.code


def test_a_booking_holds_a_numbered_place_until_paid(session, patients):
    # Given an open session with 3 places at 10 yuan
    # When a patient books
    appointment = services.appointment_book(patient=patients[0], session=session)
    # Then they hold place 1, pending payment, for a limited time, at the session's fee
    assert appointment.status == AppointmentStatus.PENDING and appointment.place_no == 1
    assert appointment.held_until is not None and appointment.held_until > timezone.now()
    assert appointment.fee_fen == 1000 and appointment.paid_at is None
    assert _counter_agrees(session) and session.places_left == 2


def test_a_full_session_refuses_the_next_patient_and_counts_nothing(make_session, patients):
    # Given a session with 2 places, both taken
    session = make_session(capacity=2)
    for patient in patients[:2]:
        services.appointment_book(patient=patient, session=session)
    # When a third patient tries
    with pytest.raises(DomainError) as refused:
        services.appointment_book(patient=patients[2], session=session)
    # Then it is refused as full, and no third appointment or place exists
    assert _code(refused) == "session_full" and refused.value.status_code == 409
    assert not Appointment.objects.filter(patient=patients[2]).exists()
    # And the same from a freshly read session (refused from the row read, before any transaction)
    session.refresh_from_db()
    with pytest.raises(DomainError) as again:
        services.appointment_book(patient=patients[3], session=session)
    assert _code(again) == "session_full"
    assert _counter_agrees(session) and session.booked == 2


def test_one_patient_cannot_hold_two_places_in_one_session(session, patients):
    # Given a patient with a booking
    services.appointment_book(patient=patients[0], session=session)
    # When they book the same session again (no idempotency key: a second attempt)
    with pytest.raises(DomainError) as refused:
        services.appointment_book(patient=patients[0], session=session)
    # Then it is refused and the second claim of a place was rolled back with it
    assert _code(refused) == "already_booked"
    assert _counter_agrees(session) and session.booked == 1


def test_the_database_itself_refuses_a_second_active_booking_and_overbooking(session, patients):
    # Given a booking made properly
    first = services.appointment_book(patient=patients[0], session=session)
    # When rows are written past the service (a bug, a rogue script)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(session=session, patient=patients[0], status="booked", place_no=99, fee_fen=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(session=session, patient=patients[1], status="booked", place_no=first.place_no,
                                   fee_fen=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClinicSession.objects.filter(pk=session.pk).update(booked=session.capacity + 1, places_issued=99)
    # Then nothing of it was written
    assert _counter_agrees(session) and Appointment.objects.count() == 1


def test_the_same_request_sent_twice_books_once(session, patients):
    # Given a booking request with a client key
    first = services.appointment_book(patient=patients[0], session=session, idempotency_key="k-1")
    # When the client retries it (a lost response)
    again = services.appointment_book(patient=patients[0], session=session, idempotency_key="k-1")
    # Then it is the same booking and no second place was taken
    assert again.pk == first.pk and _counter_agrees(session) and session.booked == 1


def test_a_hold_that_ends_unpaid_gives_the_place_back(session, patients, settings):
    # Given two bookings, one paid, both past the hold
    held = services.appointment_book(patient=patients[0], session=session)
    paid = services.appointment_book(patient=patients[1], session=session)
    services.appointment_mark_paid(appointment=paid, at=timezone.now())
    Appointment.objects.filter(pk__in=[held.pk, paid.pk]).update(held_until=timezone.now() - dt.timedelta(seconds=1))
    Appointment.objects.filter(pk=paid.pk).update(held_until=None)
    # When the beat task runs (twice: it is idempotent)
    assert tasks.release_expired_holds.delay().get() == 1
    assert tasks.release_expired_holds.delay().get() == 0
    # Then the unpaid one is cancelled as expired and its place is free; the paid one is untouched
    held.refresh_from_db(), paid.refresh_from_db()
    assert (held.status, held.cancel_reason) == (AppointmentStatus.CANCELLED, "hold_expired")
    assert paid.status == AppointmentStatus.BOOKED
    assert _counter_agrees(session) and session.booked == 1
    # And a released place is taken by the next patient under a new number (numbers never repeat)
    nxt = services.appointment_book(patient=patients[2], session=session)
    assert nxt.place_no == 3


def test_a_hold_still_running_is_not_released(session, patients):
    held = services.appointment_book(patient=patients[0], session=session)
    assert services.appointment_release_expired() == 0
    held.refresh_from_db()
    assert held.status == AppointmentStatus.PENDING


def test_mark_paid_is_idempotent_and_a_released_booking_refuses_the_late_payment(session, patients):
    # Given a booking paid once
    appointment = services.appointment_book(patient=patients[0], session=session)
    at = timezone.now()
    paid = services.appointment_mark_paid(appointment=appointment, at=at)
    # When the same payment is reported again, later
    again = services.appointment_mark_paid(appointment=appointment, at=at + dt.timedelta(hours=1))
    # Then nothing changes
    assert paid.status == again.status == AppointmentStatus.BOOKED and again.paid_at == at and again.held_until is None
    # Given another booking whose hold ran out first
    late = services.appointment_book(patient=patients[1], session=session)
    services.appointment_release(appointment=late, reason="hold_expired")
    # When its payment finally arrives
    with pytest.raises(DomainError) as refused:
        services.appointment_mark_paid(appointment=late, at=timezone.now())
    # Then the caller is told to refund, and the place is not taken again
    assert _code(refused) == "appointment_released"
    late.refresh_from_db()
    assert late.status == AppointmentStatus.CANCELLED and late.paid_at is None and _counter_agrees(session)


def test_release_is_idempotent(session, patients):
    appointment = services.appointment_book(patient=patients[0], session=session)
    services.appointment_release(appointment=appointment, reason="payment_failed")
    services.appointment_release(appointment=appointment, reason="payment_failed")
    assert _counter_agrees(session) and session.booked == 0


def test_a_patient_cancels_their_own_booking_before_the_session_only(session, patients):
    # Given a booking of patient 0
    appointment = services.appointment_book(patient=patients[0], session=session)
    # When another patient tries to cancel it
    with pytest.raises(DomainError) as refused:
        services.appointment_cancel(appointment=appointment, patient=patients[1])
    # Then it reads as missing and stays booked
    assert _code(refused) == "appointment_not_found"
    # When the owner cancels after the session started
    with pytest.raises(DomainError) as late:
        services.appointment_cancel(appointment=appointment, patient=patients[0], now=session.start)
    assert _code(late) == "not_cancellable"
    # When the owner cancels in time
    cancelled = services.appointment_cancel(appointment=appointment, patient=patients[0])
    # Then the place is free again and they may book the session anew
    assert cancelled.status == AppointmentStatus.CANCELLED and cancelled.cancel_reason == "patient"
    assert services.appointment_book(patient=patients[0], session=session).place_no == 2
    assert _counter_agrees(session)


def test_a_free_session_books_straight_away(make_session, patients):
    session = make_session(fee_fen=0)
    appointment = services.appointment_book(patient=patients[0], session=session)
    assert appointment.status == AppointmentStatus.BOOKED and appointment.held_until is None


def test_a_session_that_has_started_is_closed_for_booking(make_session, patients):
    session = make_session(date=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        services.appointment_book(patient=patients[0], session=session)
    assert _code(refused) == "session_closed" and _counter_agrees(session) and session.booked == 0


def test_booked_patients_who_never_come_become_noshows_and_three_suspend_booking(make_session, patients):
    # Given a patient with three paid bookings in sessions that are now over
    patient = patients[0]
    for day in (1, 2, 3):
        session = make_session(date=timezone.localdate() + dt.timedelta(days=day))
        appointment = services.appointment_book(patient=patient, session=session)
        services.appointment_mark_paid(appointment=appointment, at=timezone.now())
    after_all = timezone.now() + dt.timedelta(days=4)
    # When the no-show task runs after them (twice)
    assert services.appointment_mark_noshows(now=after_all) == 3
    assert services.appointment_mark_noshows(now=after_all) == 0
    # Then each is a no-show, their places are counted free, and the patient cannot book online for now
    assert set(Appointment.objects.filter(patient=patient).values_list("status", flat=True)) == {"noshow"}
    assert all(_counter_agrees(s) for s in ClinicSession.objects.all())
    fifth_day = make_session(date=timezone.localdate() + dt.timedelta(days=5))
    with pytest.raises(DomainError) as refused:
        services.appointment_book(patient=patient, session=fifth_day)
    assert _code(refused) == "booking_suspended" and refused.value.status_code == 403
    # And another patient is not affected
    assert services.appointment_book(patient=patients[1], session=ClinicSession.objects.last()).place_no == 1


def test_one_patient_holds_at_most_three_unpaid_places_at_once(make_session, patients):
    # Given a patient holding three unpaid bookings in three sessions
    patient = patients[0]
    sessions = [make_session(doctor_name=f"医生{i}") for i in range(5)]
    for session in sessions[:3]:
        services.appointment_book(patient=patient, session=session)
    # When they try a fourth
    with pytest.raises(DomainError) as refused:
        services.appointment_book(patient=patient, session=sessions[3])
    # Then it is refused and no place was taken; paying for one lets them book again
    assert _code(refused) == "too_many_holds" and _counter_agrees(sessions[3]) and sessions[3].booked == 0
    services.appointment_mark_paid(appointment=Appointment.objects.filter(patient=patient).first(), at=timezone.now())
    assert services.appointment_book(patient=patient, session=sessions[4]).status == AppointmentStatus.PENDING
    # And another patient is not limited by them
    assert services.appointment_book(patient=patients[1], session=sessions[3]).place_no == 1


def test_the_noshow_task_leaves_checked_in_unpaid_and_future_bookings_alone(make_session, patients):
    # Given, in a session that is over: a paid booking, an unpaid one; and a paid booking in a future session
    past = make_session(date=timezone.localdate() + dt.timedelta(days=1))
    future = make_session(date=timezone.localdate() + dt.timedelta(days=3))
    paid = services.appointment_mark_paid(appointment=services.appointment_book(patient=patients[0], session=past),
                                          at=timezone.now())
    unpaid = services.appointment_book(patient=patients[1], session=past)
    ahead = services.appointment_mark_paid(
        appointment=services.appointment_book(patient=patients[2], session=future), at=timezone.now())
    # When the task runs the day after the first session
    marked = services.appointment_mark_noshows(now=past.end + dt.timedelta(hours=1))
    # Then only the paid booking of the session that is over is a no-show
    assert marked == 1
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {paid.pk: "noshow", unpaid.pk: "pending", ahead.pk: "booked"}
    assert _counter_agrees(past) and past.booked == 1 and _counter_agrees(future)


def test_the_hold_lasts_the_configured_time(session, patients, settings):
    # Given a city that holds unpaid places for 60 seconds
    settings.MEDICAL_HOLD_SECONDS = 60
    before = timezone.now()
    # When a patient books
    held = services.appointment_book(patient=patients[0], session=session, now=before)
    # Then the place is held exactly that long
    assert held.held_until == before + dt.timedelta(seconds=60)


def test_a_retry_after_the_session_filled_still_returns_the_first_booking(make_session, patients):
    # Given a patient who booked the last place with a key
    session = make_session(capacity=1)
    first = services.appointment_book(patient=patients[0], session=session, idempotency_key="k-9")
    session.refresh_from_db()
    # When their client retries the same request (the session is full now)
    again = services.appointment_book(patient=patients[0], session=session, idempotency_key="k-9")
    # Then they get their booking back, not "full"
    assert again.pk == first.pk
    # But another patient's same key is theirs alone: they are told it is full
    with pytest.raises(DomainError) as refused:
        services.appointment_book(patient=patients[1], session=session, idempotency_key="k-9")
    assert _code(refused) == "session_full"


def test_releasing_a_place_frees_it_in_its_own_session_only(make_session, patients):
    # Given two sessions with one booking each
    one, two = make_session(), make_session(doctor_name="另一位医生")
    a = services.appointment_book(patient=patients[0], session=one)
    services.appointment_book(patient=patients[1], session=two)
    # When the first is released
    services.appointment_release(appointment=a, reason="payment_failed")
    # Then only its own session has the place back
    one.refresh_from_db(), two.refresh_from_db()
    assert (one.booked, two.booked) == (0, 1)
    assert _counter_agrees(one) and _counter_agrees(two)


@pytest.mark.parametrize("call,message", [
    ("full", "No places are left in this session."),
    ("twice", "You already have a booking in this session."),
    ("late_cancel", "Only a booking not yet checked in can be cancelled, and only before the session starts."),
    ("closed", "This session is no longer open for booking."),
])
def test_refusals_say_why_in_words(make_session, patients, call, message):
    session = make_session(capacity=1)
    with translation.override("en"), pytest.raises(DomainError) as refused:
        if call == "full":
            services.appointment_book(patient=patients[0], session=session)
            session.refresh_from_db()
            services.appointment_book(patient=patients[1], session=session)
        elif call == "twice":
            services.appointment_book(patient=patients[0], session=make_session(capacity=5, doctor_name="乙"))
            services.appointment_book(patient=patients[0], session=ClinicSession.objects.last())
        elif call == "late_cancel":
            booked = services.appointment_book(patient=patients[0], session=session)
            services.appointment_cancel(appointment=booked, patient=patients[0], now=session.start)
        else:
            services.appointment_book(patient=patients[0], session=session, now=session.end)
    assert refused.value.message == message
