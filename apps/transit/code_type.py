"""The ride code (乘车码) as a code type. The ride code itself is two-layer (a rider certificate the city signs,
and a code the phone signs offline; see ``ride_code.py``); this registration puts transit in the city's catalogue
(its categories and the ``transit.boarding`` purpose) and in the citizen's export."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from apps.codes.plugin_api import CategorySpec, CodeType, PurposeSpec

from . import selectors

ACCOUNT = "transit.account"

# The health colour on the ride code (Guangzhou, 2022): its own epidemic-control purpose, since the colour may
# never be bound to an ordinary one like transit.boarding. It rests on an emergency basis, so only a declared
# emergency can cover it; the ride code also requires the rider's own separate consent to it (services.py).
# Created by epidemic_purpose_ensure after migrate (PurposeSpec purposes are synced as ordinary ones).
HEALTH_PURPOSE = PurposeSpec(
    "transit.boarding_health",
    "乘车码显示健康码颜色",
    "Health colour on the ride code",
    categories=("health.colour",),
    retention_days=30,
    legal_basis="emergency",
    description_zh="疫情应急期间，经本人单独同意，在乘车码上向验码设备显示健康码颜色。",
    description_en="During a declared epidemic emergency, and only with the rider's separate consent, the ride "
    "code shows the health code colour to readers.",
)


class TransitCodeType(CodeType):
    key = "transit"
    # The city-code-style token shows that the citizen holds a ride account (a verifier reads its state through
    # the consent gate). The ride code a bus reader accepts is the two-layer code of /transit/ride-code/.
    label_zh = "乘车账户"
    label_en = "Ride account"
    lifetime = dt.timedelta(minutes=5)
    categories = (
        CategorySpec(
            ACCOUNT,
            "乘车账户",
            "Transit account",
            fields=(
                ("held", "已开通", "Held"),
                ("mode", "付费方式", "Payment mode"),
                ("status", "状态", "Status"),
                ("concession", "优惠类型", "Concession"),
            ),
        ),
    )
    purposes = (
        # The same texts as the consent catalogue's seed, so re-declaring them bumps no text version.
        PurposeSpec(
            "transit.boarding",
            "乘车扫码",
            "Boarding public transit",
            categories=("identity.adult", ACCOUNT),
            retention_days=180,
            description_zh="公交、地铁验码乘车并结算车费。",
            description_en="Verify the ride code when boarding, and settle the fare.",
        ),
    )
    provides = frozenset({ACCOUNT})
    export_covers = ("transit.RideAccount.citizen", "transit.RiderCertificate.account", "transit.AccountEvent.account",
                     # fares: the rider's taps (settled or still queued), trips and ledger (ride_money_export_get)
                     "transit.Tap.account", "transit.PendingTap.account", "transit.Trip.account",
                     "transit.LedgerEntry.account")

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        account = selectors.ride_account_get(citizen=citizen)
        if account is None:
            return None
        # Nothing goes into the unified token (no offline_claims): a reader learns a rider's status only from the
        # two-layer ride code, and anyone else only through the consent gate.
        return {"mode": account.mode, "st": account.status}

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        if ACCOUNT not in categories:
            return {}
        account = selectors.ride_account_get(citizen=citizen)
        if account is None:
            return {ACCOUNT: {"held": False}}
        return {ACCOUNT: {"held": True, "mode": account.mode, "status": account.status,
                          "concession": account.concession}}

    def export(self, citizen: Any) -> dict[str, Any]:
        money = selectors.ride_money_export_get(citizen=citizen)
        return {**selectors.ride_account_export_get(citizen=citizen), **money}
