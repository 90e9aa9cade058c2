"""Access grants: the city's authorization of one organization for one purpose."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.identity import permissions as identity_permissions
from apps.identity.models import ApiClient, Citizen, Organization
from citycode.errors import DomainError, Forbidden

from ..models import AccessGrant, Purpose
from ..permissions import is_data_bureau_client
from .catalogue import _purpose

DATA_BUREAU_SLUG = "data-bureau"


def _approver_label(approved_by) -> str:
    if isinstance(approved_by, ApiClient):
        if not is_data_bureau_client(approved_by):
            raise Forbidden("not_data_bureau", _("Only the data bureau may approve access grants."))
        return f"api-client {approved_by.name} of {approved_by.organization.slug}"
    if isinstance(approved_by, Citizen):
        bureau = Organization.objects.filter(slug=DATA_BUREAU_SLUG).first()
        if not (approved_by.is_superuser or (bureau is not None and identity_permissions.user_can(
                user=approved_by, perm=identity_permissions.MANAGE, organization=bureau))):
            raise Forbidden("not_data_bureau", _("Only the data bureau may approve access grants."))
        return approved_by.username
    raise DomainError("invalid_approver", _("A grant needs an approver."))


@transaction.atomic
def access_grant_create(
    *,
    organization: Organization,
    purpose: str | Purpose,
    approved_by: Citizen | ApiClient,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> AccessGrant:
    """Authorize an organization for a purpose (approved by a data-bureau admin or a `consent.admin` API client)."""
    the_purpose = _purpose(purpose)
    label = _approver_label(approved_by)
    grant = AccessGrant(
        organization=organization,
        purpose=the_purpose,
        valid_from=valid_from or timezone.now(),
        valid_until=valid_until,
        approved_by_user=approved_by if isinstance(approved_by, Citizen) else None,
        approved_by_client=approved_by if isinstance(approved_by, ApiClient) else None,
        approved_by_label=label,
    )
    if valid_until is not None and valid_until <= grant.valid_from:
        raise ValidationError({"valid_until": ValidationError(_("The grant must end after it starts."),
                                                              code="invalid_period")})
    grant.full_clean()
    grant.save()
    return grant


@transaction.atomic
def access_grant_revoke(*, grant: AccessGrant, revoked_by: Citizen | ApiClient) -> AccessGrant:
    """Revoke a grant; the very next disclose() under it is denied (`grant_revoked`). Idempotent."""
    grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.state == AccessGrant.State.REVOKED:
        return grant
    grant.state = AccessGrant.State.REVOKED
    grant.revoked_at = timezone.now()
    grant.revoked_by_label = _approver_label(revoked_by)
    grant.full_clean()
    grant.save()
    return grant
