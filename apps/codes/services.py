"""Writes for codes: issuer keys and their rotation, issuing tokens, status lists and revocation, single-use
token records, and importing peer cities' trust lists.

Issuing is the hot path (a citizen's device fetches a fresh city code every few minutes), so ``token_issue``
writes nothing for a rotating code: the active key is cached (see caches.py) and the subject is a fresh
encrypted handle, not a row.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.errors import CodesErrorCode
from citycode.errors import Conflict, DomainError, Forbidden, NotFound

from . import caches, keys, selectors, statuslists, tokens, trust
from .models import IssuerKey, PeerKey, StatusEntry, StatusList, TokenUse

CODE_TYPE_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")

issuer = caches.issuer  # kept importable from here for callers


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
        raise DomainError(CodesErrorCode.UNSUPPORTED_ALGORITHM, _("Unsupported signature algorithm."))
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
    caches.invalidate_on_commit(caches.invalidate_trust)
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
            caches.forget_signer(key.kid)
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
            caches.forget_signer(key.kid)
    if not IssuerKey.objects.filter(issuer=issuer_name, status=IssuerKey.Status.ACTIVE).exists():
        result.created.append(issuer_key_create(issuer_name=issuer_name, now=now).kid)
    caches.invalidate_on_commit(caches.invalidate_trust)
    return result


def issuer_key_active(*, issuer_name: str | None = None, now: dt.datetime | None = None) -> tokens.Signer:
    """The signer of this city's active key; creates the key (or rotates an expired one) when there is none.

    A write, so a service: issuing calls it. Public documents read the key through
    ``selectors.issuer_signer_get``, which never writes; ``migrate`` and ``seed_demo`` create the first key."""
    issuer_name = issuer_name or issuer()
    signer = selectors.issuer_signer_get(issuer_name=issuer_name, now=now)
    if signer is not None:
        return signer
    moment = now or timezone.now()
    row = IssuerKey.objects.filter(issuer=issuer_name, status=IssuerKey.Status.ACTIVE).first()
    if row is None:
        issuer_key_create(issuer_name=issuer_name, now=now)
    else:  # beat has not run for longer than a key's whole validity: rotate now rather than refuse
        issuer_keys_rotate(issuer_name=issuer_name, now=moment)
    signer = selectors.issuer_signer_get(issuer_name=issuer_name, now=now)
    assert signer is not None
    return signer


def issuer_key_ensure() -> None:
    """Make sure this city has an active signing key (post_migrate, seed_demo): the JWKS is never empty."""
    if IssuerKey.objects.filter(issuer=issuer(), status=IssuerKey.Status.ACTIVE,
                                not_after__gt=timezone.now()).exists():
        return
    issuer_key_active()


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
        # A cached "no list for this type" would make verified_token_get (fail closed) call new tokens revoked.
        caches.invalidate_on_commit(caches.invalidate_status)
    return StatusList.objects.select_for_update().get(code_type=code_type)


@lru_cache(maxsize=256)
def valid_code_type(code_type: Any) -> bool:
    """Whether a code type key is well-formed (memoised: issuing checks the same few keys all day)."""
    return isinstance(code_type, str) and bool(CODE_TYPE_PATTERN.match(code_type))


def _check_code_type(code_type: str) -> None:
    if not isinstance(code_type, str) or not CODE_TYPE_PATTERN.match(code_type):
        raise ValidationError({"code_type": ValidationError(_("Unknown code type."), code="invalid")})


@transaction.atomic
def status_entry_create(*, citizen: Any, code_type: str, expires_at: dt.datetime) -> StatusEntry:
    """A fresh status-list index for one token about to be issued (a type with a status list only).

    Race-safe: the status-list row lock serialises index allocation per code type."""
    _check_code_type(code_type)
    status_list = _status_list_for_update(code_type)
    entry = StatusEntry(code_type=code_type, index=status_list.next_index, citizen=citizen, expires_at=expires_at)
    entry.full_clean(validate_constraints=False)
    entry.save()
    status_list.next_index = entry.index + 1
    status_list.save(update_fields=["next_index", "updated_at"])
    return entry


@transaction.atomic
def status_set(*, code_type: str, index: int, revoked: bool = True) -> StatusList:
    """Set (revoke) or clear (reinstate) one bit of a code type's status list."""
    return status_set_many(code_type=code_type, indices=[index], revoked=revoked)


