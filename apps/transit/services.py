"""Writes for transit's accounts, network and deny list. The ride code's certificates are issued in
``ride_code.py``; fares and settlement in their own modules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import domain_error, secret_digest, secret_new

from . import selectors
from .errors import TransitErrorCode
from .models import AccountEvent, DenyList, DenyListDelta, Line, Reader, RideAccount, RiderCertificate, Stop

OPERATOR_KIND = "transit_operator"


def _require_operator(operator: Any) -> None:
    if getattr(operator, "kind", None) != OPERATOR_KIND:
        raise domain_error(TransitErrorCode.NOT_AN_OPERATOR, _("Only a transit operator runs lines and readers."))


# -- accounts -------------------------------------------------------------------------------------------------


@transaction.atomic
def account_open(
    *, citizen: Any, mode: str, credit_limit_fen: int = 0, concession: str = RideAccount.Concession.NONE
) -> RideAccount:
    """Open the citizen's ride account (one per citizen; a second opening is refused)."""
    if selectors.ride_account_get(citizen=citizen) is not None:
        raise domain_error(TransitErrorCode.RIDE_ACCOUNT_EXISTS, _("This citizen already has a ride account."))
    account = RideAccount(citizen=citizen, mode=mode, credit_limit_fen=credit_limit_fen, concession=concession)
    account.full_clean(exclude=["citizen"])
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:  # opened at the same moment by another request
        raise domain_error(
            TransitErrorCode.RIDE_ACCOUNT_EXISTS, _("This citizen already has a ride account.")
        ) from None
    _event(account=account, kind=AccountEvent.Kind.OPENED, from_status="", detail={"mode": mode})
    return account


def _event(*, account: RideAccount, kind: str, from_status: str, detail: dict[str, Any]) -> AccountEvent:
    return AccountEvent.objects.create(
        account=account, kind=kind, from_status=from_status, to_status=account.status, detail=detail
    )


def _locked(account: RideAccount) -> RideAccount:
    return RideAccount.objects.select_for_update().get(pk=account.pk)


@transaction.atomic
def account_arrears_enter(*, account: RideAccount, reason: str, detail: dict[str, Any] | None = None) -> RideAccount:
    """Put the account in arrears (a post-pay charge failed): no certificate is issued any more, and the
    pseudonyms of its live certificates enter their operators' deny lists. Idempotent: an account already in
    arrears (or closed) is returned unchanged."""
    locked = _locked(account)
    if locked.status != RideAccount.Status.ACTIVE:
        return locked
    locked.status = RideAccount.Status.ARREARS
    locked.save(update_fields=["status", "updated_at"])
    denied = []
    for certificate in selectors.certificate_live_list(account=locked).select_related("operator"):
        _deny_list_append(certificate=certificate, action=DenyListDelta.Action.ADD, reason=reason)
        denied.append(certificate.serial)
    _event(account=locked, kind=AccountEvent.Kind.ARREARS_ENTERED, from_status=RideAccount.Status.ACTIVE,
           detail={"reason": reason, **(detail or {}), "denied_certificates": denied})
    return locked


@transaction.atomic
def account_arrears_leave(*, account: RideAccount, detail: dict[str, Any] | None = None) -> RideAccount:
    """Take the account out of arrears (the debt is paid): certificates are issued again and its pseudonyms
    leave the deny lists. Idempotent: an account not in arrears is returned unchanged."""
    locked = _locked(account)
    if locked.status != RideAccount.Status.ARREARS:
        return locked
    locked.status = RideAccount.Status.ACTIVE
    locked.save(update_fields=["status", "updated_at"])
    allowed = []
    for certificate in selectors.certificate_live_list(account=locked).select_related("operator"):
        if _is_denied(certificate=certificate):
            _deny_list_append(certificate=certificate, action=DenyListDelta.Action.REMOVE, reason="paid")
            allowed.append(certificate.serial)
    _event(account=locked, kind=AccountEvent.Kind.ARREARS_LEFT, from_status=RideAccount.Status.ARREARS,
           detail={**(detail or {}), "allowed_certificates": allowed})
    return locked


