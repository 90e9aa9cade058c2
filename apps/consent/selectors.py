"""Reads for consent."""


from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.identity.models import Citizen, Organization
from citycode.localized import prefers_english

from .models import (
    AccessGrant,
    AccessLog,
    CatalogueProposal,
    Consent,
    DataCategory,
    Emergency,
    LegalBasis,
    Purpose,
    Representation,
)


def purpose_list(*, active_only: bool = True) -> QuerySet[Purpose]:
    qs = Purpose.objects.prefetch_related(Prefetch("categories", queryset=DataCategory.objects.order_by("code")))
    return qs.filter(is_active=True) if active_only else qs


def purpose_get(*, code: str) -> Purpose | None:
    return Purpose.objects.filter(code=code).first()


def category_list() -> QuerySet[DataCategory]:
    return DataCategory.objects.all()


def category_get(*, code: str) -> DataCategory | None:
    return DataCategory.objects.filter(code=code).first()


def proposal_list(*, state: str | None = None) -> QuerySet[CatalogueProposal]:
    """The bureau's audit trail of catalogue changes and grants, newest first."""
    qs = CatalogueProposal.objects.select_related("organization")
    return qs.filter(state=state) if state else qs


def proposal_get(*, proposal_id: int) -> CatalogueProposal | None:
    return proposal_list().filter(pk=proposal_id).first()


def category_labels_get() -> dict[str, str]:
    """Every data category's label in the active language, keyed by code (one query, for a whole page)."""
    field = "label_en" if prefers_english() else "label_zh"
    return dict(DataCategory.objects.values_list("code", field))


def legal_basis_label_get(*, basis: str) -> str:
    """The legal basis ("consent", "statutory", "emergency") as words in the active language."""
    return str(LegalBasis(basis).label) if basis in LegalBasis.values else basis


def consent_list(*, citizen: Citizen) -> QuerySet[Consent]:
    return Consent.objects.filter(citizen=citizen).select_related("purpose", "organization", "given_by")


def renewal_notice_list(*, citizen: Citizen) -> list[dict]:
    """The citizen's consents that wait for renewal (the purpose changed, or a category became sensitive), each
    with the categories not yet covered again by a newer consent: what "my consents" asks them to renew."""
    now = timezone.now()
    consents = list(consent_list(citizen=citizen))
    live = [c for c in consents if c.status_at(now) == "active"]
    notices = []
    for consent in consents:
        status = consent.status_at(now)
        if status == "needs_renewal":
            waiting = list(consent.categories)
        elif status == "active" and consent.renewal_categories:
            waiting = list(consent.renewal_categories)
        else:
            continue
        newer = [other for other in live if other.purpose_id == consent.purpose_id
                 and other.organization_id in (None, consent.organization_id) and other.given_at >= consent.given_at]
        if status == "needs_renewal" and consent.text_version < consent.purpose.text_version and newer:
            continue  # answered: they read the new text and chose again, perhaps less
        renewed = {category for other in newer for category in other.covered_categories}
        rest = [category for category in waiting if category not in renewed]
        if rest:
            notices.append({"consent": consent, "categories": rest})
    return notices


def consent_get(*, citizen: Citizen, consent_id: int) -> Consent | None:
    return consent_list(citizen=citizen).filter(pk=consent_id).first()


def access_log_list(*, citizen: Citizen) -> QuerySet[AccessLog]:
    """The citizen's access log, newest first (redacted rows are left out: they hold nothing to show)."""
    return (
        AccessLog.objects.filter(citizen=citizen, redacted_at__isnull=True)
        .select_related("purpose", "organization", "emergency")
        .order_by("-seq")
    )


def grant_list(*, organization: Organization | None = None) -> QuerySet[AccessGrant]:
    qs = AccessGrant.objects.select_related("organization", "purpose")
    return qs.filter(organization=organization) if organization is not None else qs


def grant_get(*, grant_id: int) -> AccessGrant | None:
    return grant_list().filter(pk=grant_id).first()


def active_grant_get(*, organization: Organization, purpose: Purpose) -> AccessGrant | None:
    now = timezone.now()
    for grant in grant_list(organization=organization).filter(purpose=purpose, state=AccessGrant.State.ACTIVE):
        if grant.status_at(now) == "active":
            return grant
    return None


def granted_organization_list(*, purpose: Purpose) -> list[Organization]:
    """Organizations currently holding an active grant for the purpose (for the consent page)."""
    now = timezone.now()
    seen: dict[int, Organization] = {}
    for grant in grant_list().filter(purpose=purpose, state=AccessGrant.State.ACTIVE):
        if grant.status_at(now) == "active":
            seen[grant.organization_id] = grant.organization
    return sorted(seen.values(), key=lambda o: o.slug)