@transaction.atomic
def status_set_many(*, code_type: str, indices: list[int], revoked: bool = True) -> StatusList:
    _check_code_type(code_type)
    if any(not isinstance(index, int) or isinstance(index, bool) or index < 0 for index in indices):
        raise ValidationError({"index": ValidationError(_("Invalid status index."), code="invalid")})
    status_list = _status_list_for_update(code_type)
    bits = bytes(status_list.bits)
    for index in indices:
        bits = statuslists.with_bit(bits, index, revoked)
    if bits != bytes(status_list.bits):
        status_list.bits = bits
        status_list.version += 1
        status_list.save(update_fields=["bits", "version", "updated_at"])
        caches.invalidate_on_commit(caches.invalidate_status)
    return status_list


@transaction.atomic
def token_revoke(*, code_type: str, citizen: Any, revoked: bool = True,
                 now: dt.datetime | None = None) -> StatusList:
    """Revoke (or reinstate) every unexpired token of a citizen that carries a status-list index.

    Rotating codes carry none: they are revoked by no longer being issued (their ``claims_for`` returns None),
    and the last one issued stops verifying within its lifetime."""
    indices = list(StatusEntry.objects.filter(code_type=code_type, citizen=citizen,
                                              expires_at__gt=now or timezone.now()).values_list("index", flat=True))
    if not indices:
        raise NotFound(CodesErrorCode.STATUS_ENTRY_NOT_FOUND, _("This citizen holds no revocable token of this type."))
    return status_set_many(code_type=code_type, indices=indices, revoked=revoked)


# -- issuing --------------------------------------------------------------------------------------------


class IssuedToken(NamedTuple):  # a tuple: built once per issue, cheaper than any dataclass
    token: str
    kid: str
    iat: int  # seconds since the epoch; issued_at/expires_at are the datetimes, made only when asked for
    exp: int
    sub: str
    cti: bytes
    status_index: int | None = None

    @property
    def issued_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.iat, dt.UTC)

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.exp, dt.UTC)


