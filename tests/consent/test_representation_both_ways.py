"""Representation works both ways: the representative sees, gives and withdraws for the person they act for,
and the represented person sees who acts for them and (an adult's carer) ends it."""

import pytest

from apps.consent import services
from apps.consent.models import Consent
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
def carol(make_citizen):
    return make_citizen(username="carol", name="陈可乐", birth="20150901")  # a minor


@pytest.fixture
def grandpa(make_citizen):
    return make_citizen(username="grandpa", name="陈爷爷", birth="19480101")


@pytest.fixture
def guardianship(bob, carol):
    return services.representation_create(representative=bob, represented=carol, kind="guardian",
                                          valid_until=later(days=365))


def test_a_guardian_withdraws_through_the_api_what_he_gave_for_the_minor(signed_in, bob, carol, guardianship):
    # Given bob gave venue.entry for carol through the API
    client = signed_in(bob)
    given = client.post("/api/v1/me/consents", {"purpose": "venue.entry", "categories": ["identity.adult"],
                                                 "on_behalf_of": carol.pk}, format="json")
    assert given.status_code == 201, given.content
    # When he withdraws it through the same endpoint a citizen uses for their own
    response = client.post(f"/api/v1/me/consents/{given.json()['id']}/withdraw")
    # Then it is withdrawn, and carol's record says who did it
    assert response.status_code == 200, response.content
    consent = Consent.objects.get(pk=given.json()["id"])
    assert consent.citizen == carol and consent.withdrawn_at is not None
    assert consent.withdrawn_by_label == "bob acting for carol"
    # And carol's own consent history shows it withdrawn by bob
    mine = signed_in(carol).get("/api/v1/me/consents").json()
    assert [(c["id"], c["status"], c["withdrawn_by"]) for c in mine] == [
        (consent.pk, "withdrawn", "bob acting for carol")]


def test_a_stranger_cannot_withdraw_someone_elses_consent(signed_in, make_citizen, bob, carol, guardianship):
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    stranger = make_citizen(username="mallory")
    response = signed_in(stranger).post(f"/api/v1/me/consents/{consent.pk}/withdraw")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is None


def test_an_ended_guardianship_no_longer_lets_him_withdraw(signed_in, bob, carol, guardianship):
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    services.representation_revoke(representation=guardianship)
    response = signed_in(bob).post(f"/api/v1/me/consents/{consent.pk}/withdraw")
    assert response.status_code == 404
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is None


def test_a_carer_outside_the_purpose_scope_is_refused(signed_in, bob, grandpa):
    services.representation_create(representative=bob, represented=grandpa, kind="carer",
                                   valid_until=later(days=30), purposes=["medical.registration"])
    consent = services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"])
    response = signed_in(bob).post(f"/api/v1/me/consents/{consent.pk}/withdraw")
    # refused as if it did not exist: a 403 not_a_representative would confirm grandpa holds such a consent
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is None


def test_the_guardian_lists_the_people_he_acts_for_with_their_consents(signed_in, bob, carol, guardianship,
                                                                      make_citizen):
    # Given a consent bob gave for carol, and another citizen's consent he has nothing to do with
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    other = make_citizen(username="dave")
    services.consent_give(citizen=other, purpose="venue.entry", categories=["identity.adult"])
    # When he lists the people he acts for
    response = signed_in(bob).get("/api/v1/me/acting-for")
    # Then carol is there with her consent, and nobody else
    assert response.status_code == 200
    [person] = response.json()
    assert person["citizen_id"] == carol.pk and person["username"] == "carol"
    assert person["kind"] == "guardian" and person["representation_id"] == guardianship.pk
    assert [c["id"] for c in person["consents"]] == [consent.pk]
    assert person["consents"][0]["given_by"] == "bob acting for carol"


def test_the_represented_person_sees_who_acts_for_them(signed_in, bob, carol, guardianship):
    response = signed_in(carol).get("/api/v1/me/representatives")
    assert response.status_code == 200
    [row] = response.json()
    assert row["representation_id"] == guardianship.pk and row["username"] == "bob" and row["kind"] == "guardian"
    assert row["can_end"] is False  # a minor cannot dismiss her guardian


def test_an_elderly_citizen_ends_her_carers_relationship_herself(signed_in, bob, grandpa):
    # Given bob is grandpa's carer
    representation = services.representation_create(representative=bob, represented=grandpa, kind="carer",
                                                    valid_until=later(days=30))
    assert signed_in(grandpa).get("/api/v1/me/representatives").json()[0]["can_end"] is True
    # When grandpa ends it
    response = signed_in(grandpa).post(f"/api/v1/me/representations/{representation.pk}/end")
    # Then it is ended and bob can no longer act for him
    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None
    assert signed_in(bob).get("/api/v1/me/acting-for").json() == []
    given = signed_in(bob).post("/api/v1/me/consents", {"purpose": "venue.entry", "categories": ["identity.adult"],
                                                        "on_behalf_of": grandpa.pk}, format="json")
    assert given.status_code == 403


def test_a_minor_cannot_end_her_guardianship_and_a_stranger_cannot_end_anything(signed_in, carol, guardianship,
                                                                                make_citizen):
    response = signed_in(carol).post(f"/api/v1/me/representations/{guardianship.pk}/end")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "guardian_not_endable"
    stranger = make_citizen(username="mallory")
    response = signed_in(stranger).post(f"/api/v1/me/representations/{guardianship.pk}/end")
    assert response.status_code == 404
    guardianship.refresh_from_db()
    assert guardianship.revoked_at is None


def test_the_guardian_may_step_down(signed_in, bob, guardianship):
    response = signed_in(bob).post(f"/api/v1/me/representations/{guardianship.pk}/end")
    assert response.status_code == 200
    guardianship.refresh_from_db()
    assert guardianship.revoked_at is not None
