"""Writes for codes: issuer keys and their rotation, subjects (pseudonym + status index), issuing tokens,
revocation, and importing peer cities' trust lists.

Issuing is the hot path (a citizen's device fetches a fresh city code every few minutes), so
``token_issue`` writes nothing once the citizen's subject exists: the active key is cached (Django cache,
one minute; its decrypted private key in-process by kid) and the subject's (sub, status index) in-process.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citycode.errors import DomainError, NotFound

from . import keys, statuslists, tokens, trust
from .models import IssuerKey, PeerKey, StatusList, Subject

CODE_TYPE_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")
ACTIVE_KEY_CACHE_SECONDS = 60
TRUST_CACHE_KEY = "codes:trust-list"
STATUS_CACHE_KEY = "codes:status-lists"


def issuer() -> str:
    return settings.CITYCODE_ISSUER


def _active_cache_key(issuer_name: str) -> str:
    return f"codes:active-key:{issuer_name}"


def invalidate_trust_caches() -> None:
    """Forget every cached key and trust-list document (after a rotation or an import)."""
    _active_signers.clear()
    cache.delete_many([TRUST_CACHE_KEY, _active_cache_key(issuer())])


def forget_process_caches(**_signal_kwargs: Any) -> None:
    """Drop the in-process caches (connected to post_migrate, which also follows a test database flush)."""
    _active_signers.clear()
    _subjects.clear()


def _committed_state() -> bool:
    """In-process caches learn only outside transactions: a row read or written inside one may still be rolled
    back, and a process-wide cache must never hand out a key or a status index that does not exist."""
    return not connection.in_atomic_block


def invalidate_status_caches() -> None:
    cache.delete(STATUS_CACHE_KEY)


def _invalidate(invalidator) -> None:
    # Now, so this transaction reads its own change; and after commit, in case a concurrent reader cached
    # the old state in between.
    invalidator()
    transaction.on_commit(invalidator)


# -- issuer keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationResult:
    created: list[str] = field(default_factory=list)
    retiring: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def _lifecycle() -> tuple[dt.timedelta, dt.timedelta]:
    return (dt.timedelta(days=settings.CITYCODE_KEY_ACTIVE_DAYS),
            dt.timedelta(days=settings.CITYCODE_KEY_RETIRING_DAYS))


@transaction.atomic
def issuer_key_create(*, issuer_name: str | None = None, alg: str | None = None,
                      now: dt.datetime | None = None) -> IssuerKey:
    """Create this city's active signing key. If another process created one meanwhile, return that one."""
    issuer_name = issuer_name or issuer()
    alg = alg or settings.CITYCODE_KEY_ALGORITHM
    if alg not in tokens.ALGORITHMS:
        raise DomainError("unsupported_algorithm", _("Unsupported signature algorithm."))
    now = now or timezone.now()
    active_for, retiring_for = _lifecycle()
    while True:
        private_key = keys.generate(alg)
        jwk = keys.public_jwk(private_key)
        kid = keys.kid_for(jwk)
        if not IssuerKey.objects.filter(kid=kid).exists() and not PeerKey.objects.filter(kid=kid).exists():
            break  # a 48-bit kid collides only by freak chance; a fresh key then gets a fresh kid
    key = IssuerKey(
        issuer=issuer_name,
        kid=kid,
        alg=alg,
        public_jwk=jwk,
        private_key_encrypted=keys.encrypt_private_key(private_key, kid=kid),
        status=IssuerKey.Status.ACTIVE,
        not_before=now,
        rotate_after=now + active_for,
        not_after=now + active_for + retiring_for,
    )
    key.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        # The partial unique index allows one active key per issuer: someone else won the race.
        return IssuerKey.objects.get(issuer=issuer_name, status=IssuerKey.Status.ACTIVE)
    _invalidate(invalidate_trust_caches)
    return key


