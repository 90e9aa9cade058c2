"""Writes for fares, taps, settlement and money: the fare data of an operator, a reader's tap batch, a settlement
run, a top-up and a debt payment. (Accounts, certificates and the deny list are in ``services.py``; a failed
charge and its payment move an account through ``services.account_arrears_enter`` / ``_leave``.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import domain_error

from . import services, settlement
from .errors import FareErrorCode
from .fares import BOARD, IN, OUT
from .models import (
    FareCap,
    FareLegRule,
    FareNetwork,
    FareProduct,
    FareTransferRule,
    LedgerEntry,
    PendingTap,
    Reader,
    RideAccount,
    RiderCategory,
    RiderCertificate,
    SettlementRun,
    Tap,
    TapUpload,
    Timeframe,
)

MAX_BATCH = 5000  # taps per upload: a day of a busy bus is ~1,500; larger batches are split by the reader
FUTURE_SLACK = dt.timedelta(minutes=5)  # a reader's clock may run a little fast, not a day
TAPS_PER_CHUNK = 200_000  # one settlement transaction: five for a million taps, progress after each
MAX_TOP_UP_FEN = 100_000_00  # 100,000 yuan


# -- fare data ---------------------------------------------------------------------------------------------------


def _bump(network: FareNetwork) -> None:
    FareNetwork.objects.filter(pk=network.pk).update(version=F("version") + 1, updated_at=timezone.now())


@transaction.atomic
def fare_network_set(*, operator: Any, default_fare_fen: int, unmatched_timeout_s: int = 3 * 3600) -> FareNetwork:
    """Create or change the operator's fare network (its default fare for an unmatched tap, the wait for a tap-out)."""
    services._require_operator(operator)
    network = FareNetwork.objects.select_for_update().filter(operator=operator).first()
    if network is None:
        network = FareNetwork(operator=operator, default_fare_fen=default_fare_fen,
                              unmatched_timeout_s=unmatched_timeout_s)
        network.full_clean(exclude=["operator"])
        network.save()
        return network
    if (network.default_fare_fen, network.unmatched_timeout_s) != (default_fare_fen, unmatched_timeout_s):
        network.default_fare_fen, network.unmatched_timeout_s = default_fare_fen, unmatched_timeout_s
        network.full_clean(exclude=["operator"])
        network.save()
        _bump(network)
    return network


