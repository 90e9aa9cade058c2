"""Department-defined code types: code types a city department defines through the API, with no code and no
restart (issue 12). Reads only; the writes are in ``services`` (``defined_type_propose`` and the rest).

A published definition becomes a :class:`~apps.codes.plugin_api.CodeType` subclass built from its rows, which
the process registry serves after the built-in types (``registry.set_dynamic``). Every process re-reads the
published definitions at most :data:`caches.PROCESS_SECONDS` after a publication commits, so a new type appears
in wallets and at ``/scan`` within that bound everywhere, without a restart.

Tokens carry the definition's version (``ver``) and nothing else unless the definition lists offline claims: a
verifier reads the claims through the consent gate, by the version the code was issued under, so codes issued
before a change keep verifying and presenting as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone

from . import caches
from .models import DefinedCode, DefinedCodeTypeVersion
from .plugin_api import CategorySpec, CodeType, PurposeSpec

DEFINED_KEY = "codes:defined-types"
VERSION_CLAIM = "ver"


def record_category(key: str) -> str:
    """The one data category a defined type provides: its codes' claims."""
    return f"{key}.record"


class DefinedCodeTypeBase(CodeType):
    """The behaviour every department-defined type shares; the class attributes come from its published rows."""

    #: version number -> its row, for presenting a code by the version it was issued under.
    versions: dict[int, DefinedCodeTypeVersion] = {}  # noqa: RUF012 - replaced per built class

    def _codes(self, citizen: Any):
        return (DefinedCode.objects.filter(subject_hash=citizen.id_hash, version__code_type__key=self.key)
                .select_related("version").order_by("-created_at", "-pk"))

    def _code_in_force(self, citizen: Any) -> DefinedCode | None:
        if not getattr(citizen, "id_hash", ""):
            return None
        today = timezone.localdate()
        for code in self._codes(citizen).filter(revoked_at__isnull=True, version__state="published")[:5]:
            if code.valid_until is None or code.valid_until >= today:
                return code
        return None

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        code = self._code_in_force(citizen)
        if code is None:
            return None
        return {VERSION_CLAIM: code.version.version, **code.claims}

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        category = record_category(self.key)
        if category not in categories:
            return {}
        code = self._code_in_force(citizen)
        if code is None:
            return {category: {"held": False}}
        return {category: {"held": True, "version": code.version.version, **code.claims,
                           "valid_until": code.valid_until.isoformat() if code.valid_until else None}}

    def export(self, citizen: Any) -> Any:
        if not getattr(citizen, "id_hash", ""):
            return []
        return [
            {"version": c.version.version, "claims": c.claims, "issued_by": c.issued_by.slug,
             "reference": c.reference, "valid_until": c.valid_until.isoformat() if c.valid_until else None,
             "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None, "issued_at": c.created_at.isoformat()}
            for c in self._codes(citizen).select_related("issued_by")
        ]


def build_code_type(versions: list[DefinedCodeTypeVersion]) -> type[DefinedCodeTypeBase]:
    """The CodeType class of one defined type from its published versions (newest last)."""
    latest = versions[-1]
    key = latest.code_type.key
    labels = latest.field_labels or {}
    category = CategorySpec(
        record_category(key), latest.label_zh, latest.label_en,
        fields=tuple((name, str(pair[0]), str(pair[1])) for name, pair in sorted(labels.items())),
    )
    purposes = tuple(
        PurposeSpec(p["code"], p["label_zh"], p["label_en"], categories=tuple(p["categories"]),
                    retention_days=int(p["retention_days"]), legal_basis="consent",
                    description_zh=p.get("description_zh", ""), description_en=p.get("description_en", ""))
        for p in latest.purposes
    )
    attributes: dict[str, Any] = {
        "key": key, "label_zh": latest.label_zh, "label_en": latest.label_en,
        "lifetime": dt.timedelta(seconds=latest.lifetime_seconds),
        "categories": (category,), "purposes": purposes, "provides": frozenset({category.code}),
        # Only the version goes into the token: the same on every holder's code, so it links nobody.
        "offline_claims": frozenset({VERSION_CLAIM}),
        "versions": {v.version: v for v in versions},
        "__module__": __name__,
    }
    return type(f"Defined_{key.replace('-', '_')}", (DefinedCodeTypeBase,), attributes)


def _load() -> dict[str, CodeType]:
    rows = list(DefinedCodeTypeVersion.objects.filter(state=DefinedCodeTypeVersion.State.PUBLISHED)
                .select_related("code_type").order_by("code_type__key", "version"))
    by_key: dict[str, list[DefinedCodeTypeVersion]] = {}
    for row in rows:
        by_key.setdefault(row.code_type.key, []).append(row)
    return {key: build_code_type(versions)() for key, versions in by_key.items()}


def defined_type_map() -> Mapping[str, CodeType]:
    """The published defined types, key -> CodeType (the registry's dynamic source; memoised per process)."""
    held = caches.memo_get(DEFINED_KEY)
    if held is not None:
        return held
    types = _load()
    caches.memo_set(DEFINED_KEY, types)
    return types


def invalidate() -> None:
    caches.invalidate_on_commit(lambda: caches.forget_memo(DEFINED_KEY))
