"""Purposes and data categories: the catalogue the data bureau manages (code types register theirs after migrate)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from citycode.errors import NotFound

from ..models import DataCategory, LegalBasis, Purpose


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
    single_use: bool | None = None,
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
    if single_use is None:
        single_use = purpose.single_use
    restricted = [c for c in wanted if found[c].epidemic_only]
    if restricted and not epidemic_control:
        raise ValidationError({"categories": ValidationError(
            _("%(codes)s may be used only by epidemic-control purposes.") % {"codes": ", ".join(restricted)},
            code="epidemic_only_category")})

    current = [] if is_new else sorted(purpose.categories.values_list("code", flat=True))
    texts = (label_zh, label_en, description_zh, description_en)
    texts_changed = texts != (purpose.label_zh, purpose.label_en, purpose.description_zh, purpose.description_en)
    other_changed = (legal_basis, retention_days, epidemic_control, single_use) != (
        purpose.legal_basis, purpose.retention_days, purpose.epidemic_control, purpose.single_use
    )
    if not is_new and not texts_changed and not other_changed and current == wanted:
        return purpose
    if not is_new and (texts_changed or current != wanted):
        purpose.text_version += 1
    purpose.label_zh, purpose.label_en, purpose.description_zh, purpose.description_en = texts
    purpose.legal_basis, purpose.retention_days = legal_basis, retention_days
    purpose.epidemic_control, purpose.single_use = epidemic_control, single_use
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