def _upsert(model: Any, network: FareNetwork, lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    """Create or update one fare row; the network's version moves only when something changed."""
    row = model.objects.filter(network=network, **lookup).first()
    if row is not None and all(getattr(row, k) == v for k, v in values.items()):
        return row
    row = row or model(network=network, **lookup)
    for key, value in values.items():
        setattr(row, key, value)
    row.full_clean(exclude=["network"])
    row.save()
    _bump(network)
    return row


@transaction.atomic
def rider_category_set(
    *, network: FareNetwork, code: str, name_zh: str, name_en: str, fare_percent: int
) -> RiderCategory:
    return _upsert(RiderCategory, network, {"code": code},
                   {"name_zh": name_zh, "name_en": name_en, "fare_percent": fare_percent})


@transaction.atomic
def fare_product_set(
    *, network: FareNetwork, code: str, name_zh: str, name_en: str, amount_fen: int
) -> FareProduct:
    return _upsert(FareProduct, network, {"code": code},
                   {"name_zh": name_zh, "name_en": name_en, "amount_fen": amount_fen})


@transaction.atomic
def timeframe_set(*, network: FareNetwork, code: str, start_s: int, end_s: int) -> Timeframe:
    return _upsert(Timeframe, network, {"code": code}, {"start_s": start_s, "end_s": end_s})


@transaction.atomic
def leg_rule_set(
    *, network: FareNetwork, product: FareProduct, mode: str, line: Any = None, min_distance_m: int = 0,
    max_distance_m: int | None = None, timeframe: Timeframe | None = None, priority: int = 0,
) -> FareLegRule:
    """The leg rule for exactly this (mode, line, band, timeframe); its product and priority are updated."""
    return _upsert(FareLegRule, network, {"mode": mode, "line": line, "min_distance_m": min_distance_m,
                                          "max_distance_m": max_distance_m, "timeframe": timeframe},
                   {"product": product, "priority": priority})


@transaction.atomic
def transfer_rule_set(
    *, network: FareNetwork, from_mode: str, to_mode: str, discount_fen: int, duration_limit_s: int,
    transfer_count: int = 1,
) -> FareTransferRule:
    return _upsert(FareTransferRule, network, {"from_mode": from_mode, "to_mode": to_mode},
                   {"discount_fen": discount_fen, "duration_limit_s": duration_limit_s,
                    "transfer_count": transfer_count})


@transaction.atomic
def cap_set(
    *, network: FareNetwork, period: str, amount_fen: int, rider_category: RiderCategory | None = None
) -> FareCap:
    return _upsert(FareCap, network, {"period": period, "rider_category": rider_category}, {"amount_fen": amount_fen})


# -- taps --------------------------------------------------------------------------------------------------------


def _digest(taps: Sequence[dict[str, Any]]) -> str:
    # The instant, not its spelling: the same tap sent again with another UTC offset is the same tap.
    canonical = sorted((t["uid"], t["at"].timestamp(), t["pseudonym"], t["direction"]) for t in taps)
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def _check_batch(*, reader: Reader, taps: Sequence[dict[str, Any]], now: dt.datetime) -> None:
    if len(taps) > MAX_BATCH:
        raise domain_error(FareErrorCode.BATCH_TOO_LARGE, _("A batch holds at most %(n)d taps.") % {"n": MAX_BATCH})
    uids = [t["uid"] for t in taps]
    if len(set(uids)) != len(uids):
        raise domain_error(FareErrorCode.DUPLICATE_TAP_IN_BATCH, _("Two taps of the batch have the same ID."))
    allowed = {BOARD} if reader.kind == Reader.Kind.BUS else {IN, OUT}
    for tap in taps:
        if tap["direction"] not in allowed:
            raise domain_error(FareErrorCode.BAD_TAP_DIRECTION,
                               _("A bus validator records boardings; a metro gate records entries and exits."))
        if tap["at"] > now + FUTURE_SLACK:
            raise domain_error(FareErrorCode.TAP_IN_FUTURE, _("A tap cannot be later than now."))
    placed = reader.stop_id is not None if reader.kind == Reader.Kind.GATE else reader.line_id is not None
    if not placed:
        raise domain_error(FareErrorCode.READER_NOT_PLACED,
                           _("This reader has no line or station yet; its operator must place it first."))


def _tap_row(*, reader: Reader, upload: TapUpload, tap: dict[str, Any], account_id: int | None, mode: str,
             line_id: int | None) -> Tap:
    at: dt.datetime = tap["at"]
    local = timezone.localtime(at)
    service_date = local.date()
    return Tap(
        reader=reader, tap_uid=tap["uid"], upload=upload, operator_id=reader.operator_id, mode=mode, line_id=line_id,
        stop_id=reader.stop_id, direction=tap["direction"], pseudonym=tap["pseudonym"], at=at,
        at_s=int(at.timestamp()), day_s=local.hour * 3600 + local.minute * 60 + local.second,
        service_date=service_date, service_week=service_date - dt.timedelta(days=service_date.weekday()),
        account_id=account_id,
    )


def tap_batch_upload(*, reader: Reader, batch_id: str, taps: Sequence[dict[str, Any]]) -> tuple[TapUpload, bool]:
    """Store a reader's batch of taps; returns (upload, created). Each tap is ``{uid, at, pseudonym, direction}``.

    Exactly once: the same batch again returns the first answer; a tap already stored by an overlapping batch is
    counted as a duplicate and not stored again ((reader, tap_uid) is unique). The same batch ID with other taps
    is refused (409). The whole batch is stored or nothing is.

    Riders are only pseudonyms: each maps to its account in one query per batch (a join on the certificates of
    this reader's operator); a pseudonym of no certificate of this operator is kept as an unknown rider's tap,
    never settled."""
    now = timezone.now()
    _check_batch(reader=reader, taps=taps, now=now)
    digest = _digest(taps)
    existing = TapUpload.objects.filter(reader=reader, batch_id=batch_id).first()
    if existing is not None:
        return _replayed(existing, digest), False
    try:
        with transaction.atomic():
            upload = TapUpload.objects.create(reader=reader, operator_id=reader.operator_id, batch_id=batch_id,
                                              digest=digest, received=len(taps), new=0, duplicates=0)
            accounts = dict(RiderCertificate.objects.filter(
                operator_id=reader.operator_id, pseudonym__in={t["pseudonym"] for t in taps},
            ).values_list("pseudonym", "account_id"))
            if reader.kind == Reader.Kind.GATE:
                mode, line_id = "metro", reader.line_id or (reader.stop.line_id if reader.stop else None)
            else:
                mode, line_id = reader.line.mode if reader.line else "bus", reader.line_id
            Tap.objects.bulk_create(
                [_tap_row(reader=reader, upload=upload, tap=t, account_id=accounts.get(t["pseudonym"]), mode=mode,
                          line_id=line_id) for t in taps],
                ignore_conflicts=True, batch_size=1000,
            )
            # The taps this upload stored (not those an overlapping batch stored before) join the queue.
            PendingTap.objects.bulk_create(
                [PendingTap(tap_id=tap_id, operator_id=reader.operator_id, account_id=account_id)
                 for tap_id, account_id in Tap.objects.filter(upload=upload, account__isnull=False)
                 .values_list("pk", "account_id")], batch_size=1000)
            upload.new = Tap.objects.filter(upload=upload).count()
            upload.duplicates = len(taps) - upload.new
            upload.save(update_fields=["new", "duplicates"])
    except IntegrityError:
        # The same batch arrived twice at the same moment: the other request stored it; answer as a replay.
        existing = TapUpload.objects.filter(reader=reader, batch_id=batch_id).first()
        if existing is None:
            raise
        return _replayed(existing, digest), False
    return upload, True


def _replayed(upload: TapUpload, digest: str) -> TapUpload:
    if upload.digest != digest:
        raise domain_error(FareErrorCode.BATCH_ID_REUSED,
                           _("This batch ID was already used for other taps; give a new batch a new ID."))
    return upload


# -- settlement --------------------------------------------------------------------------------------------------


def _network(operator: Any) -> FareNetwork:
    network = FareNetwork.objects.filter(operator=operator).first()
    if network is None:
        raise domain_error(FareErrorCode.NO_FARE_NETWORK, _("This operator has no fares yet."))
    return network


def settlement_start(*, operator: Any, now: dt.datetime | None = None) -> SettlementRun:
    """Queue a settlement of the operator's pending taps (one at a time per operator); a worker runs it."""
    from . import tasks

    network = _network(operator)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            run = SettlementRun.objects.create(
                operator=operator, cutoff_s=int(now.timestamp()) - network.unmatched_timeout_s)
            transaction.on_commit(lambda: tasks.settle.delay(run.pk))
    except IntegrityError:
        raise domain_error(FareErrorCode.SETTLEMENT_RUNNING,
                           _("A settlement of this operator's taps is already under way.")) from None
    return run


def settlement_execute(*, run_id: int, taps_per_chunk: int = TAPS_PER_CHUNK) -> SettlementRun:
    """Run (or resume) a settlement: chunk by chunk, each one transaction that settles its riders' taps at once.

    A worker killed mid-run loses nothing: committed chunks are settled, the rest is still pending, and the task
    (acks late) runs again and resumes. A chunk that fails rolls back whole and fails the run."""
    run = SettlementRun.objects.get(pk=run_id)
    if run.status in (SettlementRun.Status.DONE, SettlementRun.Status.FAILED):
        return run
    network = _network(run.operator)
    bounds = settlement.chunk_bounds(operator_id=run.operator_id, taps_per_chunk=taps_per_chunk)
    open_statuses = [SettlementRun.Status.QUEUED, SettlementRun.Status.RUNNING]
    SettlementRun.objects.filter(pk=run.pk, status__in=open_statuses).update(
        status=SettlementRun.Status.RUNNING, started_at=run.started_at or timezone.now(),
        chunks_total=F("chunks_done") + len(bounds))
    try:
        for lo, hi in bounds:
            with transaction.atomic():
                SettlementRun.objects.select_for_update().get(pk=run.pk)
                result = settlement.settle_chunk(network=network, run_id=run.pk, cutoff_s=run.cutoff_s, lo=lo, hi=hi)
                for account in RideAccount.objects.filter(pk__in=result.deficit_accounts).order_by("pk"):
                    services.account_arrears_enter(
                        account=account,
                        reason="charge_failed" if account.mode == RideAccount.Mode.POSTPAY else "balance_exhausted",
                        detail={"settlement": run.pk, "balance_fen": account.balance_fen})
                SettlementRun.objects.filter(pk=run.pk).update(
                    chunks_done=F("chunks_done") + 1, taps_settled=F("taps_settled") + result.taps,
                    trips=F("trips") + result.trips, charged_fen=F("charged_fen") + result.charged_fen)
    except Exception as exc:
        SettlementRun.objects.filter(pk=run.pk).update(
            status=SettlementRun.Status.FAILED, error=type(exc).__name__[:200], finished_at=timezone.now())
        raise
    unknown = Tap.objects.filter(operator_id=run.operator_id, account__isnull=True).count()
    SettlementRun.objects.filter(pk=run.pk, status=SettlementRun.Status.RUNNING).update(
        status=SettlementRun.Status.DONE, finished_at=timezone.now(), taps_unknown=unknown)
    run.refresh_from_db()
    return run


# -- money -------------------------------------------------------------------------------------------------------


def _credit(*, account: RideAccount, kind: str, amount_fen: int, reference: str) -> tuple[LedgerEntry, bool]:
    """Add money to the account once per reference; leave arrears when the debt is within the limit again."""
    if not isinstance(amount_fen, int) or amount_fen <= 0 or amount_fen > MAX_TOP_UP_FEN:
        raise domain_error(FareErrorCode.BAD_AMOUNT, _("The amount must be a whole number of fen above zero."))
    with transaction.atomic():
        locked = RideAccount.objects.select_for_update().get(pk=account.pk)
        existing = LedgerEntry.objects.filter(reference=reference).first()
        if existing is not None:
            if (existing.account_id, existing.kind, existing.amount_fen) != (locked.pk, kind, amount_fen):
                raise domain_error(FareErrorCode.IDEMPOTENCY_KEY_REUSED,
                                   _("This payment reference was already used for another payment."))
            return existing, False
        entry = LedgerEntry.objects.create(account=locked, kind=kind, amount_fen=amount_fen, reference=reference)
        RideAccount.objects.filter(pk=locked.pk).update(balance_fen=F("balance_fen") + amount_fen,
                                                        updated_at=timezone.now())
        locked.refresh_from_db()
        if locked.status == RideAccount.Status.ARREARS and locked.balance_fen >= -locked.credit_limit_fen \
                and (locked.mode == RideAccount.Mode.POSTPAY or locked.balance_fen >= 0):
            services.account_arrears_leave(account=locked, detail={"ledger_entry": entry.pk, "reference": reference})
    return entry, True


def account_top_up(*, account: RideAccount, amount_fen: int, idempotency_key: str) -> tuple[LedgerEntry, bool]:
    """Top up a ride account (the payment provider has confirmed ``amount_fen``); ``idempotency_key`` names the
    payment, so a retried request adds nothing. Returns (entry, created)."""
    return _credit(account=account, kind=LedgerEntry.Kind.TOP_UP, amount_fen=amount_fen,
                   reference=f"topup:{account.pk}:{idempotency_key}")


def account_debt_pay(*, account: RideAccount, idempotency_key: str) -> tuple[LedgerEntry, bool]:
    """Pay the whole debt of the account (its negative balance), once per key; takes it out of arrears."""
    reference = f"payment:{account.pk}:{idempotency_key}"
    existing = LedgerEntry.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, False
    account.refresh_from_db()
    if account.balance_fen >= 0:
        raise domain_error(FareErrorCode.NO_DEBT, _("This account owes nothing."))
    return _credit(account=account, kind=LedgerEntry.Kind.PAYMENT, amount_fen=-account.balance_fen,
                   reference=reference)
