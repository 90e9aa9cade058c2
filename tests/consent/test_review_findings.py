"""Holes found by the hostile review of issues 7 and 13: each test failed before its fix."""

import pytest

from apps.consent import services
from apps.identity import services as identity_services
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api):
    def sign_in(citizen):
        _token, plain = identity_services.auth_token_issue(user=citizen)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        return api

    return sign_in


@pytest.fixture
def bob(make_citizen):
    return make_citizen(username="bob", name="王博", birth="19850615")


@pytest.fixture
def grandpa(make_citizen):
    return make_citizen(username="grandpa", name="陈爷爷", birth="19480101")


@pytest.fixture
def scoped_carer(bob, grandpa):
    """bob is grandpa's carer for hospital registration only."""
    return services.representation_create(representative=bob, represented=grandpa, kind="carer",
                                          valid_until=later(days=30), purposes=["medical.registration"])


def test_a_scoped_carer_does_not_see_consents_outside_his_scope_in_the_api(signed_in, bob, grandpa, scoped_carer):
    # Given grandpa consented to venue.entry himself, a purpose bob's care does not cover
    services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"])
    # When bob lists the people he acts for
    response = signed_in(bob).get("/api/v1/me/acting-for")
    # Then grandpa is there, but none of his consents outside medical.registration are shown to bob
    assert response.status_code == 200
    [person] = response.json()
    assert person["citizen_id"] == grandpa.pk
    assert person["consents"] == []


def test_a_scoped_carer_does_not_see_consents_outside_his_scope_on_the_page(client, bob, grandpa, scoped_carer):
    # Given grandpa's own venue.entry consent, outside bob's scope
    services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"])
    client.force_login(bob)
    # When bob opens "people I act for"
    response = client.get("/consents/representation/", HTTP_ACCEPT_LANGUAGE="en")
    # Then the page names grandpa but never lists that consent
    assert response.status_code == 200
    assert [row["consent"] for row in response.context["people"][0]["consents"]] == []
