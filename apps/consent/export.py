"""The citizen's data export (PIPL Art 45): identity, consents, access log — and a hook for later apps.

An app adds its part by registering a provider in its AppConfig.ready()::

    from apps.consent.export import register_export_section
    register_export_section("transit", lambda citizen: {...JSON-serializable...})

Providers receive the citizen and return JSON-serializable data; names are unique.
"""

from collections.abc import Callable
from typing import Any

from apps.identity.models import Citizen

from . import chain, selectors

ExportProvider = Callable[[Citizen], Any]
_sections: dict[str, ExportProvider] = {}
CORE_SECTIONS = ("profile", "consents", "access_log")


def register_export_section(name: str, provider: ExportProvider) -> None:
    if name in _sections or name in CORE_SECTIONS:
        raise ValueError(f"export section {name!r} is already registered")
    _sections[name] = provider


def unregister_export_section(name: str) -> None:
    _sections.pop(name, None)


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
        "expires_at": consent.expires_at.isoformat() if consent.expires_at else None,
        "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
        "withdrawn_by": consent.withdrawn_by_label or None,
        "receipt": consent.receipt,
    }


def log_row_as_dict(row) -> dict:
    """A log row as the citizen gets it: exactly the hashed content (so they can re-check the chain), its
    place in the chain and its hash."""
    content = chain.content_of(row)
    del content["citizen"]  # it is their own export
    return {"seq": row.seq, **content, "hash": row.hash}


def export_for(*, citizen: Citizen) -> dict[str, Any]:
    data: dict[str, Any] = {
        "profile": {
            "username": citizen.username,
            "name": citizen.name,
            "id_masked": citizen.id_masked,
            "phone": citizen.phone,
            "birth_date": citizen.birth_date.isoformat() if citizen.birth_date else None,
            "real_name_verified": citizen.is_real_name_verified,
            "date_joined": citizen.date_joined.isoformat(),
        },
        "consents": [consent_as_dict(c) for c in selectors.consents_for(citizen=citizen)],
        "access_log": [log_row_as_dict(r) for r in selectors.access_log_for(citizen=citizen)],
    }
    for name, provider in sorted(_sections.items()):
        data[name] = provider(citizen)
    return data
