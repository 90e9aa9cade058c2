"""Contract of what apps.transit's fares, taps and money need from the plugin API (their section of plugin_api.py)."""

import pytest

from apps.codes import plugin_api
from apps.identity import services as identity
from apps.identity.models import Organization


@pytest.mark.django_db
def test_staff_can_act_only_for_the_organization_they_hold_a_role_in(make_org, make_citizen):
    # Given a staff member of one operator, a viewer of it, and a superuser with no role
    bus, metro = (make_org(s, kind=Organization.Kind.TRANSIT_OPERATOR) for s in ("bus-co", "metro-co"))
    staff, viewer, root = make_citizen(), make_citizen(), make_citizen()
    identity.membership_set(user=staff, organization=bus, role="staff")
    identity.membership_set(user=viewer, organization=bus, role="viewer")
    root.is_superuser = True
    root.save()
    # Then only the staff member acts, and only for their own operator
    assert plugin_api.staff_can_act(user=staff, organization=bus)
    assert not plugin_api.staff_can_act(user=staff, organization=metro)
    assert not plugin_api.staff_can_act(user=viewer, organization=bus)
    assert not plugin_api.staff_can_act(user=root, organization=bus)
    # And the list of organizations they act for filters by kind
    assert list(plugin_api.staff_organization_list(user=staff, kind="transit_operator")) == [bus]
    assert list(plugin_api.staff_organization_list(user=staff, kind="hospital")) == []


def test_domain_error_type_catches_what_domain_error_builds():
    from citycode.error_codes import ErrorCode

    error = plugin_api.domain_error(ErrorCode.BAD_REQUEST, "bad")
    assert isinstance(error, plugin_api.domain_error_type())
    assert not isinstance(ValueError("x"), plugin_api.domain_error_type())


def test_the_transit_fares_names_are_exported():
    for name in ("domain_error_type", "staff_can_act", "staff_organization_list"):
        assert name in plugin_api.__all__ and callable(getattr(plugin_api, name))
