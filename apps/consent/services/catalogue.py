"""Purposes and data categories: the catalogue the data bureau manages (code types register theirs after migrate).

Creating a purpose or category that does not exist yet is direct (it grants nothing). Changing one that exists
is a proposal that a second data-bureau administrator approves (services.proposals); the `*_apply` functions
below are what an approved proposal runs, and nothing else calls them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.consent.errors import ConsentErrorCode
from citycode.errors import Conflict, Forbidden, NotFound

from ..models import EPIDEMIC_ONLY_CATEGORIES, Consent, DataCategory, LegalBasis, Purpose


def _category_check(*, code: str, epidemic_only: bool | None, category: DataCategory | None) -> bool:
    """The epidemic-only flag the category must have; refuses to free the health colour."""
    if code in EPIDEMIC_ONLY_CATEGORIES:
        if epidemic_only is False:
            raise ValidationError({"epidemic_only": ValidationError(
                _("The health code colour serves epidemic control only; this cannot be changed."),
                code="epidemic_only_invariant")})
        return True
    if epidemic_only is None:
        return category.epidemic_only if category is not None else False
    if epidemic_only and category is not None and category.purposes.filter(epidemic_control=False).exists():
        raise ValidationError(
            {"epidemic_only": ValidationError(_("The category is already used by a purpose that is not "
                                                "epidemic control."), code="epidemic_only_in_use")}
        )
    return epidemic_only


def _category_values(category: DataCategory) -> dict[str, Any]:
    return {"label_zh": category.label_zh, "label_en": category.label_en, "sensitive": category.sensitive,
            "epidemic_only": category.epidemic_only}


@transaction.atomic
def category_upsert(
    *, code: str, label_zh: str, label_en: str, sensitive: bool, epidemic_only: bool | None = None
) -> DataCategory:
    """Create a data category, or return it unchanged. Idempotent.

    Changing an existing category needs a proposal (`category_change_propose`): this raises
    Forbidden `proposal_required`. `epidemic_only=None` keeps the stored flag (False for a new one).
    """
    category = DataCategory.objects.select_for_update().filter(code=code).first()
    epidemic_only = _category_check(code=code, epidemic_only=epidemic_only, category=category)
    wanted = {"label_zh": label_zh, "label_en": label_en, "sensitive": sensitive, "epidemic_only": epidemic_only}
    if category is not None:
        if _category_values(category) == wanted:
            return category
        raise Forbidden(ConsentErrorCode.PROPOSAL_REQUIRED, _("Changing a data category needs a proposal that a second "
                                              "data-bureau administrator approves."))
    category = DataCategory(code=code, **wanted)
    category.full_clean()
    category.save()
    return category


def category_change_check(*, code: str, label_zh: str, label_en: str, sensitive: bool,
                          epidemic_only: bool | None = None) -> dict[str, Any]:
    """Validate a proposed change of an existing category; return the values to store in the proposal."""
    category = DataCategory.objects.filter(code=code).first()
    if category is None:
        raise NotFound(ConsentErrorCode.UNKNOWN_CATEGORY, _("No such data category."))
    epidemic_only = _category_check(code=code, epidemic_only=epidemic_only, category=category)
    wanted = {"label_zh": label_zh, "label_en": label_en, "sensitive": sensitive, "epidemic_only": epidemic_only}
    probe = DataCategory(pk=category.pk, code=code, **wanted)
    probe._state.adding = False  # validates as the stored row, not as a second one with its code
    probe.full_clean()
    if _category_values(category) == wanted:
        raise Conflict(ConsentErrorCode.NO_CHANGE, _("The proposal changes nothing."))
    # `base`: the values it was written against. A category has no version, and an old rename approved after a
    # reclassification would otherwise quietly make the category ordinary again.
    return {**wanted, "base": _category_values(category)}


@transaction.atomic
def category_change_apply(*, code: str, changes: dict[str, Any]) -> DataCategory:
    """Apply an approved category change. A category that becomes sensitive leaves every consent that bundled
    it (or took it without the explicit confirmation sensitive data needs) without it: those consents stop
    covering it and wait for the citizen's renewal (PIPL Art 29: separate consent for sensitive data)."""
    category = DataCategory.objects.select_for_update().filter(code=code).first()
    if category is None:
        raise NotFound(ConsentErrorCode.UNKNOWN_CATEGORY, _("No such data category."))
    if changes.get("base") not in (None, _category_values(category)):
        raise Conflict(ConsentErrorCode.PROPOSAL_STALE,
                       _("The category changed after this proposal was made; propose again."))
    epidemic_only = _category_check(code=code, epidemic_only=changes.get("epidemic_only"), category=category)
    became_sensitive = changes["sensitive"] and not category.sensitive
    category.label_zh, category.label_en = changes["label_zh"], changes["label_en"]
    category.sensitive, category.epidemic_only = changes["sensitive"], epidemic_only
    category.full_clean()
    category.save()
    if became_sensitive:
        _consents_reclassify(category=category)
    return category


