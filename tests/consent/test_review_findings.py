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


@pytest.fixture
def carol(make_citizen):
    return make_citizen(username="carol", name="陈可乐", birth="20150901")  # a minor


def test_a_former_guardians_export_does_not_follow_what_happened_to_the_consent_after_him(
        signed_in, make_citizen, bob, carol):
    # Given bob gave venue.entry for carol while he was her guardian, and the bureau then ended his guardianship
    guardianship = services.representation_create(representative=bob, represented=carol, kind="guardian",
                                                  valid_until=later(days=365))
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    services.representation_revoke(representation=guardianship)
    # And her new guardian withdrew it
    dave = make_citizen(username="dave-new-guardian", name="新监护人", birth="19800101")
    services.representation_create(representative=dave, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    services.consent_withdraw(consent=consent, actor=dave)
    # When bob downloads his export
    response = signed_in(bob).get("/api/v1/me/export")
    # Then it records what he did for carol, but never who acts for her now nor what became of the consent
    assert response.status_code == 200
    [given] = response.json()["representations"]["consents_given_for_others"]
    assert given["id"] == consent.pk and given["given_by"] == "bob acting for carol"
    assert "dave-new-guardian" not in response.content.decode()
    assert given.get("withdrawn_at") is None and given.get("status") in (None, "given")


def test_a_guardians_export_keeps_his_own_withdrawal_for_the_child(signed_in, bob, carol):
    # Given bob gave and then withdrew venue.entry for carol
    services.representation_create(representative=bob, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    services.consent_withdraw(consent=consent, actor=bob)
    # When he downloads his export
    [given] = signed_in(bob).get("/api/v1/me/export").json()["representations"]["consents_given_for_others"]
    # Then his own withdrawal is part of what he did
    assert given["withdrawn_by"] == "bob acting for carol" and given["withdrawn_at"] is not None
