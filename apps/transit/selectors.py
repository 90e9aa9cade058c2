"""Reads for transit: accounts, certificates, the deny list, readers."""

import hmac
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.codes.plugin_api import city_issuer, issuer_key_entry_list, secret_digest

from .models import AccountEvent, DenyList, DenyListDelta, Reader, RideAccount, RiderCertificate


def ride_account_get(*, citizen: Any) -> RideAccount | None:
    return RideAccount.objects.filter(citizen=citizen).first()


def account_for_pseudonym_get(*, pseudonym: str, operator: Any = None) -> RideAccount | None:
    """The account a certificate pseudonym belongs to. Only the operator settling fares may use it (the pseudonym
    is the one link between a tap and a rider); pass ``operator`` to find only its own certificates."""
    certificates = RiderCertificate.objects.filter(pseudonym=pseudonym)
    if operator is not None:
        certificates = certificates.filter(operator=operator)
    certificate = certificates.select_related("account").first()
    return certificate.account if certificate else None


def certificate_list(*, account: RideAccount) -> QuerySet[RiderCertificate]:
    return RiderCertificate.objects.filter(account=account).order_by("-issued_at")


def certificate_live_list(*, account: RideAccount, operator: Any = None) -> QuerySet[RiderCertificate]:
    """The account's certificates a reader would still accept (unexpired, unrevoked)."""
    live = RiderCertificate.objects.filter(account=account, expires_at__gt=timezone.now(), revoked_at__isnull=True)
    return live.filter(operator=operator) if operator is not None else live


def account_event_list(*, account: RideAccount) -> QuerySet[AccountEvent]:
    return AccountEvent.objects.filter(account=account).order_by("at", "id")


def deny_list_version_get(*, operator: Any) -> int:
    head = DenyList.objects.filter(operator=operator).first()
    return head.version if head else 0


def deny_list_delta_list(*, operator: Any, since: int = 0) -> QuerySet[DenyListDelta]:
    """The operator's deny-list changes after version ``since``, oldest first, leaving out those whose
    certificate has expired (a reader refuses an expired certificate anyway)."""
    return DenyListDelta.objects.filter(
        operator=operator, version__gt=since, expires_at__gt=timezone.now()
    ).order_by("version")


def reader_get(*, device_id: str, secret: str) -> Reader | None:
    """The active reader of an active operator with this device ID and secret, else None."""
    reader = Reader.objects.select_related("operator").filter(device_id=device_id, is_active=True).first()
    if reader is None or not reader.operator.is_active:
        return None
    # Compare digests in constant time: a timing difference must not reveal how much of a guess was right.
    return reader if hmac.compare_digest(reader.credential_digest, secret_digest(secret)) else None


def reader_list(*, operator: Any) -> QuerySet[Reader]:
    return Reader.objects.filter(operator=operator).select_related("line", "stop").order_by("device_id")


def ride_account_export_get(*, citizen: Any) -> dict[str, Any]:
    """Everything transit holds about the citizen (PIPL Art 45): the account, its certificates and its events.
    Never a secret; the pseudonyms are the citizen's own."""
    account = ride_account_get(citizen=citizen)
    if account is None:
        return {"account": None}
    return {
        "account": {
            "mode": account.mode,
            "status": account.status,
            "balance_fen": account.balance_fen,
            "credit_limit_fen": account.credit_limit_fen,
            "concession": account.concession,
            "created_at": account.created_at.isoformat(),
        },
        "certificates": [
            {
                "serial": c.serial,
                "pseudonym": c.pseudonym,
                "operator": c.operator.slug,
                "device_bound": c.device_key is not None,
                "fare_limit_fen": c.fare_limit_fen,
                "concession": c.concession,
                "issued_at": c.issued_at.isoformat(),
                "expires_at": c.expires_at.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            }
            for c in certificate_list(account=account).select_related("operator")
        ],
        "events": [
            {"kind": e.kind, "from": e.from_status, "to": e.to_status, "detail": e.detail, "at": e.at.isoformat()}
            for e in account_event_list(account=account)
        ],
    }


