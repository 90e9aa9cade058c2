"""Writes for consent — and `disclose()`, the one gate through which citizen data reaches an organization."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.identity import permissions as identity_permissions
from apps.identity.models import ApiClient, Citizen, Organization
from citycode.errors import Conflict, DomainError, Forbidden, NotFound

from . import chain, gate_queries, receipts
from .models import (
    GENESIS_HASH,
    AccessGrant,
    AccessLog,
    ChainHead,
    Consent,
    DataCategory,
    Emergency,
    LegalBasis,
    Purpose,
    ReceiptKey,
    Representation,
)
from .permissions import ADMIN_SCOPE, is_data_bureau_client  # noqa: F401  (ADMIN_SCOPE re-exported)

DATA_BUREAU_SLUG = "data-bureau"
ELDERLY_AGE = 60


# --------------------------------------------------------------------------------------------------------------
# The gate
# --------------------------------------------------------------------------------------------------------------


class DisclosureDenied(Forbidden):
    """disclose() refused; `.code` is the machine-readable reason and `.log_id` the access-log row of the denial."""

    def __init__(self, code: str, message: str = "", *, log_id: int | None = None) -> None:
        super().__init__(code, message)
        self.log_id = log_id


@dataclass(frozen=True)
class Disclosure:
    categories: tuple[str, ...]  # allowed, sorted
    basis: str  # "consent" | "statutory" | "emergency"
    log_id: int
    purpose: str
    organization: str
    citizen_id: int
    consent_ids: tuple[int, ...] = ()
    grant_id: int | None = None


DENIAL_MESSAGES = {
    "unknown_purpose": gettext_lazy("No such purpose."),
    "purpose_not_allowed": gettext_lazy("The purpose is not active."),
    "organization_inactive": gettext_lazy("The organization is not active."),
    "no_grant": gettext_lazy("The organization holds no grant for this purpose."),
    "grant_revoked": gettext_lazy("The organization's grant for this purpose was revoked."),
    "grant_expired": gettext_lazy("The organization's grant for this purpose has expired."),
    "grant_not_yet_valid": gettext_lazy("The organization's grant for this purpose is not valid yet."),
    "actor_not_authorized": gettext_lazy("The actor may not act for this organization."),
    "category_not_allowed": gettext_lazy("A requested data category is outside the purpose's bound."),
    "no_categories_requested": gettext_lazy("No data category was requested."),
    "no_consent": gettext_lazy("The citizen has not consented to this purpose."),
    "consent_withdrawn": gettext_lazy("The citizen withdrew consent to this purpose."),
    "consent_expired": gettext_lazy("The citizen's consent to this purpose has expired."),
    "category_not_consented": gettext_lazy("The citizen has not consented to any of the requested data categories."),
}

# Purpose id -> (updated_at, frozenset of category codes). A purpose_upsert that changes the bound saves the
# purpose, so a changed updated_at invalidates the entry in every process.
_bound_cache: dict[int, tuple[object, frozenset[str]]] = {}


def _bound_of(purpose_id: int, updated_at) -> frozenset[str]:
    cached = _bound_cache.get(purpose_id)
    if cached is not None and cached[0] == updated_at:
        return cached[1]
    bound = frozenset(DataCategory.objects.filter(purposes=purpose_id).values_list("code", flat=True))
    _bound_cache[purpose_id] = (updated_at, bound)
    return bound


def _actor_label(actor, organization: Organization) -> str:
    if actor is None:
        return f"organization {organization.slug}"
    if isinstance(actor, ApiClient):
        return f"api-client {actor.name} of {organization.slug}"
    return f"{actor.username} for {organization.slug}"


def _actor_allowed(actor, organization: Organization) -> bool:
    if actor is None:
        return True
    if isinstance(actor, ApiClient):
        return actor.organization_id == organization.pk and actor.revoked_at is None
    # Staff act for the organization through their guardian object permission on it.
    return identity_permissions.user_can(user=actor, perm=identity_permissions.ACT, organization=organization)


@dataclass
class _Decision:
    purpose_id: int | None
    purpose_code: str
    requested: list[str]
    allowed: tuple[str, ...] = ()
    basis: str = ""
    reason: str = ""
    grant_id: int | None = None
    consent_ids: tuple[int, ...] = ()


def _decide(*, organization, purpose, citizen, categories, actor, now) -> _Decision:
    code = purpose.code if isinstance(purpose, Purpose) else str(purpose)
    requested = sorted(set(categories)) if categories is not None else []
    decision = _Decision(purpose_id=None, purpose_code=code, requested=requested)

    grants, consents = gate_queries.decision_rows(
        organization_id=organization.pk, purpose_code=code, citizen_id=citizen.pk, now=now
    )
    if not grants:
        decision.purpose_id = Purpose.objects.filter(code=code).values_list("id", flat=True).first()
        decision.reason = "no_grant" if decision.purpose_id is not None else "unknown_purpose"
        return decision
    _gid, _status, purpose_id, legal_basis, purpose_active, purpose_updated_at = grants[0]
    decision.purpose_id = purpose_id
    if not purpose_active:
        decision.reason = "purpose_not_allowed"
        return decision
    if not organization.is_active:
        decision.reason = "organization_inactive"
        return decision

    active = next((g for g in grants if g[1] == "active"), None)
    if active is None:
        found = {g[1] for g in grants}
        decision.reason = next(f"grant_{s}" for s in ("not_yet_valid", "expired", "revoked") if s in found)
        return decision
    decision.grant_id = active[0]

    if not _actor_allowed(actor, organization):
        decision.reason = "actor_not_authorized"
        return decision

    bound = _bound_of(purpose_id, purpose_updated_at)
    if categories is None:
        requested = decision.requested = sorted(bound)
    if not requested:
        decision.reason = "no_categories_requested"
        return decision
    if not bound.issuperset(requested):
        decision.reason = "category_not_allowed"
        return decision

    if legal_basis == LegalBasis.STATUTORY:
        decision.allowed, decision.basis = tuple(requested), LegalBasis.STATUTORY
        return decision
    if legal_basis == LegalBasis.EMERGENCY and gate_queries.emergency_active(purpose_id=purpose_id, now=now):
        decision.allowed, decision.basis = tuple(requested), LegalBasis.EMERGENCY
        return decision

    # Consent (and emergency purposes outside an emergency): the citizen's own consents decide.
    live = [(cid, cats) for cid, status, cats in consents if status == "active"]
    if not live:
        decision.reason = f"consent_{consents[0][1]}" if consents else "no_consent"
        return decision
    consented = set().union(*(cats for _cid, cats in live))
    allowed = tuple(c for c in requested if c in consented)
    if not allowed:
        decision.reason = "category_not_consented"
        return decision
    decision.allowed, decision.basis = allowed, LegalBasis.CONSENT
    decision.consent_ids = tuple(sorted(cid for cid, cats in live if consented.intersection(cats)))
    return decision


def _chain_append(row: AccessLog) -> AccessLog:
    """Append `row` to its citizen's chain (locking the chain head until the transaction ends).

    Written by plain SQL, without full_clean(): every value comes from rows loaded by the decision, and model
    validation would cost one existence query per foreign key on the hottest path of the platform.
    """
    row.content_digest = chain.digest_content(row)
    if connection.vendor == "postgresql":
        gate_queries.append_pg(row, genesis=GENESIS_HASH)  # one statement: lock, link, insert
        return row
    row.seq, prev_hash = gate_queries.chain_bump(citizen_id=row.citizen_id, genesis=GENESIS_HASH)
    chain.seal(row, prev_hash=prev_hash)
    row.pk = gate_queries.log_insert(row)
    return row


def disclose(
    *,
    organization: Organization,
    purpose: str | Purpose,
    citizen: Citizen,
    categories: list[str] | None = None,
    actor: Citizen | ApiClient | None = None,
    request_id: str = "",
) -> Disclosure:
    """The one gate: check grant, then consent or legal basis; log the decision; return what may be disclosed.

    The log row is the commit point: if it cannot be written, nothing is disclosed. On PostgreSQL the row is
    appended by a single statement (lock the chain head, link, insert), which is atomic on its own, so no
    BEGIN/COMMIT round trips are spent; elsewhere decision and append run in one atomic block. A denial's row
    is committed before DisclosureDenied is raised. Called inside the caller's atomic block, everything joins
    that transaction: the row (allowed or denied) lives or dies with it.
    """
    now = timezone.now()
    with contextlib.nullcontext() if connection.vendor == "postgresql" else transaction.atomic():
        decision = _decide(
            organization=organization, purpose=purpose, citizen=citizen, categories=categories, actor=actor, now=now
        )
        row = _chain_append(
            AccessLog(
                citizen_id=citizen.pk,
                purpose_id=decision.purpose_id,
                purpose_code=decision.purpose_code[:64],
                organization=organization,
                organization_slug=organization.slug,
                requested=decision.requested,
                categories=list(decision.allowed),
                basis=decision.basis,
                outcome=AccessLog.Outcome.DENIED if decision.reason else AccessLog.Outcome.ALLOWED,
                reason=decision.reason,
                actor_label=_actor_label(actor, organization)[:200],
                request_id=(request_id or "")[:64],
                created_at=now,
            )
        )
    if decision.reason:
        raise DisclosureDenied(decision.reason, str(DENIAL_MESSAGES.get(decision.reason, decision.reason)),
                               log_id=row.pk)
    return Disclosure(
        categories=decision.allowed,
        basis=decision.basis,
        log_id=row.pk,
        purpose=decision.purpose_code,
        organization=organization.slug,
        citizen_id=citizen.pk,
        consent_ids=decision.consent_ids,
        grant_id=decision.grant_id,
    )


# --------------------------------------------------------------------------------------------------------------
# Purposes and categories (data managed by the data bureau; code types register theirs after migrate)
# --------------------------------------------------------------------------------------------------------------


@transaction.atomic
def category_upsert(
    *, code: str, label_zh: str, label_en: str, sensitive: bool, epidemic_only: bool | None = None
) -> DataCategory:
    """Create or update a data category. `epidemic_only=None` keeps the stored flag (False for a new one)."""
    category = DataCategory.objects.select_for_update().filter(code=code).first() or DataCategory(code=code)
    if epidemic_only is None:
        epidemic_only = category.epidemic_only
    if epidemic_only and category.pk and category.purposes.filter(epidemic_control=False).exists():
        raise ValidationError(
            {"epidemic_only": ValidationError(_("The category is already used by a purpose that is not "
                                                "epidemic control."), code="epidemic_only_in_use")}
        )
    changed = (category.label_zh, category.label_en, category.sensitive, category.epidemic_only) != (
        label_zh, label_en, sensitive, epidemic_only
    )
    if category.pk and not changed:
        return category
    category.label_zh, category.label_en = label_zh, label_en
    category.sensitive, category.epidemic_only = sensitive, epidemic_only
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def purpose_upsert(
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
) -> Purpose:
    """Create or update a purpose and its category bound. Idempotent.

    Changing the texts or the bound bumps `text_version`. Rules: every category must exist; an
    epidemic-only category (the health colour) may be bound only to an epidemic-control purpose.
    `epidemic_control=None` keeps the stored flag (False for a new purpose).
    """
    wanted = sorted(set(categories or []))
    if not wanted:
        raise ValidationError({"categories": ValidationError(_("A purpose needs at least one data category."),
                                                             code="required")})
    found = {c.code: c for c in DataCategory.objects.filter(code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise ValidationError({"categories": ValidationError(
            _("Unknown data categories: %(codes)s") % {"codes": ", ".join(missing)}, code="unknown_category")})
    if legal_basis not in LegalBasis.values:
        raise ValidationError({"legal_basis": ValidationError(_("Unknown legal basis."), code="invalid_choice")})

    purpose = Purpose.objects.select_for_update().filter(code=code).first()
    is_new = purpose is None
    purpose = purpose or Purpose(code=code)
    if epidemic_control is None:
        epidemic_control = purpose.epidemic_control
    restricted = [c for c in wanted if found[c].epidemic_only]
    if restricted and not epidemic_control:
        raise ValidationError({"categories": ValidationError(
            _("%(codes)s may be used only by epidemic-control purposes.") % {"codes": ", ".join(restricted)},
            code="epidemic_only_category")})

    current = [] if is_new else sorted(purpose.categories.values_list("code", flat=True))
    texts = (label_zh, label_en, description_zh, description_en)
    texts_changed = texts != (purpose.label_zh, purpose.label_en, purpose.description_zh, purpose.description_en)
    other_changed = (legal_basis, retention_days, epidemic_control) != (
        purpose.legal_basis, purpose.retention_days, purpose.epidemic_control
    )
    if not is_new and not texts_changed and not other_changed and current == wanted:
        return purpose
    if not is_new and (texts_changed or current != wanted):
        purpose.text_version += 1
    purpose.label_zh, purpose.label_en, purpose.description_zh, purpose.description_en = texts
    purpose.legal_basis, purpose.retention_days = legal_basis, retention_days
    purpose.epidemic_control = epidemic_control
    purpose.full_clean()
    purpose.save()
    purpose.categories.set([found[c] for c in wanted])
    return purpose


@transaction.atomic
def purpose_set_active(*, purpose: Purpose, is_active: bool) -> Purpose:
    if purpose.is_active != is_active:
        purpose.is_active = is_active
        purpose.save(update_fields=["is_active", "updated_at"])
    return purpose


def _purpose(purpose: str | Purpose) -> Purpose:
    if isinstance(purpose, Purpose):
        return purpose
    found = Purpose.objects.filter(code=purpose).first()
    if found is None:
        raise NotFound("unknown_purpose", _("No such purpose."))
    return found


# --------------------------------------------------------------------------------------------------------------
# Access grants
# --------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------
# Consents and representation
# --------------------------------------------------------------------------------------------------------------


def _age(citizen: Citizen) -> int | None:
    return citizen.age_on(timezone.localdate())


def _acting_label(*, citizen: Citizen, actor: Citizen | None, purpose: Purpose, now: dt.datetime) -> str:
    """Who acts: the citizen, or a guardian/carer with a live representation covering the purpose."""
    if actor is None or actor.pk == citizen.pk:
        if citizen.is_minor:
            raise Forbidden("guardian_required", _("A guardian must act for a citizen under 14."))
        return citizen.username
    representations = Representation.objects.filter(
        representative=actor, represented=citizen, revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now
    )
    if not any(not r.purposes or purpose.code in r.purposes for r in representations):
        raise Forbidden("not_a_representative", _("You may not act for this citizen for this purpose."))
    return f"{actor.username} acting for {citizen.username}"


def _receipt_payload(consent: Consent) -> dict:
    from django.conf import settings

    purpose = consent.purpose
    return {
        "type": "citycode.consent-receipt",
        "version": 1,
        "issuer": settings.CITYCODE_ISSUER,
        "consent_id": consent.pk,
        "subject": {"id_masked": consent.citizen.id_masked, "name": consent.citizen.name},
        "purpose": {
            "code": purpose.code,
            "text_version": consent.text_version,
            "label_zh": purpose.label_zh,
            "label_en": purpose.label_en,
            "legal_basis": purpose.legal_basis,
            "retention_days": purpose.retention_days,
        },
        "organization": consent.organization.slug if consent.organization_id else None,
        "categories": list(consent.categories),
        "sensitive": consent.sensitive,
        "given_at": consent.given_at.isoformat(),
        "expires_at": consent.expires_at.isoformat() if consent.expires_at else None,
        "given_by": consent.given_by_label,
    }


@transaction.atomic
def consent_give(
    *,
    citizen: Citizen,
    purpose: str | Purpose,
    categories: list[str],
    organization: Organization | None = None,
    expires_at: dt.datetime | None = None,
    text_version: int | None = None,
    actor: Citizen | None = None,
    sensitive_confirmed: bool = False,
) -> Consent:
    """Record a citizen's consent and sign its receipt.

    A sensitive category (health, whereabouts, ...) needs its own consent: exactly that one category and
    `sensitive_confirmed=True`; bundling it with anything else is refused (`sensitive_bundled`).
    `text_version` is the version of the purpose text the citizen was shown (default: the current one).
    `actor` is a guardian or carer acting for the citizen; minors (under 14) cannot consent themselves.
    Idempotent: giving a consent identical to a live one (same purpose, organization, categories, text version,
    expiry and giver) returns that one and writes nothing.
    """
    now = timezone.now()
    the_purpose = _purpose(purpose)
    if not the_purpose.is_active:
        raise DomainError("purpose_not_allowed", _("The purpose is not active."))
    if the_purpose.legal_basis == LegalBasis.STATUTORY:
        raise DomainError("consent_not_applicable", _("This purpose rests on a statutory duty, not on consent."))
    wanted = sorted(set(categories or []))
    if not wanted:
        raise ValidationError({"categories": ValidationError(_("Choose at least one data category."),
                                                             code="required")})
    bound = set(the_purpose.categories.values_list("code", flat=True))
    outside = [c for c in wanted if c not in bound]
    if outside:
        raise DomainError("category_not_allowed",
                          _("Outside the purpose's bound: %(codes)s") % {"codes": ", ".join(outside)})
    sensitive = list(DataCategory.objects.filter(code__in=wanted, sensitive=True).values_list("code", flat=True))
    if sensitive and len(wanted) > 1:
        raise DomainError(
            "sensitive_bundled",
            _("Sensitive data (%(codes)s) needs its own separate consent.") % {"codes": ", ".join(sensitive)},
        )
    if sensitive and not sensitive_confirmed:
        raise DomainError("sensitive_needs_explicit_consent",
                          _("Sensitive data needs an explicit, separate confirmation."))
    if text_version is not None and text_version != the_purpose.text_version:
        raise Conflict("stale_text_version", _("The purpose text has changed; read it again before consenting."))
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": ValidationError(_("The expiry must be in the future."),
                                                             code="invalid_expiry")})
    if organization is not None and not organization.is_active:
        raise DomainError("organization_inactive", _("The organization is not active."))
    label = _acting_label(citizen=citizen, actor=actor, purpose=the_purpose, now=now)

    # The same consent sent again (a retried request, a double click) is the same consent: a second live row
    # would keep disclosing after the citizen withdrew the one they see. The citizen-row lock settles two
    # submissions racing each other.
    Citizen.objects.select_for_update().filter(pk=citizen.pk).first()
    for live in Consent.objects.filter(
        citizen=citizen, purpose=the_purpose, organization=organization, text_version=the_purpose.text_version,
        expires_at=expires_at, given_by=actor or citizen, withdrawn_at__isnull=True,
    ):
        if live.categories == wanted and live.status_at(now) == "active":
            return live

    consent = Consent(
        citizen=citizen,
        purpose=the_purpose,
        organization=organization,
        categories=wanted,
        sensitive=bool(sensitive),
        text_version=the_purpose.text_version,
        given_at=now,
        expires_at=expires_at,
        given_by=actor or citizen,
        given_by_label=label,
    )
    consent.full_clean()
    consent.save()
    consent.receipt = receipts.sign(_receipt_payload(consent))
    consent.save(update_fields=["receipt"])
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, actor: Citizen | None = None) -> Consent:
    """Withdraw a consent; the very next disclose() relying on it is denied. Idempotent."""
    consent = Consent.objects.select_for_update().select_related("citizen", "purpose").get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        return consent
    now = timezone.now()
    if actor is not None and actor.pk != consent.citizen_id:
        label = _acting_label(citizen=consent.citizen, actor=actor, purpose=consent.purpose, now=now)
    else:
        label = consent.citizen.username  # withdrawing is always allowed, minors included
    consent.withdrawn_at = now
    consent.withdrawn_by_label = label
    consent.save(update_fields=["withdrawn_at", "withdrawn_by_label"])
    return consent


@transaction.atomic
def representation_create(
    *,
    representative: Citizen,
    represented: Citizen,
    kind: str,
    valid_until: dt.datetime,
    purposes: list[str] | None = None,
    valid_from: dt.datetime | None = None,
) -> Representation:
    """Name a guardian (the citizen is under 14) or a carer (the citizen is 60 or older), scoped and expiring."""
    if kind == Representation.Kind.GUARDIAN and not represented.is_minor:
        raise DomainError("not_a_minor", _("A guardian may act only for a citizen under 14."))
    if kind == Representation.Kind.CARER and (_age(represented) or 0) < ELDERLY_AGE:
        raise DomainError("not_elderly", _("A carer may act only for a citizen aged 60 or over."))
    codes = sorted(set(purposes or []))
    unknown = set(codes) - set(Purpose.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown:
        raise DomainError("unknown_purpose", _("No such purpose: %(codes)s") % {"codes": ", ".join(sorted(unknown))})
    representation = Representation(
        representative=representative, represented=represented, kind=kind, purposes=codes,
        valid_from=valid_from or timezone.now(), valid_until=valid_until,
    )
    representation.full_clean()
    representation.save()
    return representation


@transaction.atomic
def representation_revoke(*, representation: Representation) -> Representation:
    if representation.revoked_at is None:
        representation.revoked_at = timezone.now()
        representation.save(update_fields=["revoked_at"])
    return representation


# --------------------------------------------------------------------------------------------------------------
# Emergencies
# --------------------------------------------------------------------------------------------------------------


@transaction.atomic
def emergency_declare(
    *,
    name: str,
    legal_reference: str,
    purposes: list[str | Purpose],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    declared_by: Citizen | ApiClient,
) -> Emergency:
    """Declare an emergency. Only purposes whose legal basis is `emergency` may be covered; while it lasts they
    need no consent, after `ends_at` they need consent again."""
    label = _approver_label(declared_by)
    covered = [_purpose(p) for p in purposes]
    if not covered:
        raise ValidationError({"purposes": ValidationError(_("Name the purposes the emergency covers."),
                                                           code="required")})
    wrong = [p.code for p in covered if p.legal_basis != LegalBasis.EMERGENCY]
    if wrong:
        raise DomainError(
            "purpose_not_emergency",
            _("These purposes do not rest on an emergency basis: %(codes)s") % {"codes": ", ".join(wrong)},
        )
    emergency = Emergency(name=name, legal_reference=legal_reference, starts_at=starts_at, ends_at=ends_at,
                          declared_by_label=label)
    emergency.full_clean()
    emergency.save()
    emergency.purposes.set(covered)
    return emergency


@transaction.atomic
def emergency_end(*, emergency: Emergency, at: dt.datetime | None = None) -> Emergency:
    """End an emergency now (or at `at`, never later than declared)."""
    at = at or timezone.now()
    if at < emergency.ends_at:
        emergency.ends_at = max(at, emergency.starts_at + dt.timedelta(microseconds=1))
        emergency.save(update_fields=["ends_at"])
    return emergency


# --------------------------------------------------------------------------------------------------------------
# Retention and receipt keys
# --------------------------------------------------------------------------------------------------------------

REDACTED = {
    "organization": None, "organization_slug": "", "requested": [], "categories": [], "basis": "",
    "outcome": "", "reason": "", "actor_label": "", "request_id": "", "purpose_code": "",
}


def access_log_apply_retention(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Redact every log row older than its purpose's retention, then fold each chain's redacted prefix into
    the chain anchor and delete it. Verification keeps working (see apps/consent/chain.py)."""
    now = now or timezone.now()
    redacted = 0
    for purpose in Purpose.objects.all():
        cutoff = now - dt.timedelta(days=purpose.retention_days)
        with transaction.atomic():
            redacted += AccessLog.objects.filter(
                purpose=purpose, created_at__lt=cutoff, redacted_at__isnull=True
            ).update(redacted_at=now, **REDACTED)
    # Rows whose purpose is unknown (a denial for an unknown purpose) are kept for the shortest retention.
    shortest = Purpose.objects.order_by("retention_days").values_list("retention_days", flat=True).first() or 30
    with transaction.atomic():
        redacted += AccessLog.objects.filter(
            purpose__isnull=True, created_at__lt=now - dt.timedelta(days=shortest), redacted_at__isnull=True
        ).update(redacted_at=now, **REDACTED)

    deleted = 0
    citizens = AccessLog.objects.filter(redacted_at__isnull=False).values_list("citizen_id", flat=True).distinct()
    for citizen_id in list(citizens):
        with transaction.atomic():
            head = ChainHead.objects.select_for_update().filter(citizen_id=citizen_id).first()
            if head is None:
                continue
            first_live = (
                AccessLog.objects.filter(citizen_id=citizen_id, redacted_at__isnull=True)
                .order_by("seq").values_list("seq", flat=True).first()
            )
            limit = first_live - 1 if first_live is not None else head.seq
            last = AccessLog.objects.filter(citizen_id=citizen_id, seq=limit, redacted_at__isnull=False).first()
            if last is None or limit <= head.anchor_seq:
                continue
            deleted += AccessLog.objects.filter(citizen_id=citizen_id, seq__lte=limit).delete()[0]
            head.anchor_seq, head.anchor_hash = limit, last.hash
            head.save(update_fields=["anchor_seq", "anchor_hash"])
    return {"redacted": redacted, "deleted": deleted}


@transaction.atomic
def receipt_key_rotate() -> ReceiptKey:
    """Retire the active receipt key and create a new one; old receipts still verify against the JWKS."""
    ReceiptKey.objects.filter(state=ReceiptKey.State.ACTIVE).update(state=ReceiptKey.State.RETIRED)
    return receipts.active_key()


def catalogue_ensure() -> None:
    """Create the initial categories and purposes that are missing (never changes existing ones)."""
    from . import catalogue

    known = set(DataCategory.objects.values_list("code", flat=True))
    for code, zh, en, sensitive, epidemic_only in catalogue.CATEGORIES:
        if code not in known:
            category_upsert(code=code, label_zh=zh, label_en=en, sensitive=sensitive, epidemic_only=epidemic_only)
    known = set(Purpose.objects.values_list("code", flat=True))
    for code, zh, en, dzh, den, basis, categories, retention, epidemic in catalogue.PURPOSES:
        if code not in known:
            purpose_upsert(code=code, label_zh=zh, label_en=en, description_zh=dzh, description_en=den,
                           legal_basis=basis, categories=categories, retention_days=retention,
                           epidemic_control=epidemic)
