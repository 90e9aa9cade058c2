"""The booking API for citizens and the hospital API for staff: bad input is a 4xx with a code, and staff of one
hospital see and change nothing of another's."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.medical import services
from apps.medical.models import Appointment, ClinicSession

pytestmark = pytest.mark.django_db


def _as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_citizen_sees_places_left_books_and_cancels_through_the_api(citizen_api, session):
    # Given an open session with 3 places
    listed = citizen_api.get("/api/v1/medical/sessions", {"hospital": "hospital-a"})
    assert listed.status_code == 200
    assert [(s["id"], s["places_left"]) for s in listed.json()] == [(session.pk, 3)]
    # When the citizen books it (twice with one key: a retry)
    body = {"session": session.pk, "idempotency_key": "tap-1"}
    first = citizen_api.post("/api/v1/medical/appointments", body, format="json")
    retry = citizen_api.post("/api/v1/medical/appointments", body, format="json")
    # Then one booking holds place 1, pending payment, and the list shows 2 places left
    assert first.status_code == 201 and retry.status_code == 201 and first.json()["id"] == retry.json()["id"]
    assert first.json()["status"] == "pending" and first.json()["place_no"] == 1
    assert citizen_api.get("/api/v1/medical/sessions").json()[0]["places_left"] == 2
    mine = citizen_api.get("/api/v1/me/medical/appointments").json()
    assert [a["id"] for a in mine] == [first.json()["id"]]
    # When they cancel it
    cancelled = citizen_api.post(f"/api/v1/me/medical/appointments/{first.json()['id']}/cancel")
    # Then it is cancelled and the place is back
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert citizen_api.get("/api/v1/medical/sessions").json()[0]["places_left"] == 3


@pytest.mark.parametrize("body,code", [
    ({}, "validation_error"),
    ({"session": "x"}, "validation_error"),
    ({"session": -1}, "validation_error"),
    ({"session": 10**9}, "session_not_found"),
    ({"session": 1, "idempotency_key": "k" * 65}, "validation_error"),
])
def test_bad_booking_input_is_a_4xx_with_a_code_and_writes_nothing(citizen_api, session, body, code):
    response = citizen_api.post("/api/v1/medical/appointments", body, format="json")
    assert 400 <= response.status_code < 500 and response.json()["error"]["code"] == code
    assert not Appointment.objects.exists()


def test_a_full_session_and_a_double_booking_answer_409(citizen_api, make_session, make_citizen):
    session = make_session(capacity=1)
    assert citizen_api.post("/api/v1/medical/appointments", {"session": session.pk}, format="json").status_code == 201
    twice = citizen_api.post("/api/v1/medical/appointments", {"session": session.pk}, format="json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] in ("session_full", "already_booked")
    full = _as(make_citizen()).post("/api/v1/medical/appointments", {"session": session.pk}, format="json")
    assert full.status_code == 409 and full.json()["error"]["code"] == "session_full"


def test_a_citizen_cannot_see_or_cancel_another_s_appointment(citizen_api, session, make_citizen):
    # Given someone else's booking
    other = make_citizen()
    theirs = services.appointment_book(patient=other, session=session)
    # When this citizen lists, cancels or reads it as FHIR
    listed = citizen_api.get("/api/v1/me/medical/appointments").json()
    cancel = citizen_api.post(f"/api/v1/me/medical/appointments/{theirs.pk}/cancel")
    read = citizen_api.get(f"/api/v1/me/medical/appointments/{theirs.pk}/fhir")
    # Then it is invisible to them and untouched
    assert listed == [] and cancel.status_code == 404 and read.status_code == 404
    assert cancel.json()["error"]["code"] == "appointment_not_found"
    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_an_api_client_cannot_book_for_anyone(session, hospital_a):
    from apps.identity import services as identity_services

    _client, key = identity_services.api_client_create(organization=hospital_a, name="kiosk")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = api.post("/api/v1/medical/appointments", {"session": session.pk}, format="json")
    assert response.status_code == 403 and not Appointment.objects.exists()


def test_staff_of_hospital_a_cannot_see_or_change_hospital_b(make_session, staff_a, staff_b, hospital_b, patients):
    # Given a session of hospital B with a booking in it
    b_session = make_session(hospital=hospital_b, by=staff_b, doctor_name="乙医生")
    services.appointment_book(patient=patients[0], session=b_session)
    a = _as(staff_a)
    # When A's staff ask for B's appointments and queue, through B's URL or their own
    paths = [
        f"/api/v1/medical/hospitals/hospital-b/sessions/{b_session.pk}/appointments",
        f"/api/v1/medical/hospitals/hospital-b/sessions/{b_session.pk}/queue",
    ]
    for path in paths:
        response = a.get(path)
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_hospital_staff"
    for path in (p.replace("hospital-b", "hospital-a") for p in paths):
        response = a.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "session_not_found"
    # And when they try to publish a session for B's doctor, at B or at A
    body = {"doctor": b_session.doctor_id, "date": str(timezone.localdate()), "starts_at": "13:00",
            "ends_at": "17:00", "capacity": 5, "fee_fen": 500}
    assert a.post("/api/v1/medical/hospitals/hospital-b/sessions", body, format="json").status_code == 403
    at_a = a.post("/api/v1/medical/hospitals/hospital-a/sessions", body, format="json")
    assert at_a.status_code == 404 and at_a.json()["error"]["code"] == "doctor_not_found"
    # Then B's schedule is unchanged
    assert ClinicSession.objects.filter(hospital=hospital_b).count() == 1
    # And B's own staff see their appointment, by number only (no patient data)
    mine = _as(staff_b).get(paths[0])
    assert mine.status_code == 200 and [e["place_no"] for e in mine.json()] == [1]
    assert set(mine.json()[0]) == {"appointment", "queue_no", "place_no", "status", "checked_in_at"}


def test_staff_publish_sessions_for_their_own_doctors(make_session, staff_a, session):
    body = {"doctor": session.doctor_id, "date": str(session.date), "starts_at": "13:00", "ends_at": "17:00",
            "capacity": 20, "fee_fen": 1500, "registration_level": "expert"}
    created = _as(staff_a).post("/api/v1/medical/hospitals/hospital-a/sessions", body, format="json")
    assert created.status_code == 201 and created.json()["places_left"] == 20
    # The same doctor, day and start again is refused by the constraint, with a field message
    again = _as(staff_a).post("/api/v1/medical/hospitals/hospital-a/sessions", body, format="json")
    assert again.status_code == 400
    # Bad times are a 400 too, never a 500
    body.update(starts_at="18:00", ends_at="09:00")
    assert _as(staff_a).post("/api/v1/medical/hospitals/hospital-a/sessions", body, format="json").status_code == 400


def test_a_citizen_without_a_role_is_not_staff(citizen_api, session):
    response = citizen_api.get(f"/api/v1/medical/hospitals/hospital-a/sessions/{session.pk}/queue")
    assert response.status_code == 403
    assert citizen_api.get(f"/api/v1/medical/hospitals/nowhere/sessions/{session.pk}/queue").status_code == 404