def token_issue(*, citizen: Any, code_type: str, claims: Mapping[str, Any] | None = None,
                lifetime: dt.timedelta, now: dt.datetime | None = None, with_status: bool = False) -> IssuedToken:
    """Sign a token of ``code_type`` for ``citizen``, valid for ``lifetime`` (never beyond the signing
    key's validity, so ``expires_at`` may be earlier).

    The subject is a fresh handle per token (``keys.subject_handle``) and the id a random ``cti``, so a
    rotating code writes nothing. ``with_status`` (long-lived documents) allocates a fresh status-list index:
    one row per token. Not wrapped in a transaction: its only writes are atomic services of their own.
    """
    seconds = int(lifetime.total_seconds()) if isinstance(lifetime, dt.timedelta) else 0
    if seconds <= 0:
        raise ValidationError({"lifetime": ValidationError(_("The lifetime must be positive."), code="invalid")})
    if claims and type(claims) is not dict and not isinstance(claims, Mapping):
        raise ValidationError({"claims": ValidationError(_("Claims must be a mapping."), code="invalid")})
    if not valid_code_type(code_type):
        _check_code_type(code_type)
    issuer_name = settings.CITYCODE_ISSUER
    iat = int(now.timestamp()) if now is not None else int(time.time())
    held = caches.active_signers.get(issuer_name)  # the common case, inline: see selectors.issuer_signer_get
    if held is not None and held[0].not_after > iat and caches.clock() - held[1] < caches.SIGNER_SECONDS:
        signer = held[0]
    else:
        signer = issuer_key_active(issuer_name=issuer_name, now=now)
    exp = min(iat + seconds, signer.not_after)
    status_index = None
    if with_status:
        status_index = status_entry_create(citizen=citizen, code_type=code_type,
                                           expires_at=dt.datetime.fromtimestamp(exp, dt.UTC)).index
    cti, sub = keys.fresh_handle(code_type=code_type, citizen_pk=citizen.pk)
    try:
        text = tokens.encode(signer=signer, issuer=issuer_name, sub=sub, code_type=code_type, iat=iat, exp=exp,
                             cti=cti, status_index=status_index, claims=claims)
    except (TypeError, ValueError) as exc:  # claims that CBOR cannot encode
        raise ValidationError({"claims": ValidationError(str(exc), code="invalid")}) from None
    return IssuedToken(text, signer.kid, iat, exp, sub, cti, status_index)


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
        raise DomainError(CodesErrorCode.TRUST_LIST_INVALID,
                          _("The trust list does not verify: %(why)s") % {"why": exc}) from None
    peer = payload["issuer"]
    if peer == issuer():
        raise DomainError(CodesErrorCode.TRUST_LIST_IS_OURS, _("This is the city's own trust list."))
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
            raise DomainError(CodesErrorCode.TRUST_LIST_INVALID, _("A key in the trust list is malformed: %(why)s")
                              % {"why": exc}) from None
        if any(seen.kid == row.kid for seen in rows):
            raise DomainError(CodesErrorCode.TRUST_LIST_INVALID, _("A key in the trust list is malformed: %(why)s")
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
    caches.invalidate_on_commit(caches.invalidate_trust)
    return stored


def code_type_catalogue_sync() -> None:
    """Upsert into the consent catalogue every data category and purpose the registered code types declare.

    Runs after ``migrate`` (post_migrate); idempotent. Declaring a purpose grants nothing to anyone. An empty
    catalogue (a test database just flushed) is left alone: there is no taxonomy to extend.
    """
    from apps.consent import selectors as consent_selectors
    from apps.consent import services as consent_services

    from .plugin_api import registry as code_types

    if not consent_selectors.category_list().exists():
        return
    # Registered types only: a department-defined type's entries are written when the data bureau publishes it.
    registered = [code_types.get(key) for key in code_types.registered_keys()]
    for kind in registered:
        for category in kind.categories:
            consent_services.category_upsert(
                code=category.code, label_zh=category.label_zh, label_en=category.label_en,
                sensitive=category.sensitive,
            )
    for kind in registered:
        for purpose in kind.purposes:
            consent_services.purpose_upsert(
                code=purpose.code, label_zh=purpose.label_zh, label_en=purpose.label_en,
                description_zh=purpose.description_zh, description_en=purpose.description_en,
                legal_basis=purpose.legal_basis, categories=list(purpose.categories),
                retention_days=purpose.retention_days,
            )


# -- single-use purposes --------------------------------------------------------------------------------


def token_use_record(*, issuer_name: str, cti: bytes, purpose: str, expires_at: dt.datetime) -> bool:
    """Record the one use of a token for a single-use purpose; False if it was used for that purpose before.

    Call it inside the caller's transaction: on PostgreSQL a concurrent insert of the same (issuer, cti,
    purpose) waits on the unique index until the first transaction ends, then fails, so exactly one wins."""
    use = TokenUse(issuer=issuer_name, cti=cti.hex(), purpose=purpose, expires_at=expires_at)
    use.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            use.save()
    except IntegrityError:
        return False
    return True


@transaction.atomic
def token_use_forget(*, issuer_name: str, cti: bytes, purpose: str) -> None:
    """Undo :func:`token_use_record` (the gate refused, so the token was not used)."""
    TokenUse.objects.filter(issuer=issuer_name, cti=cti.hex(), purpose=purpose).delete()


@transaction.atomic
def token_uses_prune(*, now: dt.datetime | None = None) -> int:
    """Forget the uses of tokens that have expired: an expired token is refused anyway, so its row is dead."""
    deleted, _by_model = TokenUse.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


# -- department-defined code types (issue 12) -----------------------------------------------------------
# A department defines a code type with no code: key, labels, a JSON Schema for its claims, who may issue, the
# purposes it offers, a lifetime. Four eyes: the department's person proposes, a data-bureau administrator
# publishes (apps/codes/defined.py serves it from then on, with no restart). A change is a new version.

DEFINE_SCOPE = "codes.define"
ISSUE_SCOPE = "codes.issue"
# Claims never carry a name, an ID number or a phone number (DESIGN.md): a schema that names one is refused.
# Its category and purposes are "<key>.<name>", so the key follows the catalogue's code rule (no hyphen).
DEFINED_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def _department_person(proposer: Any, *, organization: Any = None) -> tuple[str, Any]:
    """The person behind a definition: a key with ``codes.define`` of a city department, held by one of its
    members, or (the designer page) a member who manages the department. The data bureau's decision is checked
    against this person."""
    from apps.identity import permissions
    from apps.identity.models import ApiClient, Citizen, Organization

    if isinstance(proposer, Citizen):
        if organization is None or organization.kind != Organization.Kind.DEPARTMENT or not permissions.user_can(
                user=proposer, perm=permissions.MANAGE, organization=organization):
            raise Forbidden(CodesErrorCode.NOT_A_DEPARTMENT, _("Only a city department may define a code type."))
        return proposer.username, proposer

    if not isinstance(proposer, ApiClient) or DEFINE_SCOPE not in (proposer.scopes or []):
        raise Forbidden(CodesErrorCode.NOT_A_DEPARTMENT, _("Only a city department's key with the codes.define "
                                                           "scope may define a code type."))
    if proposer.organization.kind != Organization.Kind.DEPARTMENT:
        raise Forbidden(CodesErrorCode.NOT_A_DEPARTMENT, _("Only a city department may define a code type."))
    if proposer.holder is None:
        raise Forbidden(CodesErrorCode.KEY_WITHOUT_HOLDER, _("A code type needs a person who answers for it: this "
                                                             "key has no holder."))
    return f"api-client {proposer.name} of {proposer.organization.slug}", proposer.holder


@transaction.atomic
def defined_type_propose(
    *, proposer: Any, department: Any = None, key: str, label_zh: str, label_en: str, claims_schema: dict[str, Any],
    field_labels: dict[str, list[str]], lifetime_seconds: int, issuers: list[str], purposes: list[dict[str, Any]],
) -> Any:
    """A department proposes a code type, or a new version of its own: nothing is served until the data bureau
    publishes it. The key must not be a registered type's, nor another department's."""
    from apps.identity.models import Organization

    from . import defined as definitions
    from .models import DefinedCodeType, DefinedCodeTypeVersion
    from .plugin_api import registry as code_types

    label, person = _department_person(proposer, organization=department)
    if not isinstance(key, str) or not DEFINED_KEY_PATTERN.match(key):
        raise ValidationError({"key": ValidationError(_("A key is 2–32 lower-case letters, digits or _, starting "
                                                        "with a letter."), code="invalid")})
    if key in code_types.registered_keys():
        raise Conflict(CodesErrorCode.CODE_TYPE_TAKEN, _("A built-in code type already has this key."))
    defined = DefinedCodeType.objects.select_for_update().filter(key=key).first()
    department = proposer.organization if department is None else department
    if defined is not None and defined.department_id != department.pk:
        raise Conflict(CodesErrorCode.CODE_TYPE_TAKEN, _("Another department defined a code type with this key."))
    definitions.schema_check(claims_schema, field_labels)
    clean_purposes = definitions.purposes_check(key=key, purposes=purposes)
    # Its category and purposes are new, or its own from an earlier version: never a catalogue entry of a
    # registered type or of the rest of the catalogue (a "housing" type must not take housing.talent_subsidy).
    own = {p["code"] for v in (defined.versions.all() if defined else ()) for p in v.purposes}
    from apps.consent import selectors as consent_selectors

    taken = sorted(p["code"] for p in clean_purposes if p["code"] not in own
                   and consent_selectors.purpose_get(code=p["code"]) is not None)
    if defined is None and consent_selectors.category_get(code=definitions.record_category(key)) is not None:
        taken.append(definitions.record_category(key))
    if taken:
        raise Conflict(CodesErrorCode.CODE_TYPE_TAKEN, _("These catalogue entries belong to something else: "
                                                         "%(codes)s") % {"codes": ", ".join(taken)})
    issuer_slugs = sorted(set(issuers or []))
    found = set(Organization.objects.filter(slug__in=issuer_slugs, is_active=True).values_list("slug", flat=True))
    if not issuer_slugs or found != set(issuer_slugs):
        raise ValidationError({"issuers": ValidationError(
            _("Name the organizations that may issue these codes (active organizations' slugs)."), code="invalid")})
    if defined is None:
        defined = DefinedCodeType.objects.create(key=key, department=department)
    latest = defined.versions.order_by("-version").first()
    version = DefinedCodeTypeVersion(
        code_type=defined, version=(latest.version + 1) if latest else 1, label_zh=label_zh, label_en=label_en,
        claims_schema=claims_schema, field_labels=field_labels, lifetime_seconds=lifetime_seconds,
        issuers=issuer_slugs, purposes=clean_purposes, proposed_by_person=person, proposed_by_label=label[:200],
    )
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def defined_type_decide(*, version: Any, decided_by: Any, publish: bool) -> Any:
    """The data bureau publishes (or rejects) a proposed version: never the person who proposed it. Publishing
    puts its category and purposes into the consent catalogue (a changed purpose text asks citizens to renew
    their consent) and serves the type from the next read on, in every process within seconds."""
    from apps.consent import selectors as consent_selectors
    from apps.consent import services as consent_services

    from . import defined
    from .models import DefinedCodeTypeVersion

    label, person = consent_services.bureau_decider(decided_by)
    version = DefinedCodeTypeVersion.objects.select_for_update().select_related("code_type").get(pk=version.pk)
    if version.state != DefinedCodeTypeVersion.State.PROPOSED:
        raise Conflict(CodesErrorCode.VERSION_DECIDED, _("This version has already been decided."))
    if version.proposed_by_person_id == person.pk:
        raise Forbidden(CodesErrorCode.OWN_PROPOSAL, _("The data bureau decides a code type, never the person who "
                                                       "proposed it."))
    now = timezone.now()
    version.decided_by_person, version.decided_by_label, version.decided_at = person, label[:200], now
    if not publish:
        version.state = DefinedCodeTypeVersion.State.REJECTED
        version.save()
        return version
    kind = defined.build_code_type([version])()
    for category in kind.categories:
        consent_services.category_upsert(code=category.code, label_zh=category.label_zh, label_en=category.label_en,
                                         sensitive=False)
    for spec in kind.purposes:
        fields: dict[str, Any] = {"label_zh": spec.label_zh, "label_en": spec.label_en,
                                  "description_zh": spec.description_zh,
                  "description_en": spec.description_en, "legal_basis": spec.legal_basis,
                  "categories": list(spec.categories), "retention_days": spec.retention_days}
        if consent_selectors.purpose_get(code=spec.code) is None:
            consent_services.purpose_upsert(code=spec.code, **fields)
            continue
        # A purpose of an earlier version: a changed text or bound asks its consents to be renewed.
        from apps.consent.services.catalogue import purpose_change_apply, purpose_change_check

        try:
            changes = purpose_change_check(code=spec.code, epidemic_control=None, single_use=None, **fields)
        except Conflict:  # no_change
            continue
        purpose_change_apply(code=spec.code, changes=changes)
    version.state, version.published_at = DefinedCodeTypeVersion.State.PUBLISHED, now
    version.save()
    defined.invalidate()
    return version


def _issuer_version(*, key: str, organization: Any) -> Any:
    from .models import DefinedCodeTypeVersion

    version = (DefinedCodeTypeVersion.objects.filter(code_type__key=key, state=DefinedCodeTypeVersion.State.PUBLISHED)
               .select_related("code_type").order_by("-version").first())
    if version is None:
        raise NotFound(CodesErrorCode.UNKNOWN_CODE_TYPE, _("No such code type."))
    if organization.slug not in version.issuers:
        raise Forbidden(CodesErrorCode.NOT_AN_ISSUER, _("This organization may not issue this code type."))
    return version


@transaction.atomic
def defined_code_issue(*, key: str, organization: Any, id_number: str, claims: dict[str, Any], reference: str,
                       valid_until: dt.date | None = None) -> tuple[Any, bool]:
    """Issue a code of a published defined type to the person with this ID number, under the newest version.

    Matched by the keyed hash, so the answer is the same whether the person has registered yet (the code waits
    for them). Idempotent on (issuer, reference): the same request again returns the first code (False); a
    different one under a used reference is a 409. Returns (code, created).
    """
    import jsonschema

    from apps.identity import idnumbers

    from .models import DefinedCode

    version = _issuer_version(key=key, organization=organization)
    try:
        idnumbers.parse(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from None
    errors = sorted(jsonschema.Draft202012Validator(version.claims_schema).iter_errors(claims),
                    key=lambda e: list(e.absolute_path))
    if errors:
        raise DomainError(CodesErrorCode.CLAIMS_INVALID, _("The claims do not meet the code type's schema."),
                          fields={"claims": [{"code": "schema", "path": "/".join(map(str, e.absolute_path)),
                                              "message": e.message} for e in errors[:20]]})
    subject = idnumbers.keyed_hash(id_number)
    existing = DefinedCode.objects.filter(issued_by=organization, reference=reference).first()
    if existing is not None:
        same = (existing.subject_hash, existing.claims, existing.valid_until, existing.version.code_type.key) == (
            subject, claims, valid_until, key)
        if not same:
            raise Conflict(CodesErrorCode.CODE_TYPE_TAKEN, _("This reference was already used for another code."))
        return existing, False
    code = DefinedCode(version=version, subject_hash=subject, claims=claims, issued_by=organization,
                       reference=reference, valid_until=valid_until)
    code.full_clean()
    code.save()
    return code, True


@transaction.atomic
def defined_code_revoke(*, key: str, organization: Any, reference: str) -> Any:
    """Revoke a code its issuer issued (idempotent). Its tokens are rotating: none is issued from now on."""
    from .models import DefinedCode

    code = DefinedCode.objects.select_for_update().filter(
        issued_by=organization, reference=reference, version__code_type__key=key).first()
    if code is None:
        raise NotFound(CodesErrorCode.CODE_NOT_FOUND, _("No code of this type with this reference."))
    if code.revoked_at is None:
        code.revoked_at = timezone.now()
        code.save(update_fields=["revoked_at"])
    return code
