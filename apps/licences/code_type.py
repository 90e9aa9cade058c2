"""The e-licence code type (电子证照): licences that licence offices define and issue, shown selectively.

Two ways a verifier reads a licence:
- offline, selectively: the citizen answers the verifier's request with an ISO 18013-5-style presentation
  (``mdoc.py``) of only the fields the purpose allows and the citizen chooses (services.presentation_create);
- online, through the unified scan: the wallet's rotating "licence" code and the consent gate (``provide``).
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from apps.codes.plugin_api import CategorySpec, CodeType, PurposeSpec

from . import selectors

DRIVING = "licence.driving"
GENERAL = "licence.general"
HOTEL_PURPOSE = "hotel.check_in"


class LicenceCodeType(CodeType):
    key = "licence"
    label_zh = "电子证照"
    label_en = "E-licences"
    lifetime = dt.timedelta(minutes=10)
    # Long-lived copies of each licence carry an index in this type's status list (revocation, suspension).
    status_list = True
    categories = (
        # The driving licence's texts are the consent catalogue's seed: re-declaring them changes nothing.
        CategorySpec(DRIVING, "驾驶证", "Driving licence"),
        CategorySpec(GENERAL, "电子证照", "Electronic licence"),
    )
    purposes = (
        PurposeSpec(
            "licence.traffic_check", "交通执法查验驾驶证", "Traffic check of a driving licence",
            categories=("identity.name", "identity.id_masked", DRIVING), retention_days=90,
            legal_basis="statutory",
            description_zh="交警依法查验驾驶证。",
            description_en="A traffic officer's statutory check of a driving licence.",
        ),
        PurposeSpec(
            HOTEL_PURPOSE, "酒店入住登记", "Hotel check-in",
            categories=("identity.adult", "identity.name"), retention_days=30,
            description_zh="酒店核验住客已成年且姓名与登记一致。",
            description_en="A hotel checks that the guest is an adult and that the name matches the booking.",
        ),
    )
    provides = frozenset({DRIVING, GENERAL})
    export_covers = (
        "licences.Licence.citizen",
        "licences.Licence.issued_by",
        "licences.LicenceEvent.by",
        "licences.LicenceEvent.licence",
        "licences.LicenceCredential.licence",
    )

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        # Holding the code says "holds a licence in force"; which ones, and their data, only through the gate.
        count = selectors.licence_in_force_list(citizen=citizen).count()
        return {"n": count} if count else None

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        wanted = [c for c in categories if c in self.provides]
        if not wanted:
            return {}
        licences = list(selectors.licence_in_force_list(citizen=citizen))
        return {
            category: [
                {"type": licence.licence_type.type_code, "label": licence.licence_type.label_en,
                 "identifier": licence.identifier, "valid_until": licence.valid_until.isoformat(),
                 **licence.values}
                for licence in licences if licence.licence_type.category == category
            ]
            for category in wanted
        }

    def export(self, citizen: Any) -> dict[str, Any]:
        licences = selectors.licence_list(citizen=citizen)
        return {
            "licences": [
                {
                    "type": licence.licence_type.type_code,
                    "label_zh": licence.licence_type.label_zh,
                    "label_en": licence.licence_type.label_en,
                    "identifier": licence.identifier,
                    "values": licence.values,
                    "valid_from": licence.valid_from.isoformat(),
                    "valid_until": licence.valid_until.isoformat(),
                    "status": licence.status,
                    "issued_at": licence.created_at.isoformat(),
                    "events": [{"action": e.action, "at": e.at.isoformat(), "reason": e.reason}
                               for e in selectors.licence_event_list(licence=licence)],
                    # Copies handed to the wallet: only their count and dates are kept (no salts, no keys).
                    "copies": [{"issued_at": c.created_at.isoformat(), "expires_at": c.expires_at.isoformat()}
                               for c in licence.credentials.order_by("created_at")],
                }
                for licence in licences
            ],
            # What the person did as licence-office staff, without the other citizens' licence numbers.
            "acts_as_office_staff": [
                {"action": e.action, "at": e.at.isoformat(), "licence_type": e.licence.licence_type.type_code}
                for e in selectors.licence_event_by_list(user=citizen)
            ],
        }
