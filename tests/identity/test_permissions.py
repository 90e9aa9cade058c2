"""Staff act for their own organization only; role changes take effect at once."""

import pytest
from django.core.exceptions import ValidationError

from apps.identity import permissions, selectors, services
from apps.identity.models import Citizen, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_hospitals(make_org):
    return make_org("hospital-a", kind="hospital"), make_org("hospital-b", kind="hospital")


@pytest.fixture
def staff(make_citizen):
    return make_citizen(username="nurse")


def _can(user, org):
    return {
        "manage": permissions.user_can(user=user, perm=permissions.MANAGE, organization=org),
        "act": permissions.user_can(user=user, perm=permissions.ACT, organization=org),
        "view": permissions.user_can(user=user, perm=permissions.VIEW_RECORDS, organization=org),
    }


NOTHING = {"manage": False, "act": False, "view": False}


def test_staff_of_a_act_for_a_and_not_for_b(staff, two_hospitals):
    a, b = two_hospitals
    # Given staff membership in hospital A
    services.membership_set(user=staff, organization=a, role=Membership.Role.STAFF)
    # Then they may act and view records for A, not manage it, and nothing at all for B
    assert _can(staff, a) == {"manage": False, "act": True, "view": True}
    assert _can(staff, b) == NOTHING
    assert list(permissions.organizations_for(user=staff)) == [a]


def test_roles_grant_exactly_their_permissions(staff, two_hospitals):
    a, _b = two_hospitals
    expected = {
        "admin": {"manage": True, "act": True, "view": True},
        "staff": {"manage": False, "act": True, "view": True},
        "viewer": {"manage": False, "act": False, "view": True},
    }
    for role, can in expected.items():
        services.membership_set(user=staff, organization=a, role=role)
        assert _can(Citizen.objects.get(pk=staff.pk), a) == can


def test_a_role_change_takes_effect_on_the_same_user_object_at_once(staff, two_hospitals):
    a, _b = two_hospitals
    # Given an admin, whose permissions have been checked (and so could be cached) on this very object
    services.membership_set(user=staff, organization=a, role="admin")
    assert _can(staff, a)["manage"] is True
    # When another request (another object for the same person) demotes them to viewer
    services.membership_set(user=Citizen.objects.get(pk=staff.pk), organization=a, role="viewer")
    # Then both the old object and a fresh one see the change at once
    assert _can(staff, a) == {"manage": False, "act": False, "view": True}
    assert _can(Citizen.objects.get(pk=staff.pk), a) == {"manage": False, "act": False, "view": True}
    assert Membership.objects.get(user=staff, organization=a).role == "viewer"


def test_removal_takes_effect_at_once(staff, two_hospitals):
    a, b = two_hospitals
    services.membership_set(user=staff, organization=a, role="admin")
    services.membership_set(user=staff, organization=b, role="viewer")
    assert _can(staff, a)["act"] is True
    services.membership_remove(user=Citizen.objects.get(pk=staff.pk), organization=a)
    assert _can(staff, a) == NOTHING
    assert _can(staff, b)["view"] is True  # the other membership is untouched
    assert list(permissions.organizations_for(user=staff, perm=permissions.VIEW_RECORDS)) == [b]
    assert not Membership.objects.filter(user=staff, organization=a).exists()


def test_an_inactive_organization_denies_everyone(staff, two_hospitals):
    a, _b = two_hospitals
    services.membership_set(user=staff, organization=a, role="admin")
    a.is_active = False
    a.save()
    assert _can(staff, a) == NOTHING
    assert list(permissions.organizations_for(user=staff)) == []


def test_an_inactive_person_can_do_nothing(staff, two_hospitals):
    a, _b = two_hospitals
    services.membership_set(user=staff, organization=a, role="admin")
    staff.is_active = False
    staff.save()
    assert _can(Citizen.objects.get(pk=staff.pk), a) == NOTHING


def test_membership_is_unique_per_person_and_organization(staff, two_hospitals):
    a, _b = two_hospitals
    services.membership_set(user=staff, organization=a, role="staff")
    services.membership_set(user=staff, organization=a, role="admin")
    assert list(selectors.membership_list(user=staff).values_list("role", flat=True)) == ["admin"]


def test_an_unknown_role_is_refused_and_writes_nothing(staff, two_hospitals):
    a, _b = two_hospitals
    with pytest.raises(ValidationError) as caught:
        services.membership_set(user=staff, organization=a, role="owner")
    assert caught.value.error_dict["role"][0].code == "invalid_choice"
    assert not Membership.objects.exists()
    assert _can(staff, a) == NOTHING


def test_an_api_client_holds_no_staff_permission(two_hospitals):
    a, _b = two_hospitals
    client, _key = services.api_client_create(organization=a, name="kiosk")
    assert permissions.user_can(user=client, perm=permissions.ACT, organization=a) is False
    assert list(permissions.organizations_for(user=client)) == []


def test_me_lists_the_memberships(citizen_api, two_hospitals):
    a, b = two_hospitals
    services.membership_set(user=citizen_api.citizen, organization=b, role="viewer")
    services.membership_set(user=citizen_api.citizen, organization=a, role="staff")
    memberships = citizen_api.get("/api/v1/me").json()["memberships"]
    assert [(m["organization"], m["role"]) for m in memberships] == [("hospital-a", "staff"), ("hospital-b", "viewer")]


def test_a_platform_superuser_acts_for_no_organization_without_a_membership(make_citizen, two_hospitals):
    a, b = two_hospitals
    # Given a platform operator (Django superuser) who is staff of hospital A only
    root = make_citizen(username="root")
    root.is_superuser = root.is_staff = True
    root.save()
    services.membership_set(user=root, organization=a, role=Membership.Role.STAFF)
    root = Citizen.objects.get(pk=root.pk)
    # Then the superuser flag adds nothing: they act for A by their role, and for B not at all
    assert _can(root, a) == {"manage": False, "act": True, "view": True}
    assert _can(root, b) == NOTHING
    assert list(permissions.organizations_for(user=root)) == [a]


def test_the_holder_of_a_key_must_be_a_member_of_its_organization(make_org, make_citizen):
    from django.core.exceptions import ValidationError

    from apps.identity import services
    from apps.identity.models import ApiClient

    library = make_org("city-library")
    outsider = make_citizen(username="outsider")
    # When a key is created for someone who is not a member, then it is refused and no key exists
    with pytest.raises(ValidationError) as refused:
        services.api_client_create(organization=library, name="gate", holder=outsider)
    assert refused.value.error_dict["holder"][0].code == "holder_not_member"
    assert not ApiClient.objects.exists()
    services.membership_set(user=outsider, organization=library, role="staff")
    client, _key = services.api_client_create(organization=library, name="gate", holder=outsider)
    assert client.holder == outsider