@transaction.atomic
def issuer_keys_rotate(*, issuer_name: str | None = None, now: dt.datetime | None = None,
                       force: bool = False) -> RotationResult:
    """Advance the key lifecycle: an active key past ``rotate_after`` (or any, with ``force``) starts
    retiring and a new active key replaces it; a retiring key past ``not_after`` is retired and its private
    key wiped. Idempotent: running it twice changes nothing the second time."""
    issuer_name = issuer_name or issuer()
    now = now or timezone.now()
    result = RotationResult()
    for key in IssuerKey.objects.select_for_update().filter(issuer=issuer_name).exclude(
            status=IssuerKey.Status.RETIRED).order_by("pk"):
        if key.status == IssuerKey.Status.RETIRING and key.not_after <= now:
            key.status = IssuerKey.Status.RETIRED
            key.retired_at = now
            key.private_key_encrypted = b""
            key.save(update_fields=["status", "retired_at", "private_key_encrypted"])
            keys.forget_signer(key.kid)
            result.retired.append(key.kid)
        elif key.status == IssuerKey.Status.ACTIVE and (force or key.rotate_after <= now or key.not_after <= now):
            if key.not_after <= now:
                key.status = IssuerKey.Status.RETIRED
                key.retired_at = now
                key.private_key_encrypted = b""
                result.retired.append(key.kid)
            else:
                key.status = IssuerKey.Status.RETIRING
                result.retiring.append(key.kid)
            key.save(update_fields=["status", "retired_at", "private_key_encrypted"])
            keys.forget_signer(key.kid)
    if not IssuerKey.objects.filter(issuer=issuer_name, status=IssuerKey.Status.ACTIVE).exists():
        result.created.append(issuer_key_create(issuer_name=issuer_name, now=now).kid)
    _invalidate(invalidate_trust_caches)
    return result


# issuer -> (signer, monotonic time it was read). Another process's rotation reaches this one within
# PROCESS_CACHE_SECONDS; meanwhile it signs with the now-retiring key, which stays published and valid.
_active_signers: dict[str, tuple[tokens.Signer, float]] = {}
PROCESS_CACHE_SECONDS = 30


def issuer_key_active(*, issuer_name: str | None = None, now: dt.datetime | None = None) -> tokens.Signer:
    """The signer of this city's active key, created on first use."""
    issuer_name = issuer_name or issuer()
    held = _active_signers.get(issuer_name)
    if held is not None and time.monotonic() - held[1] < PROCESS_CACHE_SECONDS and held[0].not_after > (
            now.timestamp() if now is not None else time.time()):
        return held[0]
    cache_key = _active_cache_key(issuer_name)
    cached = cache.get(cache_key)
    if cached is not None:
        kid, signer = cached[0], keys.cached_signer(cached[0])
        if signer is not None:
            return signer
        row = IssuerKey.objects.filter(kid=kid, status=IssuerKey.Status.ACTIVE).first()
    else:
        row = IssuerKey.objects.filter(issuer=issuer_name, status=IssuerKey.Status.ACTIVE).first()
    moment = now or timezone.now()
    if row is None or row.not_after <= moment:
        if row is None:
            row = issuer_key_create(issuer_name=issuer_name, now=now)
        else:  # beat has not run for longer than a key's whole validity: rotate now rather than refuse
            issuer_keys_rotate(issuer_name=issuer_name, now=moment)
            row = IssuerKey.objects.get(issuer=issuer_name, status=IssuerKey.Status.ACTIVE)
    signer = keys.signer_for(kid=row.kid, alg=row.alg, encrypted=row.private_key_encrypted,
                             not_after=int(row.not_after.timestamp()))
    cache.set(cache_key, (row.kid,), ACTIVE_KEY_CACHE_SECONDS)
    if _committed_state():
        _active_signers[issuer_name] = (signer, time.monotonic())
    return signer


# -- subjects and status lists ----------------------------------------------------------------------------


def _status_list_for_update(code_type: str) -> StatusList:
    """The code type's status-list row, locked (created on first use; a creation race is retried)."""
    for _attempt in range(3):
        row = StatusList.objects.select_for_update().filter(code_type=code_type).first()
        if row is not None:
            return row
        try:
            with transaction.atomic():
                StatusList.objects.create(code_type=code_type, issuer=issuer())
        except IntegrityError:
            continue
        # A cached "no list for this type" would make verify_live (fail closed) call new tokens revoked.
        _invalidate(invalidate_status_caches)
    return StatusList.objects.select_for_update().get(code_type=code_type)


def _check_code_type(code_type: str) -> None:
    if not isinstance(code_type, str) or not CODE_TYPE_PATTERN.match(code_type):
        raise ValidationError({"code_type": ValidationError(_("Unknown code type."), code="invalid")})


