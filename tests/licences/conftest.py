"""Fixtures for licences: the traffic police's licence office, a C1 driving-licence type, alice holding one,
a traffic-police verifier (statutory grant) and a hotel (consent grant, alice's consent)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.codes import selectors as codes_selectors
from apps.codes import tokens
from apps.consent import services as consent_services
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from apps.licences import services
from tests.consent.conftest import bureau_admin, grant, second_admin  # noqa: F401  (fixtures)

DRIVING_FIELDS = [
    {"key": "vehicle_class", "kind": "string", "label_zh": "准驾车型", "label_en": "Vehicle class"},
    {"key": "first_issued", "kind": "date", "label_zh": "初次领证日期", "label_en": "First issued"},
    {"key": "address", "kind": "string", "label_zh": "住址", "label_en": "Address"},
]
PURPOSE_FIELDS = {
    "licence.traffic_check": ["vehicle_class", "valid_until", "identifier", "name"],
    "hotel.check_in": ["age_over_18", "name"],
}


@pytest.fixture
def office(make_org):
    return make_org("traffic-police", Organization.Kind.LICENCE_OFFICE, name="市公安局交通警察支队")


@pytest.fixture
def clerk(office):
    user = Citizen.objects.create(username="clerk", name="窗口民警")
    identity_services.membership_set(user=user, organization=office, role="staff")
    return user


@pytest.fixture
def driving_type(office, clerk):
    return services.licence_type_define(
        office=office, by=clerk, type_code="JSZC1", authority_code="11500000MB1234567X", label_zh="机动车驾驶证（C1）",
        label_en="Driving licence (C1)", category="licence.driving", fields=DRIVING_FIELDS,
        purpose_fields=PURPOSE_FIELDS, validity_days=6 * 365)


@pytest.fixture
def alice(make_citizen):
    return make_citizen(username="alice", name="李爱丽", birth="19900307")


@pytest.fixture
def licence(driving_type, alice, clerk):
    return services.licence_issue(licence_type=driving_type, citizen=alice, issued_by=clerk, values={
        "vehicle_class": "C1", "first_issued": "2012-05-01", "address": "渝中区解放碑路1号"})


@pytest.fixture
def police(make_org, grant):  # noqa: F811
    org = make_org("traffic-patrol", Organization.Kind.DEPARTMENT)
    grant(org, "licence.traffic_check")
    return org


@pytest.fixture
def hotel(make_org, grant, alice):  # noqa: F811
    org = make_org("harbour-hotel", Organization.Kind.VENUE)
    grant(org, "hotel.check_in")
    consent_services.consent_give(citizen=alice, purpose="hotel.check_in",
                                  categories=["identity.adult", "identity.name"], organization=org)
    return org


def verifier_state():
    """What a verifier's device holds after a refresh: the trust list and status lists, as JSON it downloaded."""
    trust = tokens.TrustList.from_json(json.loads(json.dumps(codes_selectors.trust_list_payload_get())))
    return trust, codes_selectors.live_status_lists_get()


def in_days(days):
    return timezone.localdate() + dt.timedelta(days=days)
