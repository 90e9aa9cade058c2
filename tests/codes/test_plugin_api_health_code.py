"""Contract of the plugin-API wrappers the health code's review part uses (apps/codes/plugin_api.py, section
"needed by apps.health (health_code)"): each says what core says, and nothing more."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.codes import keys, plugin_api
from apps.consent import services as consent_services
from apps.identity import permissions
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization

EPIDEMIC = "health.epidemic_control"

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(make_org):
    organization = Organization.objects.filter(slug="data-bureau").first() or make_org("data-bureau")
    admins = [Citizen.objects.create(username=f"papi-bureau-{n}", name="数据局") for n in (1, 2)]
    for admin in admins:
        identity_services.membership_set(user=admin, organization=organization, role="admin")
    return {"admin": admins[0], "second": admins[1]}


@pytest.fixture
def checkpoint(make_org, bureau):
    organization = make_org("papi-checkpoint")
    proposal = consent_services.access_grant_propose(organization=organization, purpose=EPIDEMIC,
                                                     proposed_by=bureau["admin"], legal_reference="law")
    grant = consent_services.proposal_approve(proposal=proposal, approved_by=bureau["second"]).grant
    return {"org": organization, "grant": grant}


def test_every_name_is_exported():
    for name in ("api_client_permission", "emergency_active_get", "emergency_declare",
                 "emergency_last_end_get", "purpose_grant_active_check", "purpose_grant_list", "secret_key_derive"):
        assert name in plugin_api.__all__ and callable(getattr(plugin_api, name))


def test_the_permission_classes_are_identity_s():
    assert plugin_api.api_client_permission() is permissions.IsApiClient


def test_grant_check_follows_the_grant_s_life(checkpoint, bureau, make_org):
    assert plugin_api.purpose_grant_active_check(organization=checkpoint["org"], purpose=EPIDEMIC)
    assert checkpoint["org"] in plugin_api.purpose_grant_list(purpose=EPIDEMIC)
    # another organization, an unknown purpose, and a revoked grant all say no
    other = make_org("other-org", Organization.Kind.VENUE)
    assert not plugin_api.purpose_grant_active_check(organization=other, purpose=EPIDEMIC)
    assert not plugin_api.purpose_grant_active_check(organization=checkpoint["org"], purpose="no.such_purpose")
    assert plugin_api.purpose_grant_list(purpose="no.such_purpose") == []
    consent_services.access_grant_revoke(grant=checkpoint["grant"], revoked_by=bureau["admin"])
    assert not plugin_api.purpose_grant_active_check(organization=checkpoint["org"], purpose=EPIDEMIC)
    assert checkpoint["org"] not in plugin_api.purpose_grant_list(purpose=EPIDEMIC)


def test_emergency_state_before_during_and_after(bureau):
    now = timezone.now()
    assert plugin_api.emergency_active_get(purpose=EPIDEMIC) is None
    assert plugin_api.emergency_last_end_get(purpose=EPIDEMIC) is None
    emergency = plugin_api.emergency_declare(name="e", legal_reference="law", purposes=[EPIDEMIC],
                                             starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1),
                                             proposed_by=bureau["admin"], approved_by=bureau["second"])
    assert plugin_api.emergency_active_get(purpose=EPIDEMIC) == emergency
    assert emergency.declared_by_label.endswith(f"proposed by {bureau['admin'].username}")
    assert plugin_api.emergency_active_get(purpose=EPIDEMIC, now=now - dt.timedelta(hours=2)) is None
    assert plugin_api.emergency_active_get(purpose="venue.entry") is None
    consent_services.emergency_end(emergency=emergency)
    later = timezone.now() + dt.timedelta(seconds=1)
    assert plugin_api.emergency_active_get(purpose=EPIDEMIC, now=later) is None
    emergency.refresh_from_db()
    assert plugin_api.emergency_last_end_get(purpose=EPIDEMIC, now=later) == emergency.ends_at


def test_a_plugin_key_lives_in_its_own_namespace(settings):
    derived = plugin_api.secret_key_derive(info="health/purpose-keys/v1")
    assert len(derived) == 32 and derived == plugin_api.secret_key_derive(info="health/purpose-keys/v1")
    assert derived != plugin_api.secret_key_derive(info="health/purpose-keys/v2")
    # a plugin asking for core's own info string still gets a different key than core's
    assert plugin_api.secret_key_derive(info="citycode/issuer-keys/v1") != keys._derive(b"citycode/issuer-keys/v1")
    # and the key follows the platform's key-encryption key
    settings.CITYCODE_KEY_ENCRYPTION_KEY = "another-key-encryption-key"
    assert plugin_api.secret_key_derive(info="health/purpose-keys/v1") != derived