@transaction.atomic
def subject_ensure(*, citizen: Any, code_type: str) -> Subject:
    """The citizen's subject for a code type: the pairwise ``sub`` and a status-list index of its own.

    Race-safe: the status-list row lock serialises index allocation per code type, and the unique
    (code type, citizen) constraint settles two first issues racing for the same citizen.
    """
    _check_code_type(code_type)
    existing = Subject.objects.filter(code_type=code_type, citizen=citizen).first()
    if existing is not None:
        return existing
    status_list = _status_list_for_update(code_type)
    subject = Subject(code_type=code_type, sub=keys.pseudonym(code_type=code_type, citizen_pk=citizen.pk),
                      citizen=citizen, status_index=status_list.next_index)
    subject.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            subject.save()
    except IntegrityError:
        return Subject.objects.get(code_type=code_type, citizen=citizen)
    status_list.next_index = subject.status_index + 1
    status_list.save(update_fields=["next_index", "updated_at"])
    return subject


# (code type, citizen pk, citizen.date_joined) -> (sub, status index). A subject never changes once created;
# date_joined is in the key so a primary key reused after a rolled-back transaction cannot hit a stale entry.
_subjects: dict[tuple[str, Any, Any], tuple[str, int]] = {}
_SUBJECT_CACHE_MAX = 200_000


def _subject_cached(citizen: Any, code_type: str) -> tuple[str, int]:
    cache_key = (code_type, citizen.pk, getattr(citizen, "date_joined", None))
    hit = _subjects.get(cache_key)
    if hit is None:
        _check_code_type(code_type)
        row = Subject.objects.filter(code_type=code_type, citizen=citizen).values_list("sub", "status_index").first()
        if row is None:
            subject = subject_ensure(citizen=citizen, code_type=code_type)
            row = (subject.sub, subject.status_index)
        hit = (row[0], row[1])
        if _committed_state():
            if len(_subjects) >= _SUBJECT_CACHE_MAX:
                _subjects.clear()
            _subjects[cache_key] = hit
    return hit


@transaction.atomic
def status_set(*, code_type: str, index: int, revoked: bool = True) -> StatusList:
    """Set (revoke) or clear (reinstate) one bit of a code type's status list."""
    _check_code_type(code_type)
    if not isinstance(index, int) or index < 0:
        raise ValidationError({"index": ValidationError(_("Invalid status index."), code="invalid")})
    status_list = _status_list_for_update(code_type)
    bits = statuslists.with_bit(bytes(status_list.bits), index, revoked)
    if bits != bytes(status_list.bits):
        status_list.bits = bits
        status_list.version += 1
        status_list.save(update_fields=["bits", "version", "updated_at"])
        _invalidate(invalidate_status_caches)
    return status_list


@transaction.atomic
def token_revoke(*, code_type: str, sub: str, revoked: bool = True) -> StatusList:
    """Revoke (or reinstate) every token of one subject for one code type: past, current and future ones,
    since rotation keeps the subject's status index."""
    subject = Subject.objects.filter(code_type=code_type, sub=sub).first()
    if subject is None:
        raise NotFound("subject_not_found", _("No such code subject."))
    return status_set(code_type=code_type, index=subject.status_index, revoked=revoked)


# -- issuing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str
    kid: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    status_index: int
    sub: str


def token_issue(*, citizen: Any, code_type: str, claims: Mapping[str, Any] | None = None,
                lifetime: dt.timedelta, now: dt.datetime | None = None) -> IssuedToken:
    """Sign a token of ``code_type`` for ``citizen``, valid for ``lifetime`` (never beyond the signing
    key's validity, so ``expires_at`` may be earlier).

    Not wrapped in a transaction on purpose: after the first issue nothing is written, and the writes of
    the first issue (subject, key) are atomic services of their own.
    """
    seconds = int(lifetime.total_seconds()) if isinstance(lifetime, dt.timedelta) else 0
    if seconds <= 0:
        raise ValidationError({"lifetime": ValidationError(_("The lifetime must be positive."), code="invalid")})
    if claims is not None and not isinstance(claims, dict) and not isinstance(claims, Mapping):
        raise ValidationError({"claims": ValidationError(_("Claims must be a mapping."), code="invalid")})
    issuer_name = settings.CITYCODE_ISSUER
    signer = issuer_key_active(issuer_name=issuer_name, now=now)
    sub, status_index = _subject_cached(citizen, code_type)
    iat = int(now.timestamp()) if now is not None else int(time.time())
    exp = min(iat + seconds, signer.not_after)
    try:
        text = tokens.encode(signer=signer, issuer=issuer_name, sub=sub, code_type=code_type, iat=iat, exp=exp,
                             status_index=status_index, claims=claims)
    except (TypeError, ValueError) as exc:  # claims that CBOR cannot encode
        raise ValidationError({"claims": ValidationError(str(exc), code="invalid")}) from None
    return IssuedToken(token=text, kid=signer.kid, issued_at=dt.datetime.fromtimestamp(iat, dt.UTC),
                       expires_at=dt.datetime.fromtimestamp(exp, dt.UTC), status_index=status_index, sub=sub)


