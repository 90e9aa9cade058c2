"""The data elements of a licence: the standard ones every type has, and the checks on a type's own fields.

Each element belongs to one data category of the consent catalogue, so the consent gate decides which ones a
verifier receives: the holder's name is ``identity.name``, the derived ``age_over_18`` is ``identity.adult``
(it reveals no birth date), everything else is the licence type's own category (``licence.driving`` …).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

NAME = "name"
BIRTH_DATE = "birth_date"
AGE_OVER_18 = "age_over_18"
IDENTIFIER = "identifier"
VALID_FROM = "valid_from"
VALID_UNTIL = "valid_until"

NAME_CATEGORY = "identity.name"
ADULT_CATEGORY = "identity.adult"

# key -> (label zh, label en, category or None for the type's own)
STANDARD: dict[str, tuple[str, str, str | None]] = {
    NAME: ("姓名", "Name", NAME_CATEGORY),
    AGE_OVER_18: ("年满18周岁", "Aged 18 or over", ADULT_CATEGORY),
    BIRTH_DATE: ("出生日期", "Date of birth", None),
    IDENTIFIER: ("证照编号", "Licence number", None),
    VALID_FROM: ("有效期起", "Valid from", None),
    VALID_UNTIL: ("有效期至", "Valid until", None),
}

KINDS = ("string", "date", "integer", "boolean")
MAX_FIELDS = 24


def category_of(*, element: str, type_category: str) -> str:
    standard = STANDARD.get(element)
    if standard is not None and standard[2] is not None:
        return standard[2]
    return type_category


def element_keys(fields: list[dict[str, Any]]) -> list[str]:
    """Every element of a type, standard first, in a fixed order (the same count for every licence of it)."""
    return [*STANDARD, *(field["key"] for field in fields)]


def label_of(*, element: str, fields: list[dict[str, Any]], english: bool) -> str:
    if element in STANDARD:
        zh, en, _category = STANDARD[element]
        return en if english else zh
    for field in fields:
        if field["key"] == element:
            return str(field["label_en" if english else "label_zh"])
    return element


def value_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str) and 0 < len(value) <= 200
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    return False


def values_of(licence: Any, *, today: dt.date) -> dict[str, Any]:
    """Every element of a licence, standard and own, in the type's fixed order (``age_over_18`` as of today)."""
    citizen = licence.citizen
    age = citizen.age_on(today)
    standard = {
        NAME: citizen.name,
        AGE_OVER_18: age is not None and age >= 18,
        BIRTH_DATE: citizen.birth_date.isoformat() if citizen.birth_date else "",
        IDENTIFIER: licence.identifier,
        VALID_FROM: licence.valid_from.isoformat(),
        VALID_UNTIL: licence.valid_until.isoformat(),
    }
    own = {field["key"]: licence.values.get(field["key"]) for field in licence.licence_type.fields}
    return {**standard, **own}


def labelled(values: dict[str, Any], *, fields: list[dict[str, Any]], english: bool) -> list[dict[str, Any]]:
    """``[{key, label, value}]`` in the reader's language, for pages and API answers."""
    return [{"key": key, "label": label_of(element=key, fields=fields, english=english), "value": value}
            for key, value in values.items()]
