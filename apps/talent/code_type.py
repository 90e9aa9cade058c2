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
        CategorySpec(
            CERTIFICATION,
            "人才认定",
            "Talent certification",
            fields=(
                ("certified", "已认定", "Certified"),
                ("level", "人才层次", "Level"),
                ("issued_by", "认定机构", "Issued by"),
                ("valid_until", "有效期至", "Valid until"),
            ),
        ),
    )
    purposes = (
        # The same texts as the consent catalogue's seed: re-declaring them must not bump the purpose's
        # text version (which would ask every citizen to consent again).
        PurposeSpec(
            "talent.benefits",
            "人才服务",
            "Talent benefits",
            categories=("identity.name", CERTIFICATION),
            retention_days=365,
            description_zh="核验人才认定以办理人才服务。",
            description_en="Checking a talent certification to grant talent benefits.",
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
    export_covers = ("talent.TalentCertification.citizen",)

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        certification = selectors.certification_in_force_get(citizen=citizen)
        if certification is None:
            return None
        # Holding a talent code is itself the offline proof; the level and validity would be the same on every
        # token (linking them) and are not needed offline, so they stay out of the token (no offline_claims):
        # a verifier reads them through the consent gate.
        return {"lvl": certification.level, "vu": certification.valid_until.isoformat()}

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        if CERTIFICATION not in categories:
            return {}
        certification = selectors.certification_in_force_get(citizen=citizen)
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

    def export(self, citizen: Any) -> dict[str, Any]:
        # Every certification, revoked and superseded ones included: the citizen sees the whole history.
        return {
            "certifications": [
                {
                    "level": c.level,
                    "issued_by": c.issued_by,
                    "valid_until": c.valid_until.isoformat(),
                    "revoked": c.revoked,
                    "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                    "created_at": c.created_at.isoformat(),
                }
                for c in selectors.certification_list(citizen=citizen)
            ],
            "in_force": self.claims_for(citizen) is not None,
        }
