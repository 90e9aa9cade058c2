"""Manual colour changes: a reason from the closed epidemiological list, a legal reference, and a second officer
who is never the requester. Nothing changes before the second officer approves; every change the citizen sees."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.codes.plugin_api import DomainError
from apps.health import review_services, selectors
from apps.health.models import Alert, ColourTransition, ManualChange
from tests.health.review.conftest import signed_in

pytestmark = pytest.mark.django_db

LAW = "《传染病防治法》第三十九条"


def _request(officer, citizen, **kw):
    values = {"to_colour": "red", "reason_code": "close_contact", "legal_reference": LAW} | kw
    return review_services.manual_change_request(requested_by=officer, citizen=citizen, **values)


def _colour(citizen):
    row = selectors.colour_get(citizen=citizen)
    return row.colour if row else "green"


def test_a_manual_red_without_a_second_approver_changes_nothing(officer, citizen):
    # given an officer requests a red code for a close contact
    change = _request(officer, citizen)
    # then the request waits, and the citizen's colour and history are untouched
    assert change.state == "pending"
    assert _colour(citizen) == "green"
    assert not ColourTransition.objects.filter(citizen=citizen).exists()


def test_the_requester_cannot_approve_their_own_request_in_the_service_or_the_database(officer, citizen):
    change = _request(officer, citizen)
    # when the requester approves it
    with pytest.raises(DomainError) as exc:
        review_services.manual_change_approve(change=change, approved_by=officer)
    # then it is refused, and nothing changed
    assert exc.value.code == "own_request" and exc.value.status_code == 403
    assert _colour(citizen) == "green"
    # and a write that bypasses the service is refused by the database check
    change.refresh_from_db()
    change.state, change.decided_by = "rejected", officer
    change.decided_at = change.requested_at
    with pytest.raises(IntegrityError), transaction.atomic():
        change.save()


def test_the_requester_cannot_reject_it_either(officer, citizen):
    change = _request(officer, citizen)
    with pytest.raises(DomainError) as exc:
        review_services.manual_change_reject(change=change, rejected_by=officer, note="never mind")
    assert exc.value.code == "own_request"


@pytest.mark.parametrize("reason", ["petition", "bank_depositor", "debt", "court_case", "drinking", ""])
def test_a_non_epidemic_reason_is_refused_by_the_service_and_the_database(officer, citizen, reason):
    # when an officer names anything outside the epidemiological list
    with pytest.raises(DomainError) as exc:
        _request(officer, citizen, reason_code=reason)
    # then it is refused with a machine-readable code and nothing is written
    assert exc.value.code == "reason_not_epidemic"
    assert not ManualChange.objects.exists()
    # and the database refuses such a row even when written directly
    row = ManualChange(citizen=citizen, to_colour="red", reason_code=reason or "x", legal_reference=LAW,
                       batch="b", requested_by=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_a_manual_change_needs_a_legal_reference(officer, citizen):
    with pytest.raises(DomainError) as exc:
        _request(officer, citizen, legal_reference="   ")
    assert exc.value.code == "legal_reference_required"


def test_someone_outside_the_health_commission_can_neither_request_nor_approve(officer, citizen, make_citizen):
    stranger = make_citizen(username="not-an-officer")
    with pytest.raises(DomainError) as exc:
        _request(stranger, citizen)
    assert exc.value.status_code == 403
    change = _request(officer, citizen)
    with pytest.raises(DomainError):
        review_services.manual_change_approve(change=change, approved_by=stranger)
    assert _colour(citizen) == "green"


def test_a_second_officer_s_approval_applies_it_as_a_transition_the_citizen_sees_with_its_reason(
        officer, officer2, citizen):
    change = _request(officer, citizen, note="同楼层密接")
    # when a second officer approves
    applied = review_services.manual_change_approve(change=change, approved_by=officer2)
    # then the colour changed through colour_set: one manual transition with reason and legal reference
    assert applied.state == "applied" and applied.decided_by == officer2
    assert _colour(citizen) == "red"
    [transition] = selectors.transition_list(citizen=citizen)
    assert (transition.cause, transition.reason_code, transition.legal_reference, transition.decided_by) == (
        "manual", "close_contact", LAW, officer2)
    # and it cannot be decided again
    with pytest.raises(DomainError) as exc:
        review_services.manual_change_reject(change=applied, rejected_by=officer2, note="x")
    assert exc.value.code == "already_decided"


def test_a_rejection_keeps_the_colour_and_says_why(officer, officer2, citizen):
    change = _request(officer, citizen)
    with pytest.raises(DomainError) as exc:
        review_services.manual_change_reject(change=change, rejected_by=officer2, note=" ")
    assert exc.value.code == "note_required"
    rejected = review_services.manual_change_reject(change=change, rejected_by=officer2, note="未见密接证据")
    assert rejected.state == "rejected" and _colour(citizen) == "green"


def test_an_officer_cannot_change_their_own_colour(officer, officer2):
    with pytest.raises(DomainError) as exc:
        _request(officer, officer)
    assert exc.value.code == "own_colour"


def test_a_batch_is_idempotent_and_a_large_one_raises_an_alert(officer, citizen, make_citizen, settings,
                                                               django_capture_on_commit_callbacks):
    # given a threshold of 3 for manual batches
    settings.CITYCODE_HEALTH_ALERT_MANUAL_BATCH = 3
    people = [citizen, *(make_citizen() for _ in range(3))]
    # when an officer requests the same batch twice
    with django_capture_on_commit_callbacks(execute=True):
        first = review_services.manual_change_batch_request(
            requested_by=officer, citizens=people, to_colour="red", reason_code="close_contact",
            legal_reference=LAW, batch="venue-scan-0613")
    again = review_services.manual_change_batch_request(
        requested_by=officer, citizens=people, to_colour="red", reason_code="close_contact", legal_reference=LAW,
        batch="venue-scan-0613")
    # then the second request returns the same rows and writes nothing
    assert [c.pk for c in again] == [c.pk for c in first]
    assert ManualChange.objects.count() == 4
    # and the commission and the data bureau see one alert for the batch
    [alert] = Alert.objects.filter(kind="manual_batch")
    assert (alert.subject, alert.count, alert.threshold) == ("venue-scan-0613", 4, 3)


def test_reds_tied_to_one_venue_raise_an_alert_but_a_small_number_does_not(officer, make_citizen, settings):
    settings.CITYCODE_HEALTH_ALERT_VENUE_REDS = 2
    people = [make_citizen() for _ in range(3)]
    for person in people[:2]:
        _request(officer, person, venue="V-3301-0042")
    review_services.alerts_check()
    assert not Alert.objects.filter(kind="venue_reds").exists()
    _request(officer, people[2], venue="V-3301-0042")
    review_services.alerts_check()
    [alert] = Alert.objects.filter(kind="venue_reds")
    assert (alert.subject, alert.count) == ("V-3301-0042", 3)


def test_the_api_takes_id_numbers_and_refuses_an_unknown_one_without_writing(api, officer, citizen):
    from tests.conftest import valid_id_number

    signed_in(api, officer)
    response = api.post("/api/v1/health/review/manual-changes/request", {
        "id_numbers": [valid_id_number(sequence="998")], "to_colour": "red", "reason_code": "close_contact",
        "legal_reference": LAW}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_citizens"
    assert not ManualChange.objects.exists()
    response = api.post("/api/v1/health/review/manual-changes/request", {
        "id_numbers": ["330106199003071230"], "to_colour": "red", "reason_code": "petition",
        "legal_reference": LAW}, format="json")
    assert response.status_code == 400 and "reason_code" in response.json()["error"]["fields"]


def test_the_api_approve_path_and_its_refusals(api, officer, officer2, citizen, make_citizen):
    change = _request(officer, citizen)
    url = f"/api/v1/health/review/manual-changes/{change.pk}/approve"
    # the requester is refused; a citizen outside the commission too; an unknown change is a 404
    assert signed_in(api, officer).post(url, {}, format="json").json()["error"]["code"] == "own_request"
    assert signed_in(api, make_citizen()).post(url, {}, format="json").status_code == 403
    assert signed_in(api, officer2).post("/api/v1/health/review/manual-changes/999999/approve", {},
                                         format="json").status_code == 404
    # the second officer's approval applies it
    response = signed_in(api, officer2).post(url, {"note": "核实"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "applied"
    assert _colour(citizen) == "red"


def test_model_validation_carries_the_human_messages(officer, citizen):
    row = ManualChange(citizen=citizen, to_colour="red", reason_code="petition", legal_reference="",
                       batch="b", requested_by=officer, decided_by=officer, state="pending")
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    # then each broken rule speaks in its own words (the constraints' human messages), not a bare constraint name
    text = " ".join(exc.value.messages)
    messages = {c.name: str(c.violation_error_message) for c in ManualChange._meta.constraints}
    assert messages["health_manual_second_officer"] in text
    assert messages["health_manual_decision_complete"] in text
    assert "health_manual" not in text


def test_an_officer_cannot_approve_a_change_of_their_own_colour(officer, officer2):
    # given officer A asks to turn officer B green again (a corrected record)
    from apps.health import services

    services.colour_set(citizen=officer2, to_colour="yellow", cause="manual", reason_code="medium_risk_area",
                        legal_reference=LAW, decided_by=officer)
    change = _request(officer, officer2, to_colour="green", reason_code="record_corrected")
    # then B cannot approve it: it would be his own colour
    with pytest.raises(DomainError) as exc:
        review_services.manual_change_approve(change=change, approved_by=officer2)
    assert exc.value.code == "own_colour"
    assert _colour(officer2) == "yellow"


def test_a_batch_key_reused_for_another_request_is_refused_not_quietly_returned(officer, officer2, citizen):
    first = _request(officer, citizen, batch="B-1")
    # the same request again returns it
    assert _request(officer, citizen, batch="B-1").pk == first.pk
    # another officer, or another colour, under the same key is refused
    for who, kw in ((officer2, {}), (officer, {"to_colour": "yellow"})):
        with pytest.raises(DomainError) as exc:
            _request(who, citizen, batch="B-1", **kw)
        assert exc.value.code == "batch_key_reused" and exc.value.status_code == 409
    assert ManualChange.objects.count() == 1
