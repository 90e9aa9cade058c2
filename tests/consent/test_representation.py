"""Guardians act for minors (under 14) and named carers for elderly citizens: scoped, expiring, logged."""

import pytest

from apps.consent import services
from apps.consent.models import Consent
from citycode.errors import DomainError, Forbidden
from tests.consent.conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(make_citizen):
    return make_citizen(username="carol", name="陈可乐", birth="20150901")  # a minor


@pytest.fixture
def grandpa(make_citizen):
    return make_citizen(username="grandpa", name="陈爷爷", birth="19480101")


def test_a_minor_cannot_consent_alone_but_her_guardian_can(carol, alice):
    with pytest.raises(Forbidden) as exc:
        services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"])
    assert exc.value.code == "guardian_required"
    services.representation_create(representative=alice, represented=carol, kind="guardian",
                                   valid_until=later(days=365))
    consent = services.consent_give(citizen=carol, purpose="venue.entry", categories=["identity.adult"], actor=alice)
    assert consent.given_by_label == "alice acting for carol"
    assert consent.citizen == carol


def test_representation_is_scoped_to_purposes_and_expires(grandpa, alice):
    representation = services.representation_create(
        representative=alice, represented=grandpa, kind="carer", valid_until=later(days=30),
        purposes=["medical.registration"])
    services.consent_give(citizen=grandpa, purpose="medical.registration", categories=["identity.name"], actor=alice)
    # Outside the scope: refused
    with pytest.raises(Forbidden) as exc:
        services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"], actor=alice)
    assert exc.value.code == "not_a_representative"
    # After expiry: refused
    type(representation).objects.filter(pk=representation.pk).update(valid_from=later(days=-60),
                                                                       valid_until=later(seconds=-1))
    with pytest.raises(Forbidden) as exc:
        services.consent_give(citizen=grandpa, purpose="medical.registration", categories=["identity.name"],
                              actor=alice)
    assert exc.value.code == "not_a_representative"


def test_a_carer_may_withdraw_for_the_person_and_it_is_logged(grandpa, alice):
    services.representation_create(representative=alice, represented=grandpa, kind="carer", valid_until=later(days=30))
    consent = services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"])
    services.consent_withdraw(consent=consent, actor=alice)
    assert Consent.objects.get(pk=consent.pk).withdrawn_by_label == "alice acting for grandpa"


def test_guardians_only_for_minors_and_carers_only_for_the_elderly(alice, make_citizen):
    adult = make_citizen(username="dave", name="戴维", birth="19900101")
    with pytest.raises(DomainError) as exc:
        services.representation_create(representative=alice, represented=adult, kind="guardian",
                                       valid_until=later(days=1))
    assert exc.value.code == "not_a_minor"
    with pytest.raises(DomainError) as exc:
        services.representation_create(representative=alice, represented=adult, kind="carer",
                                       valid_until=later(days=1))
    assert exc.value.code == "not_elderly"


def test_a_stranger_cannot_consent_for_someone(alice, grandpa):
    with pytest.raises(Forbidden) as exc:
        services.consent_give(citizen=grandpa, purpose="venue.entry", categories=["identity.adult"], actor=alice)
    assert exc.value.code == "not_a_representative"


def test_a_representation_naming_an_unknown_purpose_is_the_one_unknown_purpose_404(grandpa, alice):
    # When a carer is named for a purpose the city does not know
    with pytest.raises(DomainError) as exc:
        services.representation_create(representative=alice, represented=grandpa, kind="carer",
                                       purposes=["venue.entry", "no.such.purpose"], valid_until=later(days=30))
    # Then it is the same unknown_purpose, with the same 404, as everywhere else; and nothing is written
    assert (exc.value.code, exc.value.status_code) == ("unknown_purpose", 404)
    assert not grandpa.representations_of.exists()
