"""The health code (健康码): verifies offline by signature like every code; its colour is readable only for
epidemic control, and only while an emergency covering it lasts.

- In the token: claim ``c``, the colour sealed (COSE_Encrypt0, AES-128-GCM, a fresh IV per token) under the
  day's purpose key, which only verifiers with an active ``health.epidemic_control`` grant receive
  (``GET /api/v1/health/verifier-package``). A bank that scans the code sees a valid signature and opaque bytes.
  Outside an emergency no one holds a health code: the colour is in no token at all.
- At ``POST /api/v1/scan``: ``health.colour`` reaches an organization only through the consent gate, which allows
  it only for epidemic-control purposes and only while an emergency covers the purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from apps.codes.plugin_api import CodeType, emergency_active_get

from . import review_selectors, review_services, selectors

COLOUR = "health.colour"
#: The sealed colour's claim key in the token (see purpose_keys.py).
SEALED_COLOUR = "c"


def colour_shown(*, citizen: Any, now: dt.datetime | None = None) -> str | None:
    """The citizen's colour when a verifier may see it (an emergency covering epidemic control is active), else
    None. A citizen without a colour record has no evidence against them: green."""
    if emergency_active_get(purpose=review_services.EPIDEMIC_CONTROL, now=now) is None:
        return None
    row = selectors.colour_get(citizen=citizen)
    return row.colour if row is not None else "green"


class HealthCodeType(CodeType):
    key = "health"
    label_zh = "健康码"
    label_en = "Health code"
    # Rotating like the city code: a photographed code is useless minutes later.
    lifetime = dt.timedelta(minutes=5)
    # health.colour and health.epidemic_control are in the consent app's seeded catalogue (epidemic-only by
    # invariant), so the health code declares no category or purpose of its own.
    provides = frozenset({COLOUR})
    # Only the sealed colour goes into the token: a fresh ciphertext each time, so it links nothing.
    offline_claims = frozenset({SEALED_COLOUR})
    export_covers = (*selectors.EXPORT_COVERS, *review_selectors.EXPORT_COVERS)

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        # Like the city code: an active, real-name-verified person holds a health code.
        if not getattr(citizen, "is_active", False) or getattr(citizen, "real_name_verified_at", None) is None:
            return None
        colour = colour_shown(citizen=citizen)
        if colour is None:
            # No emergency covers epidemic control: the code serves nothing else, so no one holds it (and no
            # token anywhere carries a colour).
            return None
        return {SEALED_COLOUR: review_services.colour_seal(colour=colour)}

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        if COLOUR not in categories:
            return {}
        # The gate has already refused the colour outside an emergency; checked again here so no other path
        # (a future present(), a misconfigured purpose) can show it.
        return {COLOUR: colour_shown(citizen=citizen)}

    def export(self, citizen: Any) -> dict[str, Any]:
        data: dict[str, Any] = selectors.citizen_export_data(citizen=citizen)
        data.update(review_selectors.review_export_data(citizen=citizen))
        return data