@transaction.atomic
def account_close(*, account: RideAccount, detail: dict[str, Any] | None = None) -> RideAccount:
    """Close the account: its live certificates are revoked and denied. Idempotent."""
    locked = _locked(account)
    if locked.status == RideAccount.Status.CLOSED:
        return locked
    previous = locked.status
    locked.status = RideAccount.Status.CLOSED
    locked.save(update_fields=["status", "updated_at"])
    now = timezone.now()
    for certificate in selectors.certificate_live_list(account=locked).select_related("operator"):
        if not _is_denied(certificate=certificate):
            _deny_list_append(certificate=certificate, action=DenyListDelta.Action.ADD, reason="closed")
        certificate.revoked_at = now
        certificate.save(update_fields=["revoked_at"])
    _event(account=locked, kind=AccountEvent.Kind.CLOSED, from_status=previous, detail=detail or {})
    return locked


# -- deny list ------------------------------------------------------------------------------------------------


def _is_denied(*, certificate: RiderCertificate) -> bool:
    last = (
        DenyListDelta.objects.filter(operator=certificate.operator, pseudonym=certificate.pseudonym)
        .order_by("-version").first()
    )
    return last is not None and last.action == DenyListDelta.Action.ADD


def _deny_list_head(*, operator: Any) -> DenyList:
    """The operator's deny-list head, locked (created on first use; a concurrent creation is retried)."""
    for _attempt in range(2):
        head = DenyList.objects.select_for_update().filter(operator=operator).first()
        if head is not None:
            return head
        try:
            with transaction.atomic():
                DenyList.objects.create(operator=operator)
        except IntegrityError:
            pass
    return DenyList.objects.select_for_update().get(operator=operator)


def _deny_list_append(*, certificate: RiderCertificate, action: str, reason: str) -> DenyListDelta:
    head = _deny_list_head(operator=certificate.operator)
    head.version += 1
    head.save(update_fields=["version"])
    return DenyListDelta.objects.create(
        operator=certificate.operator, version=head.version, pseudonym=certificate.pseudonym, action=action,
        reason=reason[:64], expires_at=certificate.expires_at,
    )


# -- network --------------------------------------------------------------------------------------------------


@transaction.atomic
def line_create(*, operator: Any, code: str, name_zh: str, name_en: str = "", mode: str) -> Line:
    _require_operator(operator)
    line = Line(operator=operator, code=code, name_zh=name_zh, name_en=name_en, mode=mode)
    line.full_clean()
    line.save()
    return line


@transaction.atomic
def stop_create(
    *, operator: Any, code: str, name_zh: str, name_en: str = "", line: Line | None = None, sequence: int = 0,
    km: Decimal | int | str = 0,
) -> Stop:
    _require_operator(operator)
    stop = Stop(operator=operator, code=code, name_zh=name_zh, name_en=name_en, line=line, sequence=sequence,
                km=Decimal(str(km)))
    stop.full_clean()
    stop.save()
    return stop


@transaction.atomic
def reader_register(
    *, operator: Any, device_id: str, kind: str, line: Line | None = None, stop: Stop | None = None,
    seen_group: str = "", secret: str | None = None,
) -> tuple[Reader, str]:
    """Register a reader of the operator and return it with its secret (shown once; only a digest is kept).
    ``secret`` is for the demo's printed credentials; anything else lets the city draw one."""
    _require_operator(operator)
    secret = secret or secret_new()
    reader = Reader(operator=operator, device_id=device_id, kind=kind, line=line, stop=stop, seen_group=seen_group,
                    credential_digest=secret_digest(secret))
    reader.full_clean()
    reader.save()
    return reader, secret


def reader_touch(*, reader: Reader, at: dt.datetime | None = None) -> None:
    """Note that the reader was just heard from (its list shows when each was last seen)."""
    Reader.objects.filter(pk=reader.pk).update(last_seen_at=at or timezone.now())
