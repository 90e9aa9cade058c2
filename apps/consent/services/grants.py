"""Access grants: the city's authorization of one organization for one purpose."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.consent.errors import ConsentErrorCode
from apps.identity import permissions as identity_permissions
from apps.identity.models import ApiClient, Citizen, Organization
from citycode.errors import DomainError, Forbidden

from ..models import AccessGrant, LegalBasis, Purpose
from ..permissions import is_data_bureau_client
from .catalogue import _purpose

DATA_BUREAU_SLUG = "data-bureau"


def _approver_label(approved_by: Citizen | ApiClient | None) -> str:
    """The label of a data-bureau administrator (a person or a `consent.admin` API client); refuses anyone else."""
    if isinstance(approved_by, ApiClient):
        if not is_data_bureau_client(approved_by):
            raise Forbidden(ConsentErrorCode.NOT_DATA_BUREAU, _("Only the data bureau may approve access grants."))
        return f"api-client {approved_by.name} of {approved_by.organization.slug}"
    if isinstance(approved_by, Citizen):
        bureau = Organization.objects.filter(slug=DATA_BUREAU_SLUG).first()
        if not (approved_by.is_superuser or (bureau is not None and identity_permissions.user_can(
                user=approved_by, perm=identity_permissions.MANAGE, organization=bureau))):
            raise Forbidden(ConsentErrorCode.NOT_DATA_BUREAU, _("Only the data bureau may approve access grants."))
        return approved_by.username
    raise DomainError(ConsentErrorCode.INVALID_APPROVER, _("A grant needs an approver."))


def grant_needs_second_approver(purpose: Purpose) -> bool:
    """A grant that lets an organization read without consent (statutory, emergency) or read sensitive data
    is a proposal a second data-bureau administrator approves; other grants still need the citizen's consent."""
    return purpose.legal_basis != LegalBasis.CONSENT or purpose.categories.filter(sensitive=True).exists()


@transaction.atomic
def access_grant_create(
    *,
    organization: Organization,
    purpose: str | Purpose,
    approved_by: Citizen | ApiClient,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> AccessGrant:
    """Authorize an organization for a purpose (approved by a data-bureau admin or a `consent.admin` API client).

    Only for purposes that need consent and no sensitive data; any other grant is a proposal
    (`access_grant_propose`) that a second administrator approves: Forbidden `proposal_required`.
    """
    the_purpose = _purpose(purpose)
    label = _approver_label(approved_by)
    if grant_needs_second_approver(the_purpose):
        raise Forbidden(ConsentErrorCode.PROPOSAL_REQUIRED,
                        _("A grant of a statutory, emergency or sensitive purpose needs a "
                                               "proposal that a second data-bureau administrator approves."))
    return _grant_save(organization=organization, purpose=the_purpose, approved_by=approved_by, label=label,
                       valid_from=valid_from, valid_until=valid_until)


def _grant_check(*, valid_from: dt.datetime | None, valid_until: dt.datetime | None) -> None:
    if valid_until is not None and valid_until <= (valid_from or timezone.now()):
        raise ValidationError({"valid_until": ValidationError(_("The grant must end after it starts."),
                                                              code="invalid_period")})


def _grant_save(*, organization: Organization, purpose: Purpose, approved_by: Citizen | ApiClient, label: str,
                valid_from: dt.datetime | None, valid_until: dt.datetime | None) -> AccessGrant:
    the_purpose = purpose
    grant = AccessGrant(
        organization=organization,
        purpose=the_purpose,
        valid_from=valid_from or timezone.now(),
        valid_until=valid_until,
        approved_by_user=approved_by if isinstance(approved_by, Citizen) else None,
        approved_by_client=approved_by if isinstance(approved_by, ApiClient) else None,
        approved_by_label=label,
    )
    _grant_check(valid_from=grant.valid_from, valid_until=valid_until)
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
