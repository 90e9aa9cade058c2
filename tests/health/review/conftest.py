"""Fixtures of the review tests (manual changes, appeals, the purpose key, the colour at /scan)."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization

EPIDEMIC = "health.epidemic_control"


@pytest.fixture
def bureau(db, make_org):
    """Two data-bureau administrators (the two-person rule for statutory grants) and the bureau."""
    organization = Organization.objects.filter(slug="data-bureau").first() or make_org("data-bureau")
    first = Citizen.objects.create(username="hc-bureau-1", name="数据局管理员")
    second = Citizen.objects.create(username="hc-bureau-2", name="数据局复核员")
    for user in (first, second):
        identity_services.membership_set(user=user, organization=organization, role="admin")
    return {"org": organization, "admin": first, "second": second}


@pytest.fixture
def commission(db, make_org):
    return Organization.objects.filter(slug="health-commission").first() or make_org("health-commission")


def _staff(make_citizen, commission, username):
    user = make_citizen(username=username, name="卫健委工作人员")
    identity_services.membership_set(user=user, organization=commission, role="staff")
    return user


@pytest.fixture
def officer(make_citizen, commission):
    return _staff(make_citizen, commission, "hc-officer-1")


@pytest.fixture
def officer2(make_citizen, commission):
    return _staff(make_citizen, commission, "hc-officer-2")


@pytest.fixture
def citizen(make_citizen):
    return make_citizen(username="hc-citizen", name="陈市民")


@pytest.fixture
def statutory_grant(bureau):
    """Grant a statutory purpose the only way there is: one bureau administrator proposes, another approves."""

    def make(organization, purpose=EPIDEMIC):
        proposal = consent_services.access_grant_propose(organization=organization, purpose=purpose,
                                                         proposed_by=bureau["admin"], legal_reference="传染病防治法")
        return consent_services.proposal_approve(proposal=proposal, approved_by=bureau["second"]).grant

    return make


@pytest.fixture
def emergency(bureau):
    """An emergency covering epidemic control, from an hour ago for thirty days."""
    now = timezone.now()
    return consent_services.emergency_declare(
        name="新冠肺炎疫情应急响应", legal_reference="突发公共卫生事件应急条例", purposes=[EPIDEMIC],
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=30), declared_by=bureau["admin"])


@pytest.fixture
def checkpoint(make_org, statutory_grant):
    """An epidemic-control checkpoint with an active grant and an API key: (organization, key, client)."""
    organization = make_org("metro-checkpoint", Organization.Kind.DEPARTMENT)
    grant = statutory_grant(organization)
    client, key = identity_services.api_client_create(organization=organization, name="gate 1")
    return {"org": organization, "key": key, "client": client, "grant": grant}


@pytest.fixture
def bank(make_org):
    """A bank with an API key and no epidemic-control grant."""
    organization = make_org("rural-bank", Organization.Kind.DEPARTMENT)
    client, key = identity_services.api_client_create(organization=organization, name="teller app")
    return {"org": organization, "key": key, "client": client}


def signed_in(api, user):
    """An API client signed in as this person (bearer token)."""
    _token, plain = identity_services.auth_token_issue(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return api


def log_in_page(client, user):
    client.force_login(user)
    return client
