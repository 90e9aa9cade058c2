"""Health on the ride code (issue 9, item 7): the colour reaches a reader only with the rider's separate consent
AND while an epidemic emergency covers it, through the consent gate (logged); otherwise the certificate carries
nothing about health."""

import datetime as dt
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from apps.codes.plugin_api import CodeType, registry
from apps.consent import services as consent_services
from apps.consent.models import AccessLog
from apps.consent.selectors import purpose_get
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from apps.transit import reader as reader_logic
from apps.transit import ride_code, services
from apps.transit.models import RideAccount

from .conftest import jwk_of

pytestmark = pytest.mark.django_db
PURPOSE = services.HEALTH_PURPOSE


class _HealthStandIn(CodeType):
    """Stands in for the health app (not built yet): the one provider of health.colour, always yellow."""

    key = "health-stand-in"
    label_zh, label_en = "健康码", "Health code"
    provides = frozenset({"health.colour"})

    def claims_for(self, citizen):
        return None

    def provide(self, *, citizen, categories):
        return {"health.colour": "yellow"}


@pytest.fixture
def health_provider(monkeypatch):
    stand_in = _HealthStandIn()
    monkeypatch.setitem(registry._types, stand_in.key, stand_in)
    monkeypatch.setitem(registry._providers, "health.colour", stand_in)
    return stand_in


@pytest.fixture
def admins(make_org):
    bureau = make_org("data-bureau", Organization.Kind.DEPARTMENT)
    first = Citizen.objects.create(username="bureau-admin", name="数据局管理员")
    second = Citizen.objects.create(username="bureau-admin-2", name="数据局复核员")
    for user in (first, second):
        identity_services.membership_set(user=user, organization=bureau, role="admin")
    return first, second


@pytest.fixture
def granted(operator, admins):
    """The bus operator holds the city's grant for the health purpose (two administrators approved it)."""
    proposal = consent_services.access_grant_propose(organization=operator, purpose=PURPOSE, proposed_by=admins[0],
                                                     legal_reference="传染病防治法")
    return consent_services.proposal_approve(proposal=proposal, approved_by=admins[1]).grant


def _emergency(admins, *, hours=24):
    now = timezone.now()
    return consent_services.emergency_declare(name="Outbreak", legal_reference="传染病防治法 第三十九条",
                                              purposes=[PURPOSE], starts_at=now - dt.timedelta(hours=1),
                                              ends_at=now + dt.timedelta(hours=hours), declared_by=admins[0])


def _consent(citizen):
    return consent_services.consent_give(citizen=citizen, purpose=PURPOSE, categories=["health.colour"],
                                         sensitive_confirmed=True)


def _colour(rider, operator, bus_reader, package_of):
    key = ec.generate_private_key(ec.SECP256R1())
    issued = services.certificate_issue(account=RideAccount.objects.get(citizen=rider), operator=operator,
                                        device_jwk=jwk_of(key))
    code = ride_code.code_encode_device(certificate=issued.encoded, generated_at=int(time.time()), counter=1,
                                        device_key=key)
    verified = reader_logic.verify(code, package=package_of(bus_reader))
    assert verified.health_colour == issued.health_colour
    return verified.health_colour, issued


def test_the_purpose_exists_as_an_epidemic_control_purpose_on_an_emergency_basis():
    purpose = purpose_get(code=PURPOSE)
    assert purpose is not None and purpose.epidemic_control and purpose.legal_basis == "emergency"
    assert list(purpose.categories.values_list("code", flat=True)) == ["health.colour"]


def test_with_consent_during_an_emergency_the_reader_sees_the_colour_and_the_rider_sees_the_log(
        rider, operator, bus_reader, package_of, granted, admins, health_provider):
    # Given the rider's separate consent and an emergency covering the purpose
    _consent(rider)
    emergency = _emergency(admins)
    # When the wallet gets a certificate
    colour, issued = _colour(rider, operator, bus_reader, package_of)
    # Then the reader sees the colour, the certificate lives one hour at most, and the rider's log shows it
    assert colour == "yellow"
    assert issued.certificate.expires_at - issued.certificate.issued_at <= services.HEALTH_CERTIFICATE_LIFETIME
    row = AccessLog.objects.get(citizen_id=rider.pk, purpose_code=PURPOSE)
    assert (row.outcome, row.basis, row.emergency_id, row.organization_slug) == (
        "allowed", "emergency", emergency.pk, "city-bus")


def test_without_consent_the_emergency_alone_shows_nothing(rider, operator, bus_reader, package_of, granted,
                                                            admins, health_provider):
    _emergency(admins)
    colour, issued = _colour(rider, operator, bus_reader, package_of)
    assert colour is None and issued.health_colour is None
    # And the gate was not even asked: nothing about the rider's health moved
    assert not AccessLog.objects.filter(citizen_id=rider.pk, purpose_code=PURPOSE).exists()


def test_consent_without_an_emergency_shows_nothing(rider, operator, bus_reader, package_of, granted, admins,
                                                     health_provider):
    _consent(rider)
    colour, _issued = _colour(rider, operator, bus_reader, package_of)
    assert colour is None


def test_after_the_emergency_ends_or_the_consent_is_withdrawn_the_colour_is_gone(
        rider, operator, bus_reader, package_of, granted, admins, health_provider):
    consent = _consent(rider)
    emergency = _emergency(admins)
    assert _colour(rider, operator, bus_reader, package_of)[0] == "yellow"
    consent_services.consent_withdraw(consent=consent)
    assert _colour(rider, operator, bus_reader, package_of)[0] is None
    _consent(rider)
    consent_services.emergency_end(emergency=emergency)
    assert _colour(rider, operator, bus_reader, package_of)[0] is None


def test_an_operator_without_the_grant_gets_nothing_and_the_denial_is_logged(
        rider, operator, bus_reader, package_of, admins, health_provider):
    _consent(rider)
    _emergency(admins)
    colour, _issued = _colour(rider, operator, bus_reader, package_of)
    assert colour is None
    row = AccessLog.objects.get(citizen_id=rider.pk, purpose_code=PURPOSE)
    assert (row.outcome, row.reason) == ("denied", "no_grant")


def test_a_consent_for_another_operator_does_not_show_the_colour_to_this_one(
        rider, operator, other_operator, bus_reader, package_of, granted, admins, health_provider):
    consent_services.consent_give(citizen=rider, purpose=PURPOSE, categories=["health.colour"],
                                  organization=other_operator, sensitive_confirmed=True)
    _emergency(admins)
    assert _colour(rider, operator, bus_reader, package_of)[0] is None
