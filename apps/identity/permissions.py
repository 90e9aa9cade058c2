"""Staff-on-organization permissions. The only module that calls django-guardian."""

from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm
from rest_framework.permissions import BasePermission

from .models import ApiClient, Citizen, Membership, Organization

MANAGE = "identity.manage_organization"
ACT = "identity.act_for_organization"
VIEW_RECORDS = "identity.view_organization_records"

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Membership.Role.ADMIN: (MANAGE, ACT, VIEW_RECORDS),
    Membership.Role.STAFF: (ACT, VIEW_RECORDS),
    Membership.Role.VIEWER: (VIEW_RECORDS,),
}
ALL_PERMISSIONS = (MANAGE, ACT, VIEW_RECORDS)


def apply_role(*, user: Citizen, organization: Organization, role: str) -> None:
    """Make the user's guardian permissions on this organization exactly those of the role."""
    granted = set(ROLE_PERMISSIONS[role])
    for perm in ALL_PERMISSIONS:
        if perm in granted:
            assign_perm(perm, user, organization)
        else:
            remove_perm(perm, user, organization)


def clear_roles(*, user: Citizen, organization: Organization) -> None:
    for perm in ALL_PERMISSIONS:
        remove_perm(perm, user, organization)


def user_can(*, user: Citizen, perm: str, organization: Organization) -> bool:
    # Only people hold staff permissions; an API client (also "authenticated") acts through its scopes.
    if not isinstance(user, Citizen) or not user.is_authenticated:
        return False
    if not organization.is_active:
        return False
    # One query against guardian's rows, never user.has_perm: that says yes to a superuser for every object
    # (acting for an organization takes a role in it, whoever the person is), and it caches per user object, so
    # a role removed a moment ago would stay alive on a user object still in hand.
    return user.is_active and organizations_for(user=user, perm=perm).filter(pk=organization.pk).exists()


def organizations_for(*, user: Citizen, perm: str = ACT) -> QuerySet[Organization]:
    if not isinstance(user, Citizen) or not user.is_authenticated:
        return Organization.objects.none()
    return get_objects_for_user(
        user, perm, klass=Organization, accept_global_perms=False, with_superuser=False
    ).filter(is_active=True)


class IsCitizen(BasePermission):
    """A signed-in person (bearer token or session), not a machine."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, Citizen) and request.user.is_active


class IsApiClient(BasePermission):
    """A machine authenticated with `Authorization: Api-Key <key>`."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiClient)


def client_has_scope(client: ApiClient, scope: str) -> bool:
    return scope in (client.scopes or [])


class HasApiScope(BasePermission):
    """API client whose key carries the view's `required_scope`."""

    def has_permission(self, request, view) -> bool:
        client = request.auth
        return isinstance(client, ApiClient) and client_has_scope(client, view.required_scope)
