"""Who may manage the consent catalogue and grants through the API."""

from apps.identity.models import ApiClient, Organization
from apps.identity.permissions import HasApiScope, client_has_scope

ADMIN_SCOPE = "consent.admin"


def is_data_bureau_client(client: object) -> bool:
    """An API client of a city department whose key carries the consent.admin scope.

    The scope alone is not enough: a venue's or a hospital's key must never approve grants, whatever
    scopes an operator typed when creating it.
    """
    return (
        isinstance(client, ApiClient)
        and client.revoked_at is None
        and client.organization.kind == Organization.Kind.DEPARTMENT
        and client_has_scope(client, ADMIN_SCOPE)
    )


class IsDataBureauClient(HasApiScope):
    required_scope = ADMIN_SCOPE

    def has_permission(self, request, view) -> bool:
        return is_data_bureau_client(request.auth)
