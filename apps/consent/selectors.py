"""Reads for consent."""


from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.identity.models import MINOR_AGE, Citizen, Organization
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


def purposes_list(*, active_only: bool = True) -> QuerySet[Purpose]:
    qs = Purpose.objects.prefetch_related(Prefetch("categories", queryset=DataCategory.objects.order_by("code")))
    return qs.filter(is_active=True) if active_only else qs


def purpose_by_code(*, code: str) -> Purpose | None:
    return Purpose.objects.filter(code=code).first()


def categories_list() -> QuerySet[DataCategory]:
    return DataCategory.objects.all()


def category_by_code(*, code: str) -> DataCategory | None:
    return DataCategory.objects.filter(code=code).first()


def proposals_list(*, state: str | None = None) -> QuerySet[CatalogueProposal]:
    """The bureau's audit trail of catalogue changes and grants, newest first."""
    qs = CatalogueProposal.objects.select_related("organization")
    return qs.filter(state=state) if state else qs


def proposal_by_id(*, proposal_id: int) -> CatalogueProposal | None:
    return proposals_list().filter(pk=proposal_id).first()


def category_labels() -> dict[str, str]:
    """Every data category's label in the active language, keyed by code (one query, for a whole page)."""
    field = "label_en" if prefers_english() else "label_zh"
    return dict(DataCategory.objects.values_list("code", field))


def legal_basis_label(*, basis: str) -> str:
    """The legal basis ("consent", "statutory", "emergency") as words in the active language."""
    return str(LegalBasis(basis).label) if basis in LegalBasis.values else basis


def consents_for(*, citizen: Citizen) -> QuerySet[Consent]:
    return Consent.objects.filter(citizen=citizen).select_related("purpose", "organization", "given_by")


def renewal_notices(*, citizen: Citizen) -> list[dict]:
    """The citizen's consents that wait for renewal (the purpose changed, or a category became sensitive), each
    with the categories not yet covered again by a newer consent: what "my consents" asks them to renew."""
    now = timezone.now()
    consents = list(consents_for(citizen=citizen))
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


def consent_of(*, citizen: Citizen, consent_id: int) -> Consent | None:
    return consents_for(citizen=citizen).filter(pk=consent_id).first()


def access_log_for(*, citizen: Citizen) -> QuerySet[AccessLog]:
    """The citizen's access log, newest first (redacted rows are left out: they hold nothing to show)."""
    return (
        AccessLog.objects.filter(citizen=citizen, redacted_at__isnull=True)
        .select_related("purpose", "organization", "emergency")
        .order_by("-seq")
    )


def grants_list(*, organization: Organization | None = None) -> QuerySet[AccessGrant]:
    qs = AccessGrant.objects.select_related("organization", "purpose")
    return qs.filter(organization=organization) if organization is not None else qs


def grant_by_id(*, grant_id: int) -> AccessGrant | None:
    return grants_list().filter(pk=grant_id).first()


def active_grant(*, organization: Organization, purpose: Purpose) -> AccessGrant | None:
    now = timezone.now()
    for grant in grants_list(organization=organization).filter(purpose=purpose, state=AccessGrant.State.ACTIVE):
        if grant.status_at(now) == "active":
            return grant
    return None


def organizations_granted(*, purpose: Purpose) -> list[Organization]:
    """Organizations currently holding an active grant for the purpose (for the consent page)."""
    now = timezone.now()
    seen: dict[int, Organization] = {}
    for grant in grants_list().filter(purpose=purpose, state=AccessGrant.State.ACTIVE):
        if grant.status_at(now) == "active":
            seen[grant.organization_id] = grant.organization
    return sorted(seen.values(), key=lambda o: o.slug)


def emergencies_list() -> QuerySet[Emergency]:
    return Emergency.objects.prefetch_related("purposes")


def emergency_by_id(*, emergency_id: int) -> Emergency | None:
    return emergencies_list().filter(pk=emergency_id).first()


def representations_for(*, representative: Citizen) -> QuerySet[Representation]:
    now = timezone.now()
    return Representation.objects.filter(
        representative=representative, revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now
    ).filter(guardian_still_needed()).select_related("represented")


def guardian_still_needed() -> Q:
    """A guardianship lets the guardian act only while the child is under 14 (PIPL Art 31), whatever its end
    date says: from their 14th birthday they consent themselves. Carers are not affected."""
    today = timezone.localdate()
    try:
        cutoff = today.replace(year=today.year - MINOR_AGE)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - MINOR_AGE, day=28)
    return ~Q(kind=Representation.Kind.GUARDIAN) | Q(represented__birth_date__gt=cutoff)


def consents_in_scope(*, representation: Representation) -> QuerySet[Consent]:
    """The represented person's consents a representative may see: only the purposes the representation covers
    (empty = all). A carer for hospital visits must not learn what else the person agreed to."""
    consents = consents_for(citizen=representation.represented)
    if representation.purposes:
        consents = consents.filter(purpose__code__in=representation.purposes)
    return consents


def actor_of(*, row: AccessLog) -> dict | None:
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


def emergency_of(*, row: AccessLog) -> dict | None:
    """The emergency an emergency-basis row was disclosed under (name and legal reference), or None."""
    emergency = row.emergency  # no query when the row has none
    if emergency is None:
        return None
    return {"id": emergency.pk, "name": emergency.name, "legal_reference": emergency.legal_reference}


# -- representation, both ways --------------------------------------------------------------------------------


def _live(qs: QuerySet[Representation]) -> QuerySet[Representation]:
    now = timezone.now()
    return qs.filter(revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now)


def representatives_of(*, represented: Citizen) -> QuerySet[Representation]:
    """Who may act for this citizen now (guardians, carers), for the represented person's own eyes."""
    return _live(Representation.objects.filter(represented=represented)).select_related("representative")


def representation_of_party(*, citizen: Citizen, representation_id: int) -> Representation | None:
    """A live representation in which the citizen is either the representative or the represented."""
    return (
        _live(Representation.objects.filter(Q(representative=citizen) | Q(represented=citizen)))
        .select_related("representative", "represented").filter(pk=representation_id).first()
    )


def represented_person(*, representative: Citizen, citizen_id: int) -> Citizen | None:
    """The citizen this representative may act for now, or None (a stranger, an ended or expired relationship)."""
    representation = representations_for(representative=representative).filter(represented_id=citizen_id).first()
    return representation.represented if representation is not None else None


def consent_actionable_by(*, actor: Citizen, consent_id: int) -> Consent | None:
    """A consent of the actor's own or of someone the actor represents now; the purpose scope of the
    representation is checked by the service that acts on it."""
    represented = representations_for(representative=actor).values("represented_id")
    return (
        Consent.objects.filter(Q(citizen=actor) | Q(citizen__in=represented))
        .select_related("citizen", "purpose", "organization", "given_by").filter(pk=consent_id).first()
    )
