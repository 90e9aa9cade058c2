"""Check-in by code: the hospital scans the patient's medical code through core's /scan with purpose
medical.registration; the consent gate decides and logs first, the code is single-use, and the queue number comes
from the session's own sequence."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.codes import services as code_services
from apps.consent import selectors as consent_selectors
from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.medical import services
from apps.medical.models import Appointment, AppointmentStatus
from citycode.errors import DomainError

pytestmark = pytest.mark.django_db
PURPOSE = "medical.registration"


@pytest.fixture
def today_session(make_session):
    """A session running now (so the test works at any hour): it started a minute ago, ends in two hours."""
    now = timezone.localtime()
    if now.hour >= 21:
        pytest.skip("too close to midnight for a session today")
    start = (now - dt.timedelta(minutes=1)).time()
    return make_session(capacity=5, date=now.date(), starts_at=start, ends_at=(now + dt.timedelta(hours=2)).time())


def _booked(session, patient, *, paid=True):
    """A booking made before the session started (booking closes at the start), paid or not."""
    place = Appointment.objects.filter(session=session).count() + 1
    status = AppointmentStatus.BOOKED if paid else AppointmentStatus.PENDING
    return Appointment.objects.create(
        session=session, patient=patient, status=status, place_no=place, fee_fen=session.fee_fen,
        paid_at=timezone.now() if paid else None, held_until=None if paid else timezone.now() + dt.timedelta(minutes=5),
    )


@pytest.fixture
def granted(grant, hospital_a, hospital_b):
    grant(hospital_a, PURPOSE)
    grant(hospital_b, PURPOSE)


def _consents(patient):
    consent_services.consent_give(citizen=patient, purpose=PURPOSE, categories=["identity.name"])


def _reader(hospital):
    _client, key = identity_services.api_client_create(organization=hospital, name=f"desk-{hospital.slug}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def _token(patient):
    return code_services.token_issue(citizen=patient, code_type="medical", lifetime=dt.timedelta(minutes=2)).token


def _scan(api, token):
    return api.post("/api/v1/scan", {"token": token, "purpose": PURPOSE}, format="json")


def test_a_scan_at_the_desk_checks_the_patient_in_with_the_next_queue_number(
        today_session, patients, granted, hospital_a):
    # Given two patients with paid bookings today, who consented to registration
    first, second = _booked(today_session, patients[0]), _booked(today_session, patients[1])
    _consents(patients[0]), _consents(patients[1])
    desk = _reader(hospital_a)
    # When the desk scans the second patient's code, then the first's
    a = _scan(desk, _token(patients[1]))
    b = _scan(desk, _token(patients[0]))
    # Then each is checked in, queue numbers follow arrival order, and the gate logged each scan
    assert a.status_code == 200 and b.status_code == 200, (a.json(), b.json())
    assert a.json()["action"]["check_in"]["queue_no"] == 1 and b.json()["action"]["check_in"]["queue_no"] == 2
    assert a.json()["data"] == {"identity.name": patients[1].name}
    second.refresh_from_db(), first.refresh_from_db()
    assert (second.status, second.queue_no, first.queue_no) == (AppointmentStatus.ARRIVED, 1, 2)
    assert [(r.purpose_code, r.outcome) for r in consent_selectors.access_log_list(citizen=patients[1])] == [
        (PURPOSE, "allowed")]


def test_the_same_code_cannot_check_in_twice_and_a_fresh_one_is_told_already_checked_in(
        today_session, patients, granted, hospital_a):
    # Given a patient checked in with one code
    appointment = _booked(today_session, patients[0])
    _consents(patients[0])
    desk, token = _reader(hospital_a), _token(patients[0])
    assert _scan(desk, token).status_code == 200
    # When the same code is scanned again (a photo of it)
    again = _scan(desk, token)
    # Then it is refused as used, and no second queue number was taken
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_used"
    # And a fresh code of theirs is refused as already checked in
    fresh = _scan(desk, _token(patients[0]))
    assert fresh.status_code == 409 and fresh.json()["error"]["code"] == "already_checked_in"
    appointment.refresh_from_db(), today_session.refresh_from_db()
    assert appointment.queue_no == 1 and today_session.queue_last == 1


def test_no_check_in_without_the_gate(today_session, patients, grant, hospital_a):
    # Given a booked patient who never consented, and a hospital holding a grant
    appointment = _booked(today_session, patients[0])
    grant(hospital_a, PURPOSE)
    # When the desk scans them
    response = _scan(_reader(hospital_a), _token(patients[0]))
    # Then the gate refuses (and logs the denial) and the patient is not checked in
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_disclosed"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and appointment.queue_no is None
    assert [r.outcome for r in consent_selectors.access_log_list(citizen=patients[0])] == ["denied"]


def test_another_hospital_scanning_the_code_checks_nothing_in(today_session, patients, granted, hospital_b):
    # Given a patient booked at hospital A, consenting to registration anywhere
    appointment = _booked(today_session, patients[0])
    _consents(patients[0])
    # When hospital B scans their code
    response = _scan(_reader(hospital_b), _token(patients[0]))
    # Then B is told there is no appointment with it today, and A's appointment is untouched
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_appointment_today"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and appointment.queue_no is None


def test_an_unpaid_booking_is_not_checked_in(today_session, patients, granted, hospital_a):
    _booked(today_session, patients[0], paid=False)
    _consents(patients[0])
    response = _scan(_reader(hospital_a), _token(patients[0]))
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_paid"


def test_desk_staff_check_in_through_the_hospital_endpoint_and_other_staff_cannot(
        today_session, patients, granted, staff_a, staff_b):
    # Given a booked, consenting patient
    _booked(today_session, patients[0])
    _consents(patients[0])
    # When hospital B's desk staff try hospital A's check-in endpoint
    other = APIClient()
    other.force_authenticate(staff_b)
    refused = other.post("/api/v1/medical/hospitals/hospital-a/check-in", {"token": _token(patients[0])},
                         format="json")
    # Then they are refused before any scan, and nothing is logged against the patient
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_hospital_staff"
    assert list(consent_selectors.access_log_list(citizen=patients[0])) == []
    # When hospital A's desk checks them in
    desk = APIClient()
    desk.force_authenticate(staff_a)
    response = desk.post("/api/v1/medical/hospitals/hospital-a/check-in", {"token": _token(patients[0])},
                         format="json")
    # Then they get queue number 1, and the queue shows it (by number only)
    assert response.status_code == 200 and response.json()["queue_no"] == 1
    queue = desk.get(f"/api/v1/medical/hospitals/hospital-a/sessions/{today_session.pk}/queue").json()
    assert queue["now_serving"] == 1 and [w["queue_no"] for w in queue["waiting"]] == [1]
    assert "patient" not in str(queue["waiting"])
    # And after the doctor has seen them, the queue moves on
    seen = desk.post(f"/api/v1/medical/hospitals/hospital-a/appointments/{response.json()['appointment']}/fulfil")
    assert seen.status_code == 200 and seen.json()["status"] == "fulfilled"
    queue = desk.get(f"/api/v1/medical/hospitals/hospital-a/sessions/{today_session.pk}/queue").json()
    assert queue["now_serving"] is None and queue["seen"] == 1


def test_check_in_needs_the_booking_today_not_another_day(make_session, patients, granted, hospital_a):
    # Given a paid booking for tomorrow
    appointment = services.appointment_book(patient=patients[0], session=make_session())
    services.appointment_mark_paid(appointment=appointment, at=timezone.now())
    _consents(patients[0])
    # When they come today and are scanned
    response = _scan(_reader(hospital_a), _token(patients[0]))
    # Then they are not checked in
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_appointment_today"


def test_check_in_takes_the_earliest_open_session_and_skips_one_already_over(make_session, patients, hospital_a):
    # Given a patient with paid bookings today in a session already over, a later one and an earlier-open one
    now = timezone.localtime()
    if now.hour < 2 or now.hour >= 20:
        pytest.skip("needs room before and after now within today")
    over = make_session(date=now.date(), starts_at=dt.time(0, 0), ends_at=(now - dt.timedelta(minutes=30)).time(),
                        doctor_name="早医生")
    first = make_session(date=now.date(), starts_at=(now - dt.timedelta(minutes=20)).time(),
                         ends_at=(now + dt.timedelta(hours=1)).time(), doctor_name="甲医生")
    later = make_session(date=now.date(), starts_at=(now - dt.timedelta(minutes=10)).time(),
                         ends_at=(now + dt.timedelta(hours=2)).time(), doctor_name="乙医生")
    gone, a, b = (_booked(s, patients[0]) for s in (over, first, later))
    # When they are checked in twice (two visits today)
    one = services.appointment_check_in(hospital=hospital_a, patient=patients[0])
    two = services.appointment_check_in(hospital=hospital_a, patient=patients[0])
    # Then the earliest open session comes first, then the next; the one that is over is left alone
    assert (one.pk, two.pk) == (a.pk, b.pk) and one.queue_no == two.queue_no == 1
    gone.refresh_from_db()
    assert gone.status == AppointmentStatus.BOOKED and gone.queue_no is None
    # And a third check-in is refused as already checked in
    with pytest.raises(DomainError) as refused:
        services.appointment_check_in(hospital=hospital_a, patient=patients[0])
    assert refused.value.code == "already_checked_in"


def test_a_checked_in_patient_cannot_be_released_and_seen_is_idempotent(today_session, patients, hospital_a,
                                                                        staff_a, staff_b):
    _booked(today_session, patients[0])
    arrived = services.appointment_check_in(hospital=hospital_a, patient=patients[0])
    with pytest.raises(DomainError) as refused:
        services.appointment_release(appointment=arrived, reason="payment_failed")
    assert refused.value.code == "not_cancellable"
    # Staff of another hospital cannot mark A's patient as seen
    with pytest.raises(DomainError) as other:
        services.appointment_fulfil(by=staff_b, appointment=arrived)
    assert other.value.code == "not_hospital_staff"
    seen = services.appointment_fulfil(by=staff_a, appointment=arrived)
    again = services.appointment_fulfil(by=staff_a, appointment=arrived)
    assert seen.status == again.status == AppointmentStatus.FULFILLED


def test_fulfil_needs_a_checked_in_patient(today_session, patients, staff_a):
    waiting = _booked(today_session, patients[0])
    with pytest.raises(DomainError) as refused:
        services.appointment_fulfil(by=staff_a, appointment=waiting)
    assert refused.value.code == "not_checked_in"
