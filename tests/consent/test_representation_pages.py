"""The "people I act for / who acts for me" page, driven with Django's test client."""

import pytest
from django.test import Client

from apps.consent import services
from apps.consent.models import Consent
from tests.conftest import PASSWORD
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(make_citizen):
    return make_citizen(username="bob", name="王博", birth="19850615")


@pytest.fixture
def carol(make_citizen):
    return make_citizen(username="carol", name="陈可乐", birth="20150901")


def client_of(citizen) -> Client:
    client = Client()
    assert client.login(username=citizen.username, password=PASSWORD)
    return client


def test_the_guardian_gives_and_withdraws_for_the_minor_from_the_page(bob, carol):
    # Given bob is carol's guardian
    services.representation_create(representative=bob, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    client = client_of(bob)
    page = client.get("/consents/representation/")
    assert page.status_code == 200 and "陈可乐" in page.content.decode()
    # When he gives venue.entry for her from the page
    response = client.post(f"/consents/acting-for/{carol.pk}/give",
                           {"purpose": "venue.entry", "categories": ["identity.adult"]})
    assert response.status_code == 302
    consent = Consent.objects.get(citizen=carol)
    assert consent.given_by_label == "bob acting for carol"
    # And withdraws it from the page
    response = client.post(f"/consents/acting-for/consents/{consent.pk}/withdraw")
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_by_label == "bob acting for carol"
    # Then carol's own consents page shows it withdrawn
    mine = client_of(carol).get("/consents/").content.decode()
    assert f'data-testid="consent-status-{consent.pk}" data-status="withdrawn"' in mine


def test_a_stranger_gets_404_and_changes_nothing(bob, carol, make_citizen):
    services.representation_create(representative=bob, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=bob)
    stranger = client_of(make_citizen(username="mallory"))
    assert stranger.post(f"/consents/acting-for/{carol.pk}/give",
                         {"purpose": "venue.entry", "categories": ["identity.adult"]}).status_code == 404
    assert stranger.post(f"/consents/acting-for/consents/{consent.pk}/withdraw").status_code == 404
    assert Consent.objects.filter(citizen=carol).count() == 1
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is None


def test_an_elderly_citizen_ends_her_carer_from_the_page(bob, make_citizen):
    grandpa = make_citizen(username="grandpa", name="陈爷爷", birth="19480101")
    representation = services.representation_create(representative=bob, represented=grandpa, kind="carer",
                                                    valid_until=later(days=30))
    client = client_of(grandpa)
    assert f'data-testid="end-representation-{representation.pk}"' in client.get("/consents/representation/") \
        .content.decode()
    assert client.post(f"/consents/representation/{representation.pk}/end").status_code == 302
    representation.refresh_from_db()
    assert representation.revoked_at is not None