# -- fares, taps, settlement, money (transit_fares) ---------------------------------------------------------------


def fare_table_get(*, operator: Any) -> dict[str, Any] | None:
    """The operator's fares as JSON-ready data (for the reader package, and for apps.transit.fares.table_from):
    GTFS Fares v2 shaped — products, rider categories, timeframes, leg rules, transfer rules, caps — plus the
    stops' positions for distance fares. None when the operator has no fares."""
    from .models import FareNetwork, Stop

    network = FareNetwork.objects.filter(operator=operator).first()
    if network is None:
        return None
    return {
        "version": network.version,
        "default_fare_fen": network.default_fare_fen,
        "unmatched_timeout_s": network.unmatched_timeout_s,
        "products": [{"id": p.pk, "code": p.code, "name_zh": p.name_zh, "name_en": p.name_en,
                      "amount_fen": p.amount_fen} for p in network.products.order_by("pk")],
        "rider_categories": [{"id": c.pk, "code": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
                              "fare_percent": c.fare_percent} for c in network.rider_categories.order_by("pk")],
        "timeframes": [{"id": t.pk, "code": t.code, "start_s": t.start_s, "end_s": t.end_s}
                       for t in network.timeframes.order_by("pk")],
        "leg_rules": [{"id": r.pk, "mode": r.mode, "line": r.line_id, "min_distance_m": r.min_distance_m,
                       "max_distance_m": r.max_distance_m, "timeframe": r.timeframe_id, "product": r.product_id,
                       "priority": r.priority} for r in network.leg_rules.order_by("pk")],
        "transfer_rules": [{"id": t.pk, "from_mode": t.from_mode, "to_mode": t.to_mode, "discount_fen": t.discount_fen,
                            "duration_limit_s": t.duration_limit_s, "transfer_count": t.transfer_count}
                           for t in network.transfer_rules.order_by("pk")],
        "caps": [{"id": c.pk, "period": c.period, "rider_category": c.rider_category_id, "amount_fen": c.amount_fen}
                 for c in network.caps.order_by("pk")],
        "stop_positions_m": {str(s.pk): int(round(s.km * 1000)) for s in Stop.objects.filter(operator=operator)},
    }


# The name transit's reader-package endpoint calls (the brief's name); the selector convention's name is above.
fare_table_export = fare_table_get


