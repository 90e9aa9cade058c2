"""The built-in "city code" (城市码): one rotating token per citizen, registered by core like any plugin.

The token carries no personal claims at all: only the pairwise subject, the type and the times. A verifier
learns something about the citizen only through ``POST /api/v1/scan``, where the consent gate decides which
categories it may see. The city code provides the identity categories itself and, through the registry,
delegates every other category to the code type that provides it (the default ``present``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from .plugin_api import CodeType

ADULT_AGE = 18

NAME = "identity.name"
ID_MASKED = "identity.id_masked"
PHONE = "identity.phone"
ADULT = "identity.adult"


class CityCodeType(CodeType):
    key = "city"
    label_zh = "城市码"
    label_en = "City code"
    # Short enough that a photographed code is useless minutes later; the device fetches the next one early.
    lifetime = dt.timedelta(minutes=5)
    # These categories are part of the consent app's seeded catalogue, so the city code declares none.
    provides = frozenset({NAME, ID_MASKED, PHONE, ADULT})

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        # Only a real-name-verified, active person holds a city code (staff-only accounts do not).
        if not getattr(citizen, "is_active", False) or getattr(citizen, "real_name_verified_at", None) is None:
            return None
        return {}

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for category in categories:
            if category == NAME:
                values[NAME] = citizen.name
            elif category == ID_MASKED:
                values[ID_MASKED] = citizen.id_masked
            elif category == PHONE:
                values[PHONE] = citizen.phone
            elif category == ADULT:
                age = citizen.age_on(timezone.localdate())
                values[ADULT] = None if age is None else age >= ADULT_AGE
        return values
