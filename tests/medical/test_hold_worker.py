"""Holds expire: the beat task that releases unpaid bookings, run by a real Celery worker against PostgreSQL."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.medical import selectors, services
from apps.medical.models import Appointment, AppointmentStatus
from apps.medical.tasks import release_expired_holds
from tests.integration.conftest import celery_worker  # noqa: F401 - the real worker fixture

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_releases_expired_holds_once_and_keeps_paid_ones(celery_worker, make_session, patients):  # noqa: F811
    # Given a full session of 3: one paid booking and two unpaid ones whose hold ended a minute ago
    session = make_session(capacity=3)
    paid, lapsed, also_lapsed = (services.appointment_book(patient=p, session=session) for p in patients[:3])
    services.appointment_mark_paid(appointment=paid, at=timezone.now())
    Appointment.objects.filter(pk__in=[lapsed.pk, also_lapsed.pk]).update(
        held_until=timezone.now() - dt.timedelta(minutes=1))
    # When the worker runs the release task, twice
    first = release_expired_holds.delay().get(timeout=60)
    second = release_expired_holds.delay().get(timeout=60)
    # Then the two lapsed holds were released exactly once, the paid booking kept its place, and two places are free
    assert (first, second) == (2, 0)
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {paid.pk: AppointmentStatus.BOOKED, lapsed.pk: AppointmentStatus.CANCELLED,
                        also_lapsed.pk: AppointmentStatus.CANCELLED}
    session.refresh_from_db()
    assert session.booked == 1 == selectors.appointment_count(session=session)
    # And the freed places can be booked again
    assert services.appointment_book(patient=patients[3], session=session).place_no == 4
