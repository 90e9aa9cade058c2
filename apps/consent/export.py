"""The citizen's data export (PIPL Art 45): everything citycode holds about them, complete by construction.

Each part of the export is a *section* in one registry. Core sections are registered below; a code-type
plugin contributes through its ``CodeType.export()`` (the plugin API), collected under ``code_types``. Every
section says which citizen references (``"app.Model.field"``) it carries in ``covers``;
``tests/consent/test_export_complete.py`` walks every model that references a citizen and fails for one that
is neither covered nor listed in :data:`DELIBERATELY_EXCLUDED` with the reason. An app that adds such a model
registers a section from its AppConfig.ready()::

    from apps.consent.export import register_export_section
    register_export_section("transit", lambda citizen: {...JSON...}, covers=("transit.RideAccount.citizen",),
                            title=gettext_lazy("Ride accounts"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.identity import selectors as identity_selectors
from apps.identity.models import ApiClient, Citizen

from . import chain, selectors
from .models import AccessGrant, CatalogueProposal, Consent, Representation
from .services.consents import acting_for_label

ExportProvider = Callable[[Citizen], Any]


@dataclass(frozen=True)
class ExportSection:
    name: str
    provider: ExportProvider
    covers: tuple[str, ...]
    title: Any


_sections: dict[str, ExportSection] = {}

# Citizen references that are not exported, each with the reason. Adding one here is a decision to defend.
DELIBERATELY_EXCLUDED: dict[str, str] = {
    "identity.RefreshToken.session": "a refresh token is a secret (its hash is what a thief would need); the sign-in "
                                      "it renews is exported under sign_in_tokens with its dates",
    "consent.ChainHead.citizen": "the tip of the citizen's access-log hash chain: its hash is the newest "
                                 "access_log row's hash, and its anchor only marks rows deleted after retention",
    "admin.LogEntry.user": "Django admin's record of edits a staff member made; its object_repr describes other "
                           "people's records, which the staff member's export must not disclose",
    "guardian.UserObjectPermission.user": "object permissions derived from the staff memberships "
                                          "(identity.permissions sets them from the role exported there)",
    "codes.DefinedCode.version": "the codes issued under a code-type version someone proposed or decided are other "
                                 "people's; each holder's export carries their own (code_types.<key>)",
}
# Columns of the citizen's own row that are not exported, with the reason.
CITIZEN_FIELDS_EXCLUDED: dict[str, str] = {
    "id": "an internal row number",
    "password": "a salted hash of the password: a secret that serves only to check it",
    "id_hash": "a keyed hash of the ID number, the city's matching key for departments' lists: a secret",
}


def register_export_section(name: str, provider: ExportProvider, *, covers: Iterable[str] = (),
                            title: Any = None) -> None:
    """Add a section to every citizen's export. ``provider(citizen)`` returns JSON-ready data; ``covers``
    names the citizen references (``"app.Model.field"``) whose rows it carries."""
    if name in _sections or name == "code_types":
        raise ValueError(f"export section {name!r} is already registered")
    _sections[name] = ExportSection(name=name, provider=provider, covers=tuple(covers), title=title or name)


def unregister_export_section(name: str) -> None:
    _sections.pop(name, None)


def sections() -> list[ExportSection]:
    return list(_sections.values())


def covered_references() -> dict[str, str]:
    """Every citizen reference some section exports, with the section (or code type) that does."""
    from apps.codes.plugin_api import registry

    covered = {ref: section.name for section in _sections.values() for ref in section.covers}
    # Registered types only: department-defined ones keep no rows with a citizen reference (codes are matched by
    # the keyed ID-number hash, and exported by the type's export()).
    for code_type in (registry.get(key) for key in registry.registered_keys()):
        covered.update({ref: f"code_types.{code_type.key}" for ref in code_type.export_covers})
    return covered


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def consent_as_dict(consent) -> dict:
    return {
        "id": consent.pk,
        "purpose": consent.purpose.code,
        "organization": consent.organization.slug if consent.organization_id else None,
        "categories": list(consent.categories),
        "sensitive": consent.sensitive,
        "text_version": consent.text_version,
        "status": consent.status,
        "given_at": consent.given_at.isoformat(),
        "given_by": consent.given_by_label,
        "expires_at": _iso(consent.expires_at),
        "withdrawn_at": _iso(consent.withdrawn_at),
        "withdrawn_by": consent.withdrawn_by_label or None,
        "receipt": consent.receipt,
    }


def log_row_as_dict(row) -> dict:
    """A log row as the citizen gets it: exactly the hashed content (so they can re-check the chain), its
    place in the chain and its hash."""
    content = chain.content_of(row)
    del content["citizen"]  # it is their own export
    return {"seq": row.seq, **content, "hash": row.hash}


# -- core sections ----------------------------------------------------------------------------------------


def _profile(citizen: Citizen) -> dict[str, Any]:
    citizen = Citizen.objects.get(pk=citizen.pk)  # the stored row, not a request's copy
    return {
        "username": citizen.username,
        "name": citizen.name,
        "id_masked": citizen.id_masked,
        "birth_date": _iso(citizen.birth_date),
        "phone": citizen.phone,
        "email": citizen.email or None,
        "is_minor": citizen.is_minor,
        "real_name_verified": citizen.is_real_name_verified,
        "real_name_verification": {"verified_at": _iso(citizen.real_name_verified_at),
                                   "method": citizen.real_name_method or None},
        "date_joined": _iso(citizen.date_joined),
        "last_login": _iso(citizen.last_login),
        "account": {"is_active": citizen.is_active, "is_staff": citizen.is_staff,
                    "is_superuser": citizen.is_superuser,
                    "groups": sorted(citizen.groups.values_list("name", flat=True)),
                    "permissions": sorted(citizen.user_permissions.values_list("codename", flat=True))},
    }


#: The citizen's own columns the profile carries (checked against the model by the completeness test).
PROFILE_FIELDS = ("username", "name", "id_masked", "birth_date", "phone", "email", "real_name_verified_at",
                  "real_name_method", "date_joined", "last_login", "is_active", "is_staff", "is_superuser",
                  "groups", "user_permissions")


def _representation_as_dict(r: Representation, *, other: Citizen) -> dict[str, Any]:
    return {"id": r.pk, "kind": r.kind, "person": other.username, "person_name": other.name,
            "purposes": list(r.purposes), "valid_from": _iso(r.valid_from), "valid_until": _iso(r.valid_until),
            "revoked_at": _iso(r.revoked_at), "created_at": _iso(r.created_at)}


def _representations(citizen: Citizen) -> dict[str, Any]:
    # Every relationship, ended ones included, in both directions; and what the citizen did for others.
    held = Representation.objects.filter(representative=citizen).select_related("represented").order_by("pk")
    of = Representation.objects.filter(represented=citizen).select_related("representative").order_by("pk")
    for_others = (Consent.objects.filter(given_by=citizen).exclude(citizen=citizen)
                  .select_related("citizen", "purpose", "organization").order_by("pk"))
    return {
        "acting_for": [_representation_as_dict(r, other=r.represented) for r in held],
        "acted_for_by": [_representation_as_dict(r, other=r.representative) for r in of],
        "consents_given_for_others": [_given_for_other(c, by=citizen) for c in for_others],
    }


def _given_for_other(consent: Consent, *, by: Citizen) -> dict[str, Any]:
    # The representative's own acts only: what became of the consent later (withdrawn by the person or by a new
    # guardian, expired, needs renewal) is the represented person's data, and a former guardian must not follow it.
    own_label = acting_for_label(actor=by, citizen=consent.citizen)
    row = {"person": consent.citizen.username, **consent_as_dict(consent)}
    del row["status"]
    if consent.withdrawn_by_label != own_label:
        row["withdrawn_at"] = row["withdrawn_by"] = None
    return row


def _consents(citizen: Citizen) -> list[dict]:
    return [consent_as_dict(c) for c in selectors.consent_list(citizen=citizen).order_by("pk")]


def _access_log(citizen: Citizen) -> list[dict]:
    return [log_row_as_dict(r) for r in selectors.access_log_list(citizen=citizen)]


def _memberships(citizen: Citizen) -> list[dict]:
    return [
        {"organization": m.organization.slug, "organization_name": m.organization.name, "role": m.role,
         "since": _iso(m.created_at)}
        for m in identity_selectors.membership_list(user=citizen)
    ]


def _sign_in_tokens(citizen: Citizen) -> list[dict]:
    # Dates only: the stored SHA-256 of a token is what a thief would need to match it.
    return [{"created_at": _iso(t.created_at), "expires_at": _iso(t.refresh_expires_at or t.expires_at),
             "last_used_at": _iso(t.last_used_at), "user_agent": t.user_agent, "revoked_at": _iso(t.revoked_at)}
            for t in identity_selectors.auth_token_list(user=citizen)]


def _code_status_entries(citizen: Citizen) -> list[dict]:
    from apps.codes import selectors as codes_selectors

    return [
        {"code_type": entry.code_type, "status_index": entry.index, "revoked": revoked,
         "issued_at": _iso(entry.created_at), "expires_at": _iso(entry.expires_at)}
        for entry, revoked in codes_selectors.status_entry_state_list(citizen=citizen)
    ]


def _api_keys_held(citizen: Citizen) -> list[dict]:
    # The keys this person answers for: their names and dates, never the key or its hash.
    return [
        {"organization": c.organization.slug, "name": c.name, "key_prefix": c.key_prefix, "scopes": c.scopes,
         "created_at": _iso(c.created_at), "last_used_at": _iso(c.last_used_at), "revoked_at": _iso(c.revoked_at)}
        for c in ApiClient.objects.filter(holder=citizen).select_related("organization").order_by("pk")
    ]


def _grants_approved(citizen: Citizen) -> list[dict]:
    # By log-in, or with a key the citizen holds.
    return [
        {"organization": g.organization.slug, "purpose": g.purpose.code, "approved_at": _iso(g.created_at),
         "state": g.state, "with_key": g.approved_by_client.key_prefix if g.approved_by_client else None}
        for g in AccessGrant.objects.filter(Q(approved_by_user=citizen) | Q(approved_by_client__holder=citizen))
        .select_related("organization", "purpose", "approved_by_client").order_by("pk")
    ]


def _proposals(citizen: Citizen) -> list[dict]:
    # A bureau administrator's own acts under the two-person rule: what they proposed and what they decided,
    # by log-in or with a key they hold.
    mine = (Q(proposed_by_user=citizen) | Q(decided_by_user=citizen) | Q(proposed_by_person=citizen)
            | Q(decided_by_person=citizen) | Q(proposed_by_client__holder=citizen)
            | Q(decided_by_client__holder=citizen))
    return [
        {"id": p.pk, "kind": p.kind, "target": p.target, "state": p.state, "legal_reference": p.legal_reference,
         "role": "proposed" if citizen.pk in (p.proposed_by_user_id, p.proposed_by_person_id) else "decided",
         "created_at": _iso(p.created_at), "decided_at": _iso(p.decided_at), "grant": p.grant_id}
        for p in CatalogueProposal.objects.filter(mine).order_by("pk")
    ]


register_export_section("profile", _profile, title=_("Profile and real-name verification"))
register_export_section("consents", _consents, covers=("consent.Consent.citizen",), title=_("My consents"))
register_export_section(
    "representations", _representations, title=_("Guardians and carers"),
    covers=("consent.Representation.representative", "consent.Representation.represented",
            "consent.Consent.given_by"),
)
register_export_section("access_log", _access_log, covers=("consent.AccessLog.citizen",),
                        title=_("Who read my data"))
register_export_section("staff_memberships", _memberships, covers=("identity.Membership.user",),
                        title=_("Staff memberships"))
register_export_section("sign_in_tokens", _sign_in_tokens, covers=("identity.AuthToken.user",),
                        title=_("Sign-in tokens"))
register_export_section("code_status_entries", _code_status_entries, covers=("codes.StatusEntry.citizen",),
                        title=_("My long-lived codes: their status-list entries"))
register_export_section("api_keys_held", _api_keys_held, covers=("identity.ApiClient.holder",),
                        title=_("API keys I answer for"))
register_export_section(
    "grants_approved", _grants_approved, title=_("Access grants I approved for the data bureau"),
    covers=("consent.AccessGrant.approved_by_user", "consent.AccessGrant.approved_by_client"),
)
register_export_section(
    "catalogue_proposals", _proposals, title=_("Catalogue changes and grants I proposed or decided"),
    covers=("consent.CatalogueProposal.proposed_by_user", "consent.CatalogueProposal.decided_by_user",
            "consent.CatalogueProposal.proposed_by_person", "consent.CatalogueProposal.decided_by_person",
            "consent.CatalogueProposal.proposed_by_client", "consent.CatalogueProposal.decided_by_client",
            "consent.CatalogueProposal.grant"),
)


def _code_types(citizen: Citizen) -> dict[str, Any]:
    from apps.codes.plugin_api import registry

    return {code_type.key: code_type.export(citizen) for code_type in registry.all()}


def export_for(*, citizen: Citizen) -> dict[str, Any]:
    data: dict[str, Any] = {name: section.provider(citizen) for name, section in _sections.items()}
    data["code_types"] = _code_types(citizen)
    return data


def export_titles() -> dict[str, Any]:
    """Each top-level key of the export with its title in the reader's language (for the readable page)."""
    from apps.codes.plugin_api import registry

    titles = {name: section.title for name, section in _sections.items()}
    titles["code_types"] = _("Data held by each code")
    titles.update({f"code_types.{t.key}": t.label() for t in registry.all()})
    return titles
