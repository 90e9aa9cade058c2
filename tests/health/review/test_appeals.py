"""Appeals: a citizen disputes a colour with evidence; the commission answers within 48 hours or the appeal
escalates (frozen clock); an accepted appeal recolours through colour_set (cause appeal) and records why."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.codes.plugin_api import DomainError
from apps.health import review_services, selectors, services, tasks
from apps.health.models import Alert, Appeal
from tests.health.review.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock that the test moves by hand (timezone.now everywhere, tasks included)."""
    start = timezone.now()

    class Clock:
        now = start

        def advance(self, **kw):
            self.now += dt.timedelta(**kw)

    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def red_citizen(citizen, officer):
    services.colour_set(citizen=citizen, to_colour="red", cause="manual", reason_code="close_contact",
                        legal_reference="test", decided_by=officer)
    return citizen


def _file(citizen, **kw):
    values = {"grounds": "negative_test", "statement": "我当天不在该场所，核酸阴性。", "evidence_reference": "NAT-0613"}
    return review_services.appeal_file(citizen=citizen, **(values | kw))


def test_an_unanswered_appeal_escalates_after_48_hours_and_not_before(clock, red_citizen):
    # given an appeal filed now
    appeal = _file(red_citizen)
    assert appeal.due_at == clock.now + dt.timedelta(hours=48)
    # when the beat task runs 47 hours 59 minutes later, nothing escalates
    clock.advance(hours=47, minutes=59)
    assert tasks.appeals_escalate() == 0
    appeal.refresh_from_db()
    assert appeal.state == "open"
    # when it runs after 48 hours, the appeal escalates and the commission and bureau get an alert
    clock.advance(minutes=1)
    assert tasks.appeals_escalate() == 1
    appeal.refresh_from_db()
    assert (appeal.state, appeal.escalated_at) == ("escalated", clock.now)
    assert Alert.objects.filter(kind="appeal_overdue", subject=f"appeal:{appeal.pk}").count() == 1
    # and running it again escalates nothing twice
    clock.advance(hours=1)
    assert tasks.appeals_escalate() == 0
    assert Alert.objects.filter(kind="appeal_overdue").count() == 1


def test_an_answered_appeal_never_escalates(clock, red_citizen, officer2):
    appeal = _file(red_citizen)
    review_services.appeal_answer(appeal=appeal, answered_by=officer2, accept=False, answer="密接判定有据")
    clock.advance(hours=72)
    assert tasks.appeals_escalate() == 0
    appeal.refresh_from_db()
    assert appeal.state == "rejected"


def test_an_accepted_appeal_recolours_through_colour_set_and_records_why(red_citizen, officer2):
    appeal = _file(red_citizen)
    # when a commission officer accepts it
    answered = review_services.appeal_answer(appeal=appeal, answered_by=officer2, accept=True,
                                             answer="核酸阴性且未到该场所，改为绿码", to_colour="green")
    # then the colour is green by an appeal transition that points back at the appeal and says why
    assert answered.state == "accepted" and answered.to_colour == "green"
    assert selectors.colour_get(citizen=red_citizen).colour == "green"
    latest = selectors.transition_list(citizen=red_citizen).first()
    assert latest.cause == "appeal" and latest.decided_by == officer2
    assert latest.detail["appeal"] == appeal.pk and "核酸阴性" in latest.detail["answer"]
    assert answered.transition == latest


def test_an_escalated_appeal_can_still_be_answered(clock, red_citizen, officer2):
    appeal = _file(red_citizen)
    clock.advance(hours=49)
    tasks.appeals_escalate()
    answered = review_services.appeal_answer(appeal=Appeal.objects.get(pk=appeal.pk), answered_by=officer2,
                                             accept=True, answer="逾期复核：证据成立", to_colour="green")
    assert answered.state == "accepted"


def test_nobody_answers_their_own_appeal_and_an_answer_needs_reasons(red_citizen, commission):
    from apps.identity import services as identity_services

    # given the disputing citizen is (also) staff of the commission
    identity_services.membership_set(user=red_citizen, organization=commission, role="staff")
    appeal = _file(red_citizen)
    with pytest.raises(DomainError) as exc:
        review_services.appeal_answer(appeal=appeal, answered_by=red_citizen, accept=True, answer="我自己批准")
    assert exc.value.code == "own_appeal"
    assert selectors.colour_get(citizen=red_citizen).colour == "red"
    # and the database refuses it even written directly
    appeal.state, appeal.answered_by, appeal.answered_at, appeal.answer = "rejected", red_citizen, timezone.now(), "x"
    with pytest.raises(IntegrityError), transaction.atomic():
        appeal.save()


def test_a_green_citizen_has_nothing_to_appeal_and_one_appeal_waits_at_a_time(citizen, red_citizen):
    other = Appeal.objects.none()
    assert not other.exists()
    _file(red_citizen)
    with pytest.raises(DomainError) as exc:
        _file(red_citizen)
    assert exc.value.code == "appeal_open"


def test_green_has_nothing_to_appeal(citizen):
    with pytest.raises(DomainError) as exc:
        _file(citizen)
    assert exc.value.code == "nothing_to_appeal"


def test_a_stranger_cannot_answer_and_the_api_answers_with_codes(api, red_citizen, officer2, make_citizen):
    appeal = _file(red_citizen)
    stranger = make_citizen(username="stranger")
    url = f"/api/v1/health/review/appeals/{appeal.pk}/answer"
    response = signed_in(api, stranger).post(url, {"accept": True, "answer": "ok"}, format="json")
    assert response.status_code == 403
    # the citizen sees their own appeals only; the officer sees the queue
    mine = signed_in(api, red_citizen).get("/api/v1/health/me/appeals").json()
    assert [a["id"] for a in mine] == [appeal.pk]
    assert signed_in(api, stranger).get("/api/v1/health/me/appeals").json() == []
    queue = signed_in(api, officer2).get("/api/v1/health/review/appeals").json()
    assert [a["id"] for a in queue] == [appeal.pk]
    response = api.post(url, {"accept": True, "answer": "证据成立", "to_colour": "green"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "accepted"


def test_filing_through_the_api(api, red_citizen):
    signed_in(api, red_citizen)
    response = api.post("/api/v1/health/appeals", {"grounds": "nonsense", "statement": "x"}, format="json")
    assert response.status_code == 400
    response = api.post("/api/v1/health/appeals", {"grounds": "not_there", "statement": "我没去过"}, format="json")
    assert response.status_code == 201 and response.json()["state"] == "open"
