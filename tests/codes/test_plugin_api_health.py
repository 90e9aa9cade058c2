"""The plugin API's section for apps.health: the keyed ID-number hash is core's, staff checks are core's."""

import pytest

from apps.codes import plugin_api
from apps.identity import idnumbers
from apps.identity import services as identity_services
from apps.identity.models import Citizen, Organization
from citycode import errors
from tests.conftest import valid_id_number


def test_the_id_number_hash_is_the_one_core_stores(db, make_citizen):
    number = valid_id_number(region="420102", birth="19880808", sequence="808")
    citizen = make_citizen(id_number=number)
    assert plugin_api.id_number_hash(number) == idnumbers.keyed_hash(number) == Citizen.objects.get(
        pk=citizen.pk).id_hash
    # lower-case x and surrounding spaces normalize like registration does
    assert plugin_api.id_number_hash(f"  {number.lower()} ") == citizen.id_hash


@pytest.mark.parametrize(("number", "code"), [("123", "id_length"), ("11010519491231002Y", "id_format"),
                                              ("110105194912310021", "id_checksum")])
def test_an_invalid_id_number_is_refused_with_identity_s_reason(number, code):
    with pytest.raises(plugin_api.IdNumberInvalid) as refused:
        plugin_api.id_number_hash(number)
    assert refused.value.code == code
    assert number not in str(refused.value)


def test_staff_acts_for_only_its_active_organization(db, make_citizen):
    org = identity_services.organization_create(slug="hc", name="hc", kind=Organization.Kind.DEPARTMENT)
    other = identity_services.organization_create(slug="other", name="o", kind=Organization.Kind.DEPARTMENT)
    staff, viewer, stranger = make_citizen(), make_citizen(), make_citizen()
    identity_services.membership_set(user=staff, organization=org, role="staff")
    identity_services.membership_set(user=viewer, organization=org, role="viewer")
    assert plugin_api.organization_by_slug("hc") == org
    assert plugin_api.organization_by_slug("nope") is None
    assert plugin_api.staff_acts_for(user=staff, organization=org)
    assert not plugin_api.staff_acts_for(user=staff, organization=other)
    assert not plugin_api.staff_acts_for(user=viewer, organization=org)
    assert not plugin_api.staff_acts_for(user=stranger, organization=org)
    Organization.objects.filter(pk=org.pk).update(is_active=False)
    assert plugin_api.organization_by_slug("hc") is None


def test_the_lazy_names_are_core_s_own_classes():
    assert plugin_api.DomainError is errors.DomainError and plugin_api.Forbidden is errors.Forbidden
    assert plugin_api.NotFound is errors.NotFound and plugin_api.Conflict is errors.Conflict
    with pytest.raises(AttributeError):
        plugin_api.no_such_name  # noqa: B018