def emergency_list() -> QuerySet[Emergency]:
    return Emergency.objects.prefetch_related("purposes")


def emergency_get(*, emergency_id: int) -> Emergency | None:
    return emergency_list().filter(pk=emergency_id).first()


def representation_list(*, representative: Citizen) -> QuerySet[Representation]:
    now = timezone.now()
    return Representation.objects.filter(
        representative=representative, revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now
    ).filter(Representation.acting_q()).select_related("represented")


def consent_in_scope_list(*, representation: Representation) -> QuerySet[Consent]:
    """The represented person's consents a representative may see: only the purposes the representation covers
    (empty = all). A carer for hospital visits must not learn what else the person agreed to."""
    consents = consent_list(citizen=representation.represented)
    if representation.purposes:
        consents = consents.filter(purpose__code__in=representation.purposes)
    return consents


def access_log_actor_get(*, row: AccessLog) -> dict | None:
    """Who acted on a log row, from its structured columns: kind, label and a sentence in the reader's
    language ("staff member librarian"). The actor's id stays internal (a staff member's account)."""
    kind, label = row.actor_kind, row.actor_label
    if not kind:
        kind, label = _legacy_actor(label)
    if not kind and not label:
        return None  # redacted
    return {"kind": kind, "label": label, "display": _actor_sentence(kind, label)}


def _actor_sentence(kind: str, label: str) -> str:
    if kind == AccessLog.ActorKind.ORGANIZATION:
        return _("the organization's own system")
    if kind == AccessLog.ActorKind.API_CLIENT:
        return _("device or system “%(name)s”") % {"name": label}
    if kind == AccessLog.ActorKind.STAFF:
        return _("staff member %(user)s") % {"user": label}
    return label


def _legacy_actor(label: str) -> tuple[str, str]:
    """(kind, label) of a chain-format-1 row, which stored the actor as one sentence: "organization <slug>",
    "api-client <name> of <slug>" or "<username> for <slug>". No row is written in that form any more; the
    sentence is hashed, so it stays as it was and is read here."""
    if label.startswith("organization ") and " " not in label.removeprefix("organization "):
        return AccessLog.ActorKind.ORGANIZATION, label.removeprefix("organization ")
    if label.startswith("api-client ") and " of " in label:
        return AccessLog.ActorKind.API_CLIENT, label.removeprefix("api-client ").rpartition(" of ")[0]
    user, sep, _org = label.partition(" for ")
    if sep and " " not in user:
        return AccessLog.ActorKind.STAFF, user
    return "", label


def access_log_emergency_get(*, row: AccessLog) -> dict | None:
    """The emergency an emergency-basis row was disclosed under (name and legal reference), or None."""
    emergency = row.emergency  # no query when the row has none
    if emergency is None:
        return None
    return {"id": emergency.pk, "name": emergency.name, "legal_reference": emergency.legal_reference}


# -- representation, both ways --------------------------------------------------------------------------------


def _live(qs: QuerySet[Representation]) -> QuerySet[Representation]:
    now = timezone.now()
    return qs.filter(revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now)


def representative_list(*, represented: Citizen) -> QuerySet[Representation]:
    """Who may act for this citizen now (guardians, carers), for the represented person's own eyes."""
    return _live(Representation.objects.filter(represented=represented)).select_related("representative")


def representation_get(*, citizen: Citizen, representation_id: int) -> Representation | None:
    """A live representation in which the citizen is either the representative or the represented."""
    return (
        _live(Representation.objects.filter(Q(representative=citizen) | Q(represented=citizen)))
        .select_related("representative", "represented").filter(pk=representation_id).first()
    )


def represented_citizen_get(*, representative: Citizen, citizen_id: int) -> Citizen | None:
    """The citizen this representative may act for now, or None (a stranger, an ended or expired relationship)."""
    representation = representation_list(representative=representative).filter(represented_id=citizen_id).first()
    return representation.represented if representation is not None else None


def actionable_consent_get(*, actor: Citizen, consent_id: int) -> Consent | None:
    """A consent of the actor's own, or of someone the actor represents now for that consent's purpose. One
    outside the representation's scope is None like a missing one: a refusal would confirm that it exists.
    (The service that acts on it checks the scope again.)"""
    scope = Q(citizen=actor)
    for representation in representation_list(representative=actor):
        covered = Q(citizen_id=representation.represented_id)
        if representation.purposes:
            covered &= Q(purpose__code__in=representation.purposes)
        scope |= covered
    return (
        Consent.objects.filter(scope)
        .select_related("citizen", "purpose", "organization", "given_by").filter(pk=consent_id).first()
    )