# -- mutual recognition ---------------------------------------------------------------------------------


def _epoch_to_datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


@transaction.atomic
def trust_list_import(*, document: Mapping[str, Any], pin_jwk: Mapping[str, Any] | None = None,
                      pin_thumbprint: str | None = None, source: str = "") -> list[PeerKey]:
    """Import a peer city's signed trust list after verifying it against a pinned key of that city.

    Replaces every key previously imported for that issuer (a key the peer dropped stops verifying here).
    Idempotent: importing the same list again writes nothing.
    """
    try:
        payload = trust.verify_peer_trust_list(document, pin_jwk=pin_jwk, pin_thumbprint=pin_thumbprint)
    except trust.SignedDocumentError as exc:
        raise DomainError("trust_list_invalid", _("The trust list does not verify: %(why)s") % {"why": exc}) from None
    peer = payload["issuer"]
    if peer == issuer():
        raise DomainError("trust_list_is_ours", _("This is the city's own trust list."))
    rows: list[PeerKey] = []
    for entry in payload.get("keys", []):
        if not isinstance(entry, dict) or entry.get("iss") != peer or entry.get("status") == "peer":
            continue  # recognition is not transitive: only the peer's own keys
        try:
            tokens.TrustedKey.from_json(entry)  # parses the JWK: a broken key is refused here, not at scan time
            row = PeerKey(issuer=peer, kid=entry["kid"], alg=entry["alg"], public_jwk=dict(entry["jwk"]),
                          not_before=_epoch_to_datetime(entry.get("nbf", 0)),
                          not_after=_epoch_to_datetime(entry["exp"]), source=source[:500])
            row.full_clean(validate_constraints=False)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise DomainError("trust_list_invalid", _("A key in the trust list is malformed: %(why)s")
                              % {"why": exc}) from None
        if any(seen.kid == row.kid for seen in rows):
            raise DomainError("trust_list_invalid", _("A key in the trust list is malformed: %(why)s")
                              % {"why": _("duplicate kid %(kid)s") % {"kid": row.kid}})
        rows.append(row)
    # Upsert, not delete-and-recreate: importing the same list again changes nothing, and two imports of one
    # peer at once (an overlapping cron run) cannot both insert the same (issuer, kid).
    PeerKey.objects.filter(issuer=peer).exclude(kid__in=[row.kid for row in rows]).delete()
    stored: list[PeerKey] = []
    for row in rows:
        current = PeerKey.objects.select_for_update().filter(issuer=peer, kid=row.kid).first()
        if current is None:
            try:
                with transaction.atomic():
                    row.save()
                stored.append(row)
                continue
            except IntegrityError:  # a concurrent import inserted it first
                current = PeerKey.objects.select_for_update().get(issuer=peer, kid=row.kid)
        wanted = {name: getattr(row, name) for name in ("alg", "public_jwk", "not_before", "not_after", "source")}
        if any(getattr(current, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(current, name, value)
            current.save()
        stored.append(current)
    _invalidate(invalidate_trust_caches)
    return stored


def code_type_catalogue_sync() -> None:
    """Upsert into the consent catalogue every data category and purpose the registered code types declare.

    Runs after ``migrate`` (post_migrate); idempotent. Declaring a purpose grants nothing to anyone. An empty
    catalogue (a test database just flushed) is left alone: there is no taxonomy to extend.
    """
    from apps.consent import selectors as consent_selectors
    from apps.consent import services as consent_services

    from .plugin_api import registry as code_types

    if not consent_selectors.categories_list().exists():
        return
    for kind in code_types.all():
        for category in kind.categories:
            consent_services.category_upsert(
                code=category.code, label_zh=category.label_zh, label_en=category.label_en,
                sensitive=category.sensitive,
            )
    for kind in code_types.all():
        for purpose in kind.purposes:
            consent_services.purpose_upsert(
                code=purpose.code, label_zh=purpose.label_zh, label_en=purpose.label_en,
                description_zh=purpose.description_zh, description_en=purpose.description_en,
                legal_basis=purpose.legal_basis, categories=list(purpose.categories),
                retention_days=purpose.retention_days,
            )
