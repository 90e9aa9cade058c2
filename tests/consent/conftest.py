import contextlib
import datetime as dt

import pytest
from django.utils import timezone

from apps.consent import services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization


@pytest.fixture
def bureau_admin(db, make_org):
    """A data-bureau administrator: the person who approves grants and declares emergencies."""
    bureau = make_org("data-bureau", Organization.Kind.DEPARTMENT)
    user = Citizen.objects.create(username="bureau-admin", name="数据局管理员")
    identity_services.membership_set(user=user, organization=bureau, role="admin")
    return user


@pytest.fixture
def second_admin(bureau_admin):
    """A second data-bureau administrator: approves what the first one proposes (the two-person rule)."""
    bureau = Organization.objects.get(slug="data-bureau")
    user = Citizen.objects.create(username="bureau-admin-2", name="数据局复核员")
    identity_services.membership_set(user=user, organization=bureau, role="admin")
    return user


@pytest.fixture
def library(make_org):
    return make_org("city-library", Organization.Kind.VENUE)


@pytest.fixture
def hospital(make_org):
    return make_org("city-hospital", Organization.Kind.HOSPITAL)


@pytest.fixture
def grant(bureau_admin, second_admin):
    """Grant a purpose: directly for a consent purpose, else proposed by one administrator, approved by another."""

    def make(organization, purpose, **kw):
        if not services.grant_needs_second_approver(services._purpose(purpose)):
            return services.access_grant_create(organization=organization, purpose=purpose,
                                                approved_by=bureau_admin, **kw)
        proposal = services.access_grant_propose(organization=organization, purpose=purpose,
                                                 proposed_by=bureau_admin, legal_reference="test statute", **kw)
        return services.proposal_approve(proposal=proposal, approved_by=second_admin).grant

    return make


@pytest.fixture
def alice(make_citizen):
    return make_citizen(username="alice", name="李爱丽")


def later(**kw):
    return timezone.now() + dt.timedelta(**kw)


# The real Celery worker fixture, for the integration test of the retention task.
from tests.integration.conftest import celery_worker  # noqa: E402, F401


@contextlib.contextmanager
def as_database_superuser():
    """Act like someone with full database access: on PostgreSQL, with the append-only trigger switched off
    (session_replication_role = replica). This is how the tests tamper with, or age, access-log rows."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