def _consents_reclassify(*, category: DataCategory) -> int:
    """Mark `category` as awaiting renewal in every live consent that does not meet the sensitive-data rules."""
    # Filtered by purpose bound in SQL, by the JSON list in Python: SQLite has no JSON containment lookup.
    candidates = Consent.objects.filter(
        purpose__categories=category, withdrawn_at__isnull=True, sensitive=False
    ).only("id", "categories", "renewal_categories")
    changed = []
    for consent in candidates.iterator(chunk_size=2000):
        if category.code in consent.categories and category.code not in consent.renewal_categories:
            consent.renewal_categories = sorted({*consent.renewal_categories, category.code})
            changed.append(consent)
    Consent.objects.bulk_update(changed, ["renewal_categories"], batch_size=2000)
    return len(changed)


def _purpose_check(
    *, code: str, legal_basis: str, categories: list[str], epidemic_control: bool
) -> dict[str, DataCategory]:
    """The rules of a purpose's bound; returns {code: DataCategory} of the wanted categories."""
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
    # The code's own invariant first, whatever the stored flags say; then the flag of other epidemic-only ones.
    restricted = [c for c in wanted if found[c].epidemic_only or c in EPIDEMIC_ONLY_CATEGORIES]
    if restricted and not epidemic_control:
        raise ValidationError({"categories": ValidationError(
            _("%(codes)s may be used only by epidemic-control purposes.") % {"codes": ", ".join(restricted)},
            code="epidemic_only_category")})
    return found


def _purpose_values(purpose: Purpose) -> dict[str, Any]:
    return {
        "label_zh": purpose.label_zh, "label_en": purpose.label_en, "description_zh": purpose.description_zh,
        "description_en": purpose.description_en, "legal_basis": purpose.legal_basis,
        "categories": sorted(purpose.categories.values_list("code", flat=True)),
        "retention_days": purpose.retention_days, "epidemic_control": purpose.epidemic_control,
        "single_use": purpose.single_use,
    }


def _purpose_wanted(purpose: Purpose | None, **fields: Any) -> dict[str, Any]:
    wanted = dict(fields)
    wanted["categories"] = sorted(set(wanted["categories"] or []))
    for flag in ("epidemic_control", "single_use"):
        if wanted[flag] is None:
            wanted[flag] = getattr(purpose, flag) if purpose is not None else False
    return wanted


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
    single_use: bool | None = None,
) -> Purpose:
    """Create a purpose and its category bound, or return it unchanged. Idempotent.

    Rules: every category must exist; an epidemic-only category (the health colour) may be bound only to an
    epidemic-control purpose. `epidemic_control=None`/`single_use=None` keep the stored flag (False for a new
    purpose). Changing an existing purpose needs a proposal (`purpose_change_propose`): Forbidden
    `proposal_required`.
    """
    purpose = Purpose.objects.select_for_update().filter(code=code).first()
    wanted = _purpose_wanted(
        purpose, label_zh=label_zh, label_en=label_en, description_zh=description_zh,
        description_en=description_en, legal_basis=legal_basis, categories=categories,
        retention_days=retention_days, epidemic_control=epidemic_control, single_use=single_use,
    )
    found = _purpose_check(code=code, legal_basis=wanted["legal_basis"], categories=wanted["categories"],
                           epidemic_control=wanted["epidemic_control"])
    if purpose is not None:
        if _purpose_values(purpose) == wanted:
            return purpose
        raise Forbidden(ConsentErrorCode.PROPOSAL_REQUIRED,
                        _("Changing a purpose needs a proposal that a second data-bureau "
                                              "administrator approves."))
    fields = {k: v for k, v in wanted.items() if k != "categories"}
    purpose = Purpose(code=code, **fields)
    purpose.full_clean()
    purpose.save()
    purpose.categories.set([found[c] for c in wanted["categories"]])
    return purpose


