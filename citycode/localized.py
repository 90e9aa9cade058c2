"""Bilingual data (rows and declarations with `<field>_zh` / `<field>_en`) shown in the active language.

zh-Hans is the city's default; English is picked only when the request's language is English.
"""

from typing import Any

from django.utils.translation import get_language


def prefers_english(language: str | None = None) -> bool:
    return (language or get_language() or "").lower().startswith("en")


def localized(obj: Any, field: str = "label", language: str | None = None) -> str:
    """`obj.<field>_en` under English (when it is filled), else `obj.<field>_zh`."""
    if prefers_english(language):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return english
    return getattr(obj, f"{field}_zh")
