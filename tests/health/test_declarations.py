"""Daily declarations: one a day, today or yesterday only, symptoms from a closed list; the colour follows at once."""

import datetime as dt

import pytest

from apps.health import selectors
from apps.health.models import Declaration
from apps.identity import services as identity_services

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api, regions, resident):
    citizen, _ = resident("42")
    _t, plain = identity_services.auth_token_issue(user=citizen)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    api.citizen = citizen
    return api


def test_a_fever_declaration_turns_a_hubei_citizen_yellow_at_once(signed_in, frozen_now):
    answer = signed_in.post("/api/v1/me/health/declarations",
                            {"date": NOW.date().isoformat(), "fever": True, "symptoms": ["cough"]}, format="json")
    assert answer.status_code == 201, answer.json()
    assert (answer.json()["colour"], answer.json()["reasons"]) == ("yellow", ["fever_declared"])
    assert Declaration.objects.get(citizen=signed_in.citizen).unwell is True


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"date": (NOW.date() + dt.timedelta(days=1)).isoformat(), "fever": False}, 400, "declaration_date"),
    ({"date": (NOW.date() - dt.timedelta(days=2)).isoformat(), "fever": False}, 400, "declaration_date"),
    ({"date": NOW.date().isoformat(), "fever": False, "symptoms": ["drinking"]}, 400, "unknown_symptom"),
    ({"date": NOW.date().isoformat(), "fever": "maybe"}, 400, "validation_error"),
])
def test_a_bad_declaration_is_refused_with_a_code_and_nothing_is_stored(signed_in, frozen_now, body, status, code):
    answer = signed_in.post("/api/v1/me/health/declarations", body, format="json")
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert not Declaration.objects.exists()
    assert selectors.colour_get(citizen=signed_in.citizen) is None


def test_one_declaration_a_day(signed_in, frozen_now):
    body = {"date": NOW.date().isoformat(), "fever": False}
    assert signed_in.post("/api/v1/me/health/declarations", body, format="json").status_code == 201
    again = signed_in.post("/api/v1/me/health/declarations", {**body, "fever": True}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_declared")
    assert Declaration.objects.get().fever is False


def test_an_organization_s_api_key_cannot_declare_for_anyone(api, regions, make_org, frozen_now):
    org = make_org("some-venue")
    _client, key = identity_services.api_client_create(organization=org, name="gate", scopes=[])
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    answer = api.post("/api/v1/me/health/declarations", {"date": NOW.date().isoformat(), "fever": True},
                      format="json")
    assert answer.status_code == 403
    assert not Declaration.objects.exists()