def purpose_change_check(*, code: str, legal_reference: str = "", **fields: Any) -> dict[str, Any]:
    """Validate a proposed change of an existing purpose; return the values to store in the proposal
    (with `base_version`, the text version it was written against)."""
    purpose = Purpose.objects.filter(code=code).first()
    if purpose is None:
        raise NotFound(ConsentErrorCode.UNKNOWN_PURPOSE, _("No such purpose."))
    wanted = _purpose_wanted(purpose, **fields)
    _purpose_check(code=code, legal_basis=wanted["legal_basis"], categories=wanted["categories"],
                   epidemic_control=wanted["epidemic_control"])
    if wanted["legal_basis"] == LegalBasis.STATUTORY and not legal_reference.strip():
        raise ValidationError({"legal_reference": ValidationError(
            _("A statutory basis needs the legal reference (law and article)."), code="legal_reference_required")})
    probe = Purpose(pk=purpose.pk, code=code, **{k: v for k, v in wanted.items() if k != "categories"})
    probe._state.adding = False  # validates as the stored row, not as a second one with its code
    probe.full_clean()
    if _purpose_values(purpose) == wanted:
        raise Conflict(ConsentErrorCode.NO_CHANGE, _("The proposal changes nothing."))
    # `base`: every value it was written against, not only the text version: legal basis, retention and flags
    # change without a new version, and an old proposal would otherwise quietly undo such a change.
    return {**wanted, "base_version": purpose.text_version, "base": _purpose_values(purpose)}


@transaction.atomic
def purpose_change_apply(*, code: str, changes: dict[str, Any]) -> Purpose:
    """Apply an approved purpose change. A change of the texts or of the bound bumps `text_version`, which
    moves every live consent to the purpose to "needs renewal" (PIPL Art 14: a changed purpose needs new
    consent): the gate compares each consent's version with the purpose's, so nothing else is rewritten."""
    purpose = Purpose.objects.select_for_update().filter(code=code).first()
    if purpose is None:
        raise NotFound(ConsentErrorCode.UNKNOWN_PURPOSE, _("No such purpose."))
    if changes.get("base_version") not in (None, purpose.text_version):
        raise Conflict(ConsentErrorCode.PROPOSAL_STALE,
                       _("The purpose changed after this proposal was made; propose again."))
    if changes.get("base") not in (None, _purpose_values(purpose)):
        raise Conflict(ConsentErrorCode.PROPOSAL_STALE,
                       _("The purpose changed after this proposal was made; propose again."))
    wanted = {k: v for k, v in changes.items() if k not in ("base_version", "base")}
    found = _purpose_check(code=code, legal_basis=wanted["legal_basis"], categories=wanted["categories"],
                           epidemic_control=wanted["epidemic_control"])
    current = _purpose_values(purpose)
    texts = ("label_zh", "label_en", "description_zh", "description_en", "categories")
    if any(current[k] != wanted[k] for k in texts):
        purpose.text_version += 1
    for name, value in wanted.items():
        if name != "categories":
            setattr(purpose, name, value)
    purpose.full_clean()
    purpose.save()
    purpose.categories.set([found[c] for c in wanted["categories"]])
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
        raise NotFound(ConsentErrorCode.UNKNOWN_PURPOSE, _("No such purpose."))
    return found


def catalogue_ensure() -> None:
    """Create the initial categories and purposes that are missing (never changes existing ones)."""
    from .. import catalogue

    known = set(DataCategory.objects.values_list("code", flat=True))
    for code, zh, en, sensitive, epidemic_only in catalogue.CATEGORIES:
        if code not in known:
            category_upsert(code=code, label_zh=zh, label_en=en, sensitive=sensitive, epidemic_only=epidemic_only)
    known = set(Purpose.objects.values_list("code", flat=True))
    for code, zh, en, dzh, den, basis, categories, retention, epidemic in catalogue.PURPOSES:
        if code not in known:
            purpose_upsert(code=code, label_zh=zh, label_en=en, description_zh=dzh, description_en=den,
                           legal_basis=basis, categories=categories, retention_days=retention,
                           epidemic_control=epidemic, single_use=code in catalogue.SINGLE_USE)
