"""The health code type. PLACEHOLDER: health_code (branch health_code) replaces this class with the real one
(colour encrypted to a purpose key). It exports what apps.health holds through selectors.citizen_export_data."""

import datetime as dt
from typing import Any

from apps.codes.plugin_api import CodeType

from . import selectors


class HealthCodeType(CodeType):
    key = "health"
    label_zh = "健康码"
    label_en = "Health code"
    lifetime = dt.timedelta(minutes=5)
    export_covers = selectors.EXPORT_COVERS

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        return None  # the placeholder issues no token

    def export(self, citizen: Any) -> dict[str, Any]:
        return selectors.citizen_export_data(citizen=citizen)
