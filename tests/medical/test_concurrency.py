"""Under a rush on PostgreSQL (real threads, each with its own connection), bookings never exceed capacity, no
place or queue number is given twice, and one patient racing themselves holds one place."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from apps.medical import selectors, services
from apps.medical.models import Appointment, AppointmentStatus
from citycode.errors import DomainError

pytestmark = pytest.mark.django_db(transaction=True)


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is a PostgreSQL property (SQLite serializes writers anyway)")


def _race(jobs, threads=8):
    """Run the callables from `jobs` on `threads` threads started together; return (results, refusals, errors)."""
    results, refusals, errors = [], [], []
    lock, start = threading.Lock(), threading.Barrier(threads)

    def worker(mine):
        try:
            start.wait()
            for job in mine:
                try:
                    outcome = job()
                    with lock:
                        results.append(outcome)
                except DomainError as exc:
                    with lock:
                        refusals.append(exc.code)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(jobs[i::threads],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results, refusals, errors


def test_a_rush_of_patients_never_books_past_capacity(make_session, make_citizen):
    _postgres_only()
    # Given a session with 10 places and 40 patients
    session = make_session(capacity=10)
    patients = [make_citizen(name="患者") for _ in range(40)]
    # When all 40 book at once from 8 threads
    booked, refusals, errors = _race([lambda p=p: services.appointment_book(patient=p, session=session)
                                      for p in patients])
    # Then exactly 10 hold places, numbered 1..10 once each, and the other 30 were told it is full
    assert errors == []
    assert len(booked) == 10 and refusals == ["session_full"] * 30
    rows = Appointment.objects.filter(session=session)
    assert sorted(rows.values_list("place_no", flat=True)) == list(range(1, 11))
    assert rows.values("patient").distinct().count() == 10
    session.refresh_from_db()
    assert session.booked == 10 == selectors.appointment_count(session=session)


def test_one_patient_racing_themselves_holds_one_place(make_session, make_citizen):
    _postgres_only()
    # Given a session with plenty of places and one patient who taps "book" 16 times at once
    session = make_session(capacity=50)
    patient = make_citizen()
    booked, refusals, errors = _race([lambda: services.appointment_book(patient=patient, session=session)] * 16)
    # Then one booking exists, the other 15 were refused, and only one place was counted
    assert errors == []
    assert len(booked) == 1 and refusals == ["already_booked"] * 15
    session.refresh_from_db()
    assert session.booked == 1 == Appointment.objects.filter(session=session).count()


def test_cancellations_racing_bookings_keep_the_counter_exact(make_session, make_citizen):
    _postgres_only()
    # Given a full session of 6, whose holders cancel while 12 others rush to book
    session = make_session(capacity=6)
    holders = [make_citizen() for _ in range(6)]
    held = [services.appointment_book(patient=p, session=session) for p in holders]
    others = [make_citizen() for _ in range(12)]
    jobs = [lambda a=a, p=p: services.appointment_cancel(appointment=a, patient=p) for a, p in zip(held, holders)]
    jobs += [lambda p=p: services.appointment_book(patient=p, session=session) for p in others]
    _done, _refusals, errors = _race(jobs)
    # Then never more than 6 hold places and the counter equals the rows holding one
    assert errors == []
    session.refresh_from_db()
    active = selectors.appointment_count(session=session)
    assert session.booked == active <= 6
    assert Appointment.objects.filter(session=session).values("place_no").distinct().count() == \
        Appointment.objects.filter(session=session).count()


def test_desks_checking_in_at_once_never_give_one_queue_number_twice(make_session, make_citizen, hospital_a):
    _postgres_only()
    # Given 20 paid bookings for a session today
    now = timezone.localtime()
    session = make_session(capacity=20, date=now.date(), starts_at=(now - dt.timedelta(minutes=1)).time(),
                           ends_at=(now + dt.timedelta(minutes=90)).time()) if now.hour < 22 else None
    if session is None:
        pytest.skip("too close to midnight for a session today")
    patients = [make_citizen() for _ in range(20)]
    for p in patients:
        appointment = Appointment.objects.create(session=session, patient=p, status=AppointmentStatus.BOOKED,
                                                 place_no=patients.index(p) + 1, fee_fen=0, paid_at=now)
        assert appointment.pk
    # When all 20 are checked in at once by several desks
    done, refusals, errors = _race([lambda p=p: services.appointment_check_in(hospital=hospital_a, patient=p)
                                    for p in patients])
    # Then the queue numbers are exactly 1..20, once each
    assert errors == [] and refusals == []
    assert sorted(a.queue_no for a in done) == list(range(1, 21))
