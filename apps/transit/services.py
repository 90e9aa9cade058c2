"""Writes for transit's accounts, network and deny list. The ride code's certificates are issued in
``ride_code.py``; fares and settlement in their own modules."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import (
    city_issuer,
    consent_covers,
    disclose,
    domain_error,
    emergency_active_exists,
    issuer_signer_active,
    public_key_from_jwk,
    registry,
    secret_digest,
    secret_new,
)

from . import ride_code, selectors
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


# -- the ride code: rider certificates and server-signed codes ------------------------------------------------

CERTIFICATE_LIFETIME = dt.timedelta(hours=6)  # a rider rides a whole morning offline on one certificate
HEALTH_CERTIFICATE_LIFETIME = dt.timedelta(hours=1)  # a colour on a certificate must not outlive its meaning
# A device without a key fetches every code online; its certificate only has to outlive one code.
SERVER_CERTIFICATE_LIFETIME = dt.timedelta(minutes=10)
CODE_LIFETIME_SECONDS = 30  # the phone signs a fresh code at least this often
MAX_FARE_LIMIT_FEN = 2000  # the most a single ride may cost on one certificate (20 yuan)
# A limit is one of a few steps: a limit equal to a rider's odd balance (1,234 fen) would be the same on each
# of their certificates, and so link them.
FARE_LIMIT_STEPS = (0, 100, 200, 300, 500, 1000, MAX_FARE_LIMIT_FEN)
HEALTH_PURPOSE = "transit.boarding_health"  # code_type.HEALTH_PURPOSE
HEALTH_CATEGORY = "health.colour"


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: RiderCertificate
    encoded: bytes  # the COSE_Sign1 bytes the phone embeds in every code
    health_colour: str | None  # what the certificate shows readers (None: nothing about health)


def _fare_limit(account: RideAccount) -> int:
    available = account.balance_fen if account.mode == RideAccount.Mode.PREPAID else account.credit_limit_fen
    return max(step for step in FARE_LIMIT_STEPS if step <= max(0, available))


def health_colour_for_boarding(*, citizen: Any, operator: Any) -> str | None:
    """The rider's health colour for the ride code, or None — and None unless both hold: the rider consented
    (separately: the colour is sensitive) to show it for boarding, and an epidemic emergency covering that
    purpose is active. Only then is the consent gate asked, which checks the operator's grant and logs the
    disclosure in the rider's access log. No colour is made up: without a provider of ``health.colour`` there
    is none."""
    if not emergency_active_exists(purpose=HEALTH_PURPOSE):
        return None
    if not consent_covers(citizen=citizen, purpose=HEALTH_PURPOSE, category=HEALTH_CATEGORY, organization=operator):
        return None
    try:
        disclosure = disclose(organization=operator, purpose=HEALTH_PURPOSE, citizen=citizen,
                              categories=[HEALTH_CATEGORY])
    except Exception as exc:  # DisclosureDenied: the gate said no (and logged it)
        if getattr(exc, "code", None) == "not_disclosed":
            return None
        raise
    if HEALTH_CATEGORY not in disclosure.categories:
        return None
    colour = registry.collect(citizen=citizen, categories=[HEALTH_CATEGORY]).get(HEALTH_CATEGORY)
    if isinstance(colour, dict):
        colour = colour.get("colour")
    return colour if colour in ride_code.HEALTH_COLOURS else None


@transaction.atomic
def certificate_issue(
    *, account: RideAccount, operator: Any, device_jwk: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> IssuedCertificate:
    """Issue a rider certificate for one operator: the device's public key (or none, for server-signed codes),
    a pseudonym drawn fresh for this certificate, the single-fare limit and the concession, for hours.
    Refused for an account in arrears or closed: renewal is what arrears stop."""
    locked = _locked(account)
    if locked.status == RideAccount.Status.ARREARS:
        raise domain_error(TransitErrorCode.ACCOUNT_IN_ARREARS,
                           _("The ride account has unpaid fares: pay them to get a ride code again."))
    if locked.status == RideAccount.Status.CLOSED:
        raise domain_error(TransitErrorCode.ACCOUNT_CLOSED, _("The ride account is closed."))
    if getattr(operator, "kind", None) != OPERATOR_KIND or not operator.is_active:
        raise domain_error(TransitErrorCode.UNKNOWN_OPERATOR, _("No such transit operator."))
    if device_jwk is not None:
        try:
            ride_code.cose_key_from_jwk(device_jwk)
            public_key_from_jwk(device_jwk)  # on the curve, not just the right length
        except (ValueError, KeyError, TypeError):
            raise domain_error(TransitErrorCode.BAD_DEVICE_KEY,
                               _("The device key must be a P-256 public key (JWK).")) from None
        device_jwk = {"kty": "EC", "crv": "P-256", "x": device_jwk["x"], "y": device_jwk["y"]}
    moment = now or timezone.now()
    health = health_colour_for_boarding(citizen=locked.citizen, operator=operator)
    lifetime = SERVER_CERTIFICATE_LIFETIME if device_jwk is None else CERTIFICATE_LIFETIME
    lifetime = min(lifetime, HEALTH_CERTIFICATE_LIFETIME) if health else lifetime
    signer = issuer_signer_active()
    issued_at = int(moment.timestamp())
    expires_at = min(issued_at + int(lifetime.total_seconds()), signer.not_after)
    pseudonym = os.urandom(ride_code.PSEUDONYM_BYTES)
    certificate = RiderCertificate(
        account=locked, operator=operator, serial=secrets.token_hex(8),
        pseudonym=ride_code.pseudonym_text(pseudonym), device_key=device_jwk,
        fare_limit_fen=_fare_limit(locked), concession=locked.concession,
        issued_at=dt.datetime.fromtimestamp(issued_at, tz=dt.UTC),
        expires_at=dt.datetime.fromtimestamp(expires_at, tz=dt.UTC),
    )
    certificate.full_clean(exclude=["account", "operator"])
    certificate.save()
    encoded = ride_code.certificate_encode(signer=signer, claims=ride_code.CertificateClaims(
        issuer=city_issuer(), issued_at=issued_at, expires_at=expires_at, operator=operator.slug,
        pseudonym=pseudonym, fare_limit_fen=certificate.fare_limit_fen, concession=certificate.concession,
        code_lifetime=CODE_LIFETIME_SECONDS, device_jwk=device_jwk, health_colour=health,
    ))
    return IssuedCertificate(certificate=certificate, encoded=encoded, health_colour=health)


def server_code_issue(*, account: RideAccount, operator: Any, now: dt.datetime | None = None) -> tuple[str, int]:
    """A short server-signed ride code for a device that cannot hold a key: a fresh certificate without a
    device key (so consecutive codes share no pseudonym either) and a code the issuer key signs. The same
    rules as a certificate: refused in arrears. Returns the code and its generation time."""
    issued = certificate_issue(account=account, operator=operator, device_jwk=None, now=now)
    generated_at = int((now or timezone.now()).timestamp())
    code = ride_code.code_encode_server(certificate=issued.encoded, generated_at=generated_at, counter=0,
                                        signer=issuer_signer_active())
    return code, generated_at
