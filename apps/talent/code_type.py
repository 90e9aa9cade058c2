"""The talent code (人才码): shows that a citizen holds a talent certification, and at which level."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from apps.codes.plugin_api import CategorySpec, CodeType, PurposeSpec

from . import selectors

CERTIFICATION = "talent.certification"


class TalentCodeType(CodeType):
    key = "talent"
    label_zh = "人才码"
    label_en = "Talent code"
    lifetime = dt.timedelta(minutes=10)
    categories = (
        CategorySpec(CERTIFICATION, "人才认定（层次与有效期）", "Talent certification (level and validity)"),
    )
    purposes = (
        PurposeSpec(
            "talent.benefits",
            "人才服务与待遇",
            "Talent services and benefits",
            categories=("identity.name", CERTIFICATION),
            retention_days=365,
            description_zh="凭人才码办理人才服务（如绿色通道、子女入学）。",
            description_en="Talent services (fast lanes, school places) on showing the talent code.",
        ),
        PurposeSpec(
            "housing.talent_subsidy",
            "人才住房补贴",
            "Talent housing subsidy",
            categories=("identity.name", "identity.id_masked", CERTIFICATION),
            retention_days=1825,
            description_zh="核验人才层次以发放住房补贴。",
            description_en="Checks the talent level to pay the housing subsidy.",
        ),
    )
    provides = frozenset({CERTIFICATION})

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        certification = selectors.certification_in_force(citizen=citizen)
        if certification is None:
            return None
        # Level and validity only: enough for an offline reader to show "talent, level B, until ...".
        return {"lvl": certification.level, "vu": certification.valid_until.isoformat()}

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        if CERTIFICATION not in categories:
            return {}
        certification = selectors.certification_in_force(citizen=citizen)
        if certification is None:
            return {CERTIFICATION: {"certified": False}}
        return {
            CERTIFICATION: {
                "certified": True,
                "level": certification.level,
                "issued_by": certification.issued_by,
                "valid_until": certification.valid_until.isoformat(),
            }
        }
