"""The gate: `disclose()`, the one way citizen data reaches an organization, and its decision."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.consent.errors import ConsentErrorCode
from apps.identity import permissions as identity_permissions
from apps.identity.models import ApiClient, Citizen, Organization
from citycode.errors import Forbidden, NotFound

from .. import chain, gate_queries
from ..models import CHAIN_FORMAT, EPIDEMIC_ONLY_CATEGORIES, GENESIS_HASH, AccessLog, DataCategory, LegalBasis, Purpose

GENERIC_DENIAL = ConsentErrorCode.NOT_DISCLOSED.value


class DisclosureDenied(Forbidden):
    """disclose() refused. The organization gets one generic `.code` (`not_disclosed`) and message: a precise
    reason would tell it about the citizen (`consent_withdrawn` reveals a past consent). The precise `.reason`
    is in the citizen's access log (row `.log_id`) and the bureau's view, never in the response."""

    def __init__(self, reason: str, *, log_id: int | None = None) -> None:
        super().__init__(ConsentErrorCode.NOT_DISCLOSED, str(gettext_lazy("The data was not disclosed.")))
        self.reason = reason
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
    "no_emergency": gettext_lazy("The health colour is shown only while a declared emergency covers the purpose."),
    "no_categories_requested": gettext_lazy("No data category was requested."),
    "no_consent": gettext_lazy("The citizen has not consented to this purpose."),
    "consent_withdrawn": gettext_lazy("The citizen withdrew consent to this purpose."),
    "consent_expired": gettext_lazy("The citizen's consent to this purpose has expired."),
    "consent_needs_renewal": gettext_lazy("The purpose changed; the citizen's consent needs renewal."),
    "category_not_consented": gettext_lazy("The citizen has not consented to any of the requested data categories."),
}

# Purpose id -> (updated_at, frozenset of category codes). A purpose_upsert that changes the bound saves the
# purpose, so a changed updated_at invalidates the entry in every process.
_bound_cache: dict[int, tuple[object, frozenset[str]]] = {}


def _bound_of(purpose_id: int, updated_at: object) -> frozenset[str]:  # as the driver returns it
    cached = _bound_cache.get(purpose_id)
    if cached is not None and cached[0] == updated_at:
        return cached[1]
    bound = frozenset(DataCategory.objects.filter(purposes=purpose_id).values_list("code", flat=True))
    _bound_cache[purpose_id] = (updated_at, bound)
    return bound


def _actor_columns(actor: Citizen | ApiClient | None, organization: Organization) -> dict[str, Any]:
    """Who acted, as the log row's structured columns (kind, id, and the name it had then)."""
    if actor is None:
        kind, actor_id, label = AccessLog.ActorKind.ORGANIZATION, organization.pk, organization.slug
    elif isinstance(actor, ApiClient):
        kind, actor_id, label = AccessLog.ActorKind.API_CLIENT, actor.pk, actor.name
    else:
        kind, actor_id, label = AccessLog.ActorKind.STAFF, actor.pk, actor.username
    return {"actor_kind": kind, "actor_id": actor_id, "actor_label": label[:200]}


def _actor_allowed(actor: Citizen | ApiClient | None, organization: Organization) -> bool:
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
    emergency_id: int | None = None


def _decide(*, organization: Organization, purpose: str | Purpose, citizen: Citizen, categories: list[str] | None,
            actor: Citizen | ApiClient | None, now: dt.datetime) -> _Decision:
    code = purpose.code if isinstance(purpose, Purpose) else str(purpose)
    requested = sorted(set(categories)) if categories is not None else []
    decision = _Decision(purpose_id=None, purpose_code=code, requested=requested)

    grants, consents = gate_queries.decision_rows(
        organization_id=organization.pk, purpose_code=code, citizen_id=citizen.pk, now=now
    )
    if not grants:
        decision.purpose_id = Purpose.objects.filter(code=code).values_list("id", flat=True).first()
        if decision.purpose_id is None:
            # Refused before anything is written: an unknown purpose is the caller's own text, and it must
            # not land in a citizen's hash-chained log. It says nothing about the citizen.
            raise NotFound(ConsentErrorCode.UNKNOWN_PURPOSE, str(DENIAL_MESSAGES["unknown_purpose"]))
        decision.reason = "no_grant"
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

    eligible = requested
    if not EPIDEMIC_ONLY_CATEGORIES.isdisjoint(requested):
        # The health colour serves epidemic control during a declared emergency only (issue 11): outside one it
        # is never disclosed, whatever the basis; the emergency it rested on is logged with the row.
        decision.emergency_id = gate_queries.active_emergency_id(purpose_id=purpose_id, now=now)
        if decision.emergency_id is None:
            eligible = [c for c in requested if c not in EPIDEMIC_ONLY_CATEGORIES]
            if not eligible:
                decision.reason = "no_emergency"
                return decision

    if legal_basis == LegalBasis.STATUTORY:
        decision.allowed, decision.basis = tuple(eligible), LegalBasis.STATUTORY
        return decision
    if legal_basis == LegalBasis.EMERGENCY:
        if decision.emergency_id is None:
            decision.emergency_id = gate_queries.active_emergency_id(purpose_id=purpose_id, now=now)
        if decision.emergency_id is not None:
            decision.allowed, decision.basis = tuple(eligible), LegalBasis.EMERGENCY
            return decision

    # Consent (and emergency purposes outside an emergency): the citizen's own consents decide.
    states = [(cid, *consent_state(status, cats, renewal)) for cid, status, cats, renewal in consents]
    live = [(cid, covered) for cid, status, covered in states if status == "active"]
    if not live:
        decision.reason = f"consent_{states[0][1]}" if states else "no_consent"
        return decision
    consented = set().union(*(cats for _cid, cats in live))
    allowed = tuple(c for c in eligible if c in consented)
    if not allowed:
        # A category the citizen did consent to, until it was reclassified, waits for their renewal.
        waiting = {c for _cid, status, cats, renewal in consents if status == "active" for c in renewal}
        decision.reason = "consent_needs_renewal" if waiting.intersection(requested) else "category_not_consented"
        return decision
    decision.allowed, decision.basis = allowed, LegalBasis.CONSENT
    decision.consent_ids = tuple(sorted(cid for cid, cats in live if set(allowed).intersection(cats)))
    return decision


def consent_state(status: str, categories: list[str], renewal: list[str]) -> tuple[str, list[str]]:
    """(status, covered categories) of a consent from its SQL status: one whose every category awaits renewal
    needs renewal as a whole. Consent.status_at says the same; tests/consent/test_renewal.py checks both."""
    waiting = set(renewal or ())
    covered = [c for c in categories if c not in waiting]
    if status == "active" and not covered:
        return "needs_renewal", covered
    return status, covered


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
                **_actor_columns(actor, organization),
                emergency_id=decision.emergency_id,
                request_id=(request_id or "")[:64],
                created_at=now,
                chain_format=CHAIN_FORMAT,
            )
        )
    if decision.reason:
        raise DisclosureDenied(decision.reason, log_id=row.pk)
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
