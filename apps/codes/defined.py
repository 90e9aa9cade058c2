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

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.errors import CodesErrorCode
from citycode.errors import DomainError

from . import caches
from .models import DefinedCode, DefinedCodeTypeVersion
from .plugin_api import CategorySpec, CodeType, PurposeSpec

DEFINED_KEY = "codes:defined-types"
VERSION_CLAIM = "ver"
# Claims never carry a name, an ID number or a phone number (DESIGN.md): a schema that names one is refused.
PERSONAL_CLAIM_NAMES = frozenset({"name", "full_name", "id_number", "id_no", "idcard", "id_card", "phone", "mobile",
                                  "phone_number", "address", "birth_date", "birthday", "xm", "sfzh", "sjhm"})
MAX_SCHEMA_BYTES = 16_000


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


# -- validation of a definition (the API, the designer page's live preview) --------------------------------


def schema_check(schema: Any, field_labels: Any) -> None:
    import json

    import jsonschema

    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(schema, dict) or schema.get("type") != "object" or not isinstance(properties, dict) \
            or not properties or len(json.dumps(schema)) > MAX_SCHEMA_BYTES:
        raise DomainError(CodesErrorCode.SCHEMA_INVALID, _("The claims schema must be a JSON Schema of an object with "
                                                           "named properties (at most 16 kB)."))
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise DomainError(CodesErrorCode.SCHEMA_INVALID, _("The claims schema is not valid JSON Schema: %(error)s")
                          % {"error": exc.message}) from None
    names = set(schema["properties"])
    personal = sorted(n for n in names if n.lower() in PERSONAL_CLAIM_NAMES)
    if personal:
        raise DomainError(CodesErrorCode.SCHEMA_INVALID, _("Codes never carry a name, an ID number, a phone number "
                                                           "or an address: %(names)s") % {"names": ", ".join(personal)})
    if "ver" in names or "$ref" in json.dumps(schema):
        raise DomainError(CodesErrorCode.SCHEMA_INVALID, _("The claim name “ver” is reserved, and references "
                                                           "($ref) are not allowed."))
    if not isinstance(field_labels, dict) or set(field_labels) != names or not all(
            isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair)
            for pair in field_labels.values()):
        raise DomainError(CodesErrorCode.SCHEMA_INVALID, _("Every claim needs a label in Chinese and in English: "
                                                           "field_labels = {claim: [zh, en]}."))


def purposes_check(*, key: str, purposes: Any) -> list[dict[str, Any]]:
    from apps.consent import selectors as consent_selectors

    if not isinstance(purposes, list) or not purposes:
        raise ValidationError({"purposes": ValidationError(_("Name at least one purpose."), code="required")})
    own = record_category(key)
    clean = []
    for p in purposes:
        if not isinstance(p, dict) or not str(p.get("code", "")).startswith(f"{key}."):
            raise ValidationError({"purposes": ValidationError(
                _("Each purpose is an object whose code starts with the code type's key and a dot."), code="invalid")})
        categories = p.get("categories") or [own]
        for category in categories:
            if category == own:
                continue
            known = consent_selectors.category_get(code=category)
            if known is None or known.epidemic_only:
                raise ValidationError({"purposes": ValidationError(
                    _("Unknown or epidemic-only data category: %(code)s") % {"code": category}, code="invalid")})
        try:
            retention = int(p.get("retention_days", 0))
        except (TypeError, ValueError):
            retention = 0
        if not (p.get("label_zh") and p.get("label_en")) or not 1 <= retention <= 3650:
            raise ValidationError({"purposes": ValidationError(
                _("Each purpose needs labels in both languages and a retention of 1 to 3650 days."), code="invalid")})
        clean.append({"code": p["code"], "label_zh": str(p["label_zh"])[:100], "label_en": str(p["label_en"])[:100],
                      "description_zh": str(p.get("description_zh", ""))[:500],
                      "description_en": str(p.get("description_en", ""))[:500],
                      "categories": list(dict.fromkeys(categories)), "retention_days": retention})
    return clean



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


def definition_preview(*, key: str, label_zh: str, label_en: str, claims_schema: Any, field_labels: Any,
                       sample_claims: Any, purposes: Any) -> dict[str, Any]:
    """What the designer page shows while a department types a definition: the problems, field by field, and the
    code as a wallet and a verifier would show it, with the sample claims checked against the schema."""
    import jsonschema

    errors: dict[str, str] = {}
    try:
        schema_check(claims_schema, field_labels)
    except DomainError as exc:
        errors["claims_schema"] = exc.message
    try:
        purposes_check(key=key, purposes=purposes)
    except ValidationError as exc:
        errors["purposes"] = " ".join(exc.messages)
    rows: list[dict[str, Any]] = []
    if "claims_schema" not in errors:
        if not isinstance(sample_claims, dict):
            errors["sample_claims"] = _("The sample claims must be a JSON object.")
        else:
            problems = [e.message for e in jsonschema.Draft202012Validator(claims_schema).iter_errors(sample_claims)]
            if problems:
                errors["sample_claims"] = "; ".join(problems[:5])
            rows = [{"claim": name, "label_zh": pair[0], "label_en": pair[1], "value": sample_claims.get(name)}
                    for name, pair in field_labels.items()]
    return {"ok": not errors, "errors": errors, "card": {"label_zh": label_zh, "label_en": label_en, "key": key},
            "rows": rows}