def trip_list(*, account: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The account's latest trips, newest first, each with its fare and the steps that priced it."""
    from .fares import explain
    from .models import Trip

    trips = (Trip.objects.filter(account=account).select_related("line", "from_stop", "to_stop", "leg_rule__product",
                                                                   "transfer_rule")
             .order_by("-start_s", "-first_tap_id")[:limit])
    return [{"trip": t, "steps": explain(t)} for t in trips]


def ledger_entry_list(*, account: Any, limit: int = 50) -> Any:
    from .models import LedgerEntry

    return LedgerEntry.objects.filter(account=account).order_by("-id")[:limit]


def tap_upload_list(*, operator: Any, limit: int = 50) -> Any:
    from .models import TapUpload

    return TapUpload.objects.filter(operator=operator).select_related("reader").order_by("-id")[:limit]


def settlement_run_list(*, operator: Any, limit: int = 20) -> Any:
    from .models import SettlementRun

    return SettlementRun.objects.filter(operator=operator).order_by("-id")[:limit]


def settlement_run_get(*, operator: Any, run_id: int) -> Any:
    from .models import SettlementRun

    return SettlementRun.objects.filter(operator=operator, pk=run_id).first()


def settlement_total_list(*, operator: Any, limit: int = 14) -> list[dict[str, Any]]:
    """Per service day: trips and fen charged (the operator's settlement totals)."""
    from django.db.models import Count, Sum

    from .models import Trip

    rows: Any = (Trip.objects.filter(operator=operator).values("service_date")
                .annotate(trips=Count("id"), charged_fen=Sum("charged_fen"), fare_fen=Sum("fare_fen"))
            .order_by("-service_date")[:limit])
    return list(rows)


def tap_pending_count(*, operator: Any) -> int:
    from .models import PendingTap

    return PendingTap.objects.filter(operator=operator).count()


def ride_money_export_get(*, citizen: Any) -> dict[str, Any]:
    """The citizen's trips (with the taps' times and stops, never another rider's) and ledger, for the export."""
    from .fares import explain
    from .models import LedgerEntry, PendingTap, Tap, Trip

    account = ride_account_get(citizen=citizen)
    if account is None:
        return {"taps": [], "trips": [], "ledger": []}
    pending = set(PendingTap.objects.filter(account=account).values_list("tap_id", flat=True))
    return {
        "taps": [{"at": t.at.isoformat(), "direction": t.direction, "mode": t.mode, "line": t.line_id,
                  "stop": t.stop_id, "reader": t.reader_id, "settled": t.pk not in pending}
                 for t in Tap.objects.filter(account=account).order_by("at_s", "id")],
        "trips": [{"service_date": t.service_date.isoformat(), "mode": t.mode, "line": t.line_id,
                   "from_stop": t.from_stop_id, "to_stop": t.to_stop_id, "start_s": t.start_s, "end_s": t.end_s,
                   "charged_fen": t.charged_fen, "steps": explain(t)}
                  for t in Trip.objects.filter(account=account).order_by("start_s", "first_tap_id")
                  ],
        "ledger": [{"kind": e.kind, "amount_fen": e.amount_fen, "reference": e.reference,
                    "at": e.created_at.isoformat()}
                   for e in LedgerEntry.objects.filter(account=account).order_by("id")],
    }


# -- the reader package -----------------------------------------------------------------------------------------

PACKAGE_VALID_SECONDS = 86400  # a reader works a whole day offline on one package


def reader_fare_fen_get(*, reader: Reader) -> int:
    """The most one tap at this reader can cost, checked offline against a certificate's single-fare limit: the
    dearest product of a leg rule for this reader's mode (and line), or the default fare for an unmatched tap,
    whichever is higher. 0 when the operator has no fares (readers then check no limit beyond the certificate's)."""
    from django.db.models import Max, Q

    from .models import FareNetwork

    network = FareNetwork.objects.filter(operator_id=reader.operator_id).first()
    if network is None:
        return 0
    mode = "metro" if reader.kind == Reader.Kind.GATE else (reader.line.mode if reader.line else "bus")
    rules = network.leg_rules.filter(mode=mode)
    if reader.line_id is not None:
        rules = rules.filter(Q(line__isnull=True) | Q(line_id=reader.line_id))
    dearest = rules.aggregate(m=Max("product__amount_fen"))["m"] or 0
    return max(dearest, network.default_fare_fen)


def reader_package_get(*, reader: Reader, since: int = 0) -> dict[str, Any]:
    """What a reader needs to verify ride codes offline for a day: the city's issuer keys, its operator's deny
    list as a version and the deltas after ``since``, and its fare data. Nothing about any rider but the
    pseudonyms of denied certificates, which only the settling operator can map back."""
    version = deny_list_version_get(operator=reader.operator)
    since = min(max(since, 0), version)
    deltas = [
        {"version": d.version, "pseudonym": d.pseudonym, "action": d.action,
         "expires_at": int(d.expires_at.timestamp())}
        for d in deny_list_delta_list(operator=reader.operator, since=since)
    ]
    return {
        "type": "citycode-transit-reader-package",
        "operator": reader.operator.slug,
        "reader": {"device_id": reader.device_id, "kind": reader.kind, "seen_group": reader.seen_key,
                   "line": reader.line.code if reader.line else None,
                   "stop": reader.stop.code if reader.stop else None},
        "issued_at": int(timezone.now().timestamp()),
        "valid_for_seconds": PACKAGE_VALID_SECONDS,
        "issuer_keys": [entry for entry in issuer_key_entry_list() if entry["iss"] == city_issuer()],
        "deny_list": {"version": version, "since": since, "deltas": deltas},
        "fare_fen": reader_fare_fen_get(reader=reader),
        # The operator's fare tables as data (GTFS Fares v2 shaped); readers price nothing offline.
        "fares": fare_table_get(operator=reader.operator) or {},
    }
