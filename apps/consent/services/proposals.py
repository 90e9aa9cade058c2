"""The two-person rule: a change to the catalogue, or a grant that reads without consent or reads sensitive data,
is proposed by one data-bureau administrator and applied only when a second one approves it.

The proposal rows are the bureau's audit trail (who proposed, who approved or rejected, when, on what legal
reference). A proposal is validated when made and again when approved: the catalogue may have moved on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.consent.errors import ConsentErrorCode
from apps.identity import permissions as identity_permissions
from apps.identity.models import ApiClient, Citizen, Organization
from citycode.errors import Conflict, Forbidden

from ..models import AccessGrant, CatalogueProposal, DataCategory, LegalBasis, Purpose
from .catalogue import (
    _purpose,
    _purpose_values,
    category_change_apply,
    category_change_check,
    category_upsert,
    purpose_change_apply,
    purpose_change_check,
    purpose_upsert,
)
from .emergencies import emergency_check, emergency_declare
from .grants import (
    DATA_BUREAU_SLUG,
    _approver_label,
    _grant_check,
    _grant_save,
    access_grant_create,
    access_grant_revoke,
    grant_needs_second_approver,
)

Principal = Citizen | ApiClient


def _person_of(who: Principal) -> Citizen:
    """The person answerable for a proposal or a decision: the user, or the holder of the key used.

    A key with no holder, or whose holder no longer manages the data bureau, decides nothing: otherwise one
    administrator with two keys (or a key and a log-in) would be two people.
    """
    if isinstance(who, Citizen):
        return who
    holder = who.holder
    bureau = Organization.objects.filter(slug=DATA_BUREAU_SLUG).first()
    if holder is None or not (bureau is not None and identity_permissions.user_can(
            user=holder, perm=identity_permissions.MANAGE, organization=bureau)):
        raise Forbidden(ConsentErrorCode.KEY_WITHOUT_HOLDER,
                        _("A catalogue proposal needs a person: this key has no holder who administers the data "
                          "bureau (create it with --holder)."))
    return holder


def bureau_decider(who: Principal) -> tuple[str, Citizen]:
    """The label and the person of a data-bureau administrator who decides something under the two-person rule
    (a proposal here, a department's code type in apps.codes); Forbidden for anyone else."""
    return _approver_label(who), _person_of(who)


def _proposal_new(*, kind: str, target: str, changes: dict[str, Any], proposed_by: Principal, legal_reference: str = "",
                  organization: Organization | None = None) -> CatalogueProposal:
    label = _approver_label(proposed_by)[:200]
    proposal = CatalogueProposal(
        kind=kind, target=target, organization=organization, changes=changes,
        legal_reference=legal_reference.strip(),
        proposed_by_user=proposed_by if isinstance(proposed_by, Citizen) else None,
        proposed_by_client=proposed_by if isinstance(proposed_by, ApiClient) else None,
        proposed_by_person=_person_of(proposed_by),
        proposed_by_label=label,
    )
    proposal.full_clean()
    proposal.save()
    return proposal


@transaction.atomic
def category_change_propose(
    *, code: str, label_zh: str, label_en: str, sensitive: bool, epidemic_only: bool | None = None,
    proposed_by: Principal, legal_reference: str = "",
) -> CatalogueProposal:
    """Propose a change of an existing data category (its labels, its sensitive flag)."""
    _approver_label(proposed_by)
    changes = category_change_check(code=code, label_zh=label_zh, label_en=label_en, sensitive=sensitive,
                                    epidemic_only=epidemic_only)
    return _proposal_new(kind=CatalogueProposal.Kind.CATEGORY_CHANGE, target=code, changes=changes,
                         proposed_by=proposed_by, legal_reference=legal_reference)


@transaction.atomic
def purpose_change_propose(
    *,
    code: str,
    label_zh: str,
    label_en: str,
    description_zh: str = "",
    description_en: str = "",
    legal_basis: str = LegalBasis.CONSENT,
    categories: list[str],
    retention_days: int,
    epidemic_control: bool | None = None,
    single_use: bool | None = None,
    proposed_by: Principal,
    legal_reference: str = "",
) -> CatalogueProposal:
    """Propose a change of an existing purpose (texts, bound, legal basis, retention, flags).

    A statutory basis needs `legal_reference`. On approval a change of the texts or the bound moves every live
    consent to the purpose to "needs renewal"."""
    _approver_label(proposed_by)
    changes = purpose_change_check(
        code=code, legal_reference=legal_reference, label_zh=label_zh, label_en=label_en,
        description_zh=description_zh, description_en=description_en, legal_basis=legal_basis,
        categories=categories, retention_days=retention_days, epidemic_control=epidemic_control,
        single_use=single_use,
    )
    return _proposal_new(kind=CatalogueProposal.Kind.PURPOSE_CHANGE, target=code, changes=changes,
                         proposed_by=proposed_by, legal_reference=legal_reference)


@transaction.atomic
def access_grant_propose(
    *,
    organization: Organization,
    purpose: str,
    proposed_by: Principal,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    legal_reference: str = "",
) -> CatalogueProposal:
    """Propose a grant. A grant of a statutory purpose needs the legal reference that obliges this organization."""
    _approver_label(proposed_by)
    the_purpose = _purpose(purpose)
    if the_purpose.legal_basis == LegalBasis.STATUTORY and not legal_reference.strip():
        raise ValidationError({"legal_reference": ValidationError(
            _("A statutory basis needs the legal reference (law and article)."), code="legal_reference_required")})
    _grant_check(valid_from=valid_from, valid_until=valid_until)
    changes = {"valid_from": valid_from.isoformat() if valid_from else None,
               "valid_until": valid_until.isoformat() if valid_until else None,
               # The purpose as it stood: a grant proposed while it needed consent must not be approved after it
               # became statutory (a free read nobody proposed).
               "purpose_base": _purpose_values(the_purpose)}
    return _proposal_new(kind=CatalogueProposal.Kind.GRANT, target=the_purpose.code, changes=changes,
                         organization=organization, proposed_by=proposed_by, legal_reference=legal_reference)


def _same_person(proposal: CatalogueProposal, who: Principal) -> bool:
    if isinstance(who, Citizen) and proposal.proposed_by_user_id == who.pk:
        return True
    if isinstance(who, ApiClient) and proposal.proposed_by_client_id == who.pk:
        return True
    return proposal.proposed_by_person_id == _person_of(who).pk


def _pending(proposal: CatalogueProposal, decided_by: Principal) -> tuple[CatalogueProposal, str]:
    proposal = CatalogueProposal.objects.select_for_update().get(pk=proposal.pk)
    label = _approver_label(decided_by)
    if proposal.state != CatalogueProposal.State.PENDING:
        raise Conflict(ConsentErrorCode.PROPOSAL_DECIDED, _("This proposal has already been decided."))
    if _same_person(proposal, decided_by):
        raise Forbidden(ConsentErrorCode.OWN_PROPOSAL,
                        _("A second data-bureau administrator must decide this proposal, "
                                          "not the one who proposed it."))
    return proposal, label


def _decided(proposal: CatalogueProposal, *, decided_by: Principal, label: str, state: str) -> CatalogueProposal:
    proposal.state = state
    proposal.decided_by_user = decided_by if isinstance(decided_by, Citizen) else None
    proposal.decided_by_client = decided_by if isinstance(decided_by, ApiClient) else None
    proposal.decided_by_person = _person_of(decided_by)
    proposal.decided_by_label = label[:200]
    proposal.decided_at = timezone.now()
    proposal.full_clean()
    proposal.save()
    return proposal


def _one_person_purposes(purposes: Iterable[Purpose]) -> list[Purpose]:
    """The purposes whose grants one administrator could make (consent, nothing sensitive)."""
    return [p for p in purposes if not grant_needs_second_approver(p)]


def _one_person_grants_end(purposes: list[Purpose], *, revoked_by: Principal) -> None:
    # Grants made while a purpose needed consent and read nothing sensitive were approved by one person for that
    # use only. If it now reads without consent or reads sensitive data, each must be proposed and approved again.
    for purpose in purposes:
        purpose.refresh_from_db()
        if grant_needs_second_approver(purpose):
            for grant in AccessGrant.objects.filter(purpose=purpose, state=AccessGrant.State.ACTIVE):
                access_grant_revoke(grant=grant, revoked_by=revoked_by)


@transaction.atomic
def emergency_propose(*, name: str, legal_reference: str, purposes: list[str], starts_at: dt.datetime,
                      ends_at: dt.datetime, proposed_by: Principal) -> CatalogueProposal:
    """Propose an emergency. While it lasts its purposes read without consent, so declaring one is a two-person act
    like a statutory grant; ending one early only takes access away and stays a one-person act."""
    label = _approver_label(proposed_by)
    emergency, covered = emergency_check(name=name, legal_reference=legal_reference, purposes=list(purposes),
                                         starts_at=starts_at, ends_at=ends_at, label=label)
    changes = {"name": emergency.name, "purposes": [p.code for p in covered], "starts_at": starts_at.isoformat(),
               "ends_at": ends_at.isoformat()}
    return _proposal_new(kind=CatalogueProposal.Kind.EMERGENCY, target=",".join(changes["purposes"])[:64],
                         changes=changes, proposed_by=proposed_by, legal_reference=legal_reference)


@transaction.atomic
def proposal_approve(*, proposal: CatalogueProposal, approved_by: Principal) -> CatalogueProposal:
    """Approve and apply a proposal: never by its proposer; the change is checked again as it now stands."""
    proposal, label = _pending(proposal, approved_by)
    if proposal.kind == CatalogueProposal.Kind.CATEGORY_CHANGE:
        # Grants of purposes that carry a category made sensitive are kept: the consents narrow instead (issue 13),
        # and the citizen's separate, explicit consent is still needed for the category.
        category_change_apply(code=proposal.target, changes=proposal.changes)
    elif proposal.kind == CatalogueProposal.Kind.PURPOSE_CHANGE:
        one_person = _one_person_purposes(Purpose.objects.filter(code=proposal.target))
        purpose_change_apply(code=proposal.target, changes=proposal.changes)
        _one_person_grants_end(one_person, revoked_by=approved_by)
    elif proposal.kind == CatalogueProposal.Kind.EMERGENCY:
        changes = proposal.changes
        starts_at, ends_at = (parse_datetime(changes[k]) for k in ("starts_at", "ends_at"))
        assert starts_at is not None and ends_at is not None, "an emergency proposal without its period"
        if ends_at <= timezone.now():
            raise Conflict(ConsentErrorCode.PROPOSAL_STALE, _("This emergency would already be over; propose again."))
        proposal.emergency = emergency_declare(
            name=changes["name"], legal_reference=proposal.legal_reference, purposes=changes["purposes"],
            starts_at=starts_at, ends_at=ends_at, declared_by=approved_by, proposed_by_label=proposal.proposed_by_label)
    else:
        valid_from, valid_until = (parse_datetime(v) if v else None
                                   for v in (proposal.changes.get("valid_from"), proposal.changes.get("valid_until")))
        # access_grant_propose, the only writer of grant proposals, always names the organization.
        assert proposal.organization is not None, "a grant proposal without an organization"
        if proposal.changes.get("purpose_base") not in (None, _purpose_values(_purpose(proposal.target))):
            raise Conflict(ConsentErrorCode.PROPOSAL_STALE,
                           _("The purpose changed after this proposal was made; propose again."))
        proposal.grant = _grant_save(
            organization=proposal.organization, purpose=_purpose(proposal.target), approved_by=approved_by,
            label=f"{label}, proposed by {proposal.proposed_by_label}"[:200],
            valid_from=valid_from, valid_until=valid_until,
        )
    return _decided(proposal, decided_by=approved_by, label=label, state=CatalogueProposal.State.APPROVED)


@transaction.atomic
def proposal_reject(*, proposal: CatalogueProposal, rejected_by: Principal) -> CatalogueProposal:
    """Reject a proposal (nothing changes). Not by its proposer, who may simply let it lapse."""
    proposal, label = _pending(proposal, rejected_by)
    return _decided(proposal, decided_by=rejected_by, label=label, state=CatalogueProposal.State.REJECTED)


# -- one entry point per kind: create directly what grants nothing, propose every change ---------------------------
# The API and the demo seed call these, so the line between "direct" and "two people" is drawn in one place.


@transaction.atomic
def category_submit(
    *, code: str, label_zh: str, label_en: str, sensitive: bool, epidemic_only: bool | None = None,
    submitted_by: Principal, legal_reference: str = "",
) -> DataCategory | CatalogueProposal:
    """A new category is created at once (it is bound to no purpose yet); a change of an existing one is proposed."""
    _approver_label(submitted_by)
    if not DataCategory.objects.filter(code=code).exists():
        return category_upsert(code=code, label_zh=label_zh, label_en=label_en, sensitive=sensitive,
                               epidemic_only=epidemic_only)
    return category_change_propose(code=code, label_zh=label_zh, label_en=label_en, sensitive=sensitive,
                                   epidemic_only=epidemic_only, proposed_by=submitted_by,
                                   legal_reference=legal_reference)


@transaction.atomic
def purpose_submit(*, code: str, submitted_by: Principal, legal_reference: str = "",
                   **fields: Any) -> Purpose | CatalogueProposal:
    """A new purpose is created at once (declaring it authorizes nobody); a change of an existing one is proposed."""
    _approver_label(submitted_by)
    if not Purpose.objects.filter(code=code).exists():
        return purpose_upsert(code=code, **fields)
    return purpose_change_propose(code=code, **fields, legal_reference=legal_reference, proposed_by=submitted_by)


@transaction.atomic
def access_grant_submit(
    *, organization: Organization, purpose: str | Purpose, submitted_by: Principal,
    valid_from: dt.datetime | None = None, valid_until: dt.datetime | None = None, legal_reference: str = "",
) -> AccessGrant | CatalogueProposal:
    """A grant one administrator may make (consent, nothing sensitive) is made; any other is proposed."""
    the_purpose = _purpose(purpose)
    if grant_needs_second_approver(the_purpose):
        return access_grant_propose(organization=organization, purpose=the_purpose.code, proposed_by=submitted_by,
                                    valid_from=valid_from, valid_until=valid_until, legal_reference=legal_reference)
    return access_grant_create(organization=organization, purpose=the_purpose, approved_by=submitted_by,
                               valid_from=valid_from, valid_until=valid_until)
