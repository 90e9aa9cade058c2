"""Reads for codes: the signing key, the citizen behind a token, the published key documents, and live
verification. Reads never write; every cache here is owned by caches.py (which says how stale each may be).

The published documents (JWKS, trust list, status lists) are cached in the Django cache and dropped by
the services that change them (on commit); the parsed :class:`~apps.codes.tokens.TrustList` and
:class:`~apps.codes.tokens.StatusLists` are memoised in-process per document version, so ``verified_token_get``
costs at most one cache read, never a key parse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.errors import CodesErrorCode
from citycode.errors import DomainError

from . import caches, keys, statuslists, tokens, trust
from .models import IssuerKey, PeerKey, StatusEntry, StatusList

_PUBLISHED = (IssuerKey.Status.ACTIVE, IssuerKey.Status.RETIRING)


def issuer_signer_get(*, issuer_name: str | None = None, now: dt.datetime | None = None) -> tokens.Signer | None:
    """The signer of this city's active, unexpired key, or None when there is none (never creates one)."""
    issuer_name = issuer_name or caches.issuer()
    moment = now.timestamp() if now is not None else time.time()
    held = caches.active_signers.get(issuer_name)
    if held is not None and caches.clock() - held[1] < caches.SIGNER_SECONDS and held[0].not_after > moment:
        return held[0]
    cache_key = caches.active_key_key(issuer_name)
    cached = cache.get(cache_key)
    signer = caches.signers.get(cached[0]) if cached is not None else None
    if signer is None or signer.not_after <= moment:
        row = IssuerKey.objects.filter(issuer=issuer_name, status=IssuerKey.Status.ACTIVE).first()
        if row is None or row.not_after.timestamp() <= moment:
            return None
        signer = keys.signer_for(kid=row.kid, alg=row.alg, encrypted=row.private_key_encrypted,
                                 not_after=int(row.not_after.timestamp()))
        cache.set(cache_key, (row.kid,), caches.DOCUMENT_SECONDS)
    if caches.committed_state():
        caches.active_signers[issuer_name] = (signer, caches.clock())
    return signer


def _signer_for_documents() -> tokens.Signer:
    signer = issuer_signer_get()
    if signer is None:  # migrate, seed_demo and the hourly rotation keep one; this is an operator's alarm
        raise DomainError(CodesErrorCode.NO_SIGNING_KEY, _("The city has no valid signing key yet."))
    return signer


def status_entry_state_list(*, citizen: Any) -> list[tuple[StatusEntry, bool]]:
    """Each status-list entry of the citizen's long-lived documents with its state (True: revoked), for their
    export. Rotating codes have none: they hold no state here beyond the key that derives their handles."""
    entries = list(StatusEntry.objects.filter(citizen=citizen).order_by("code_type", "index"))
    bits = dict(StatusList.objects.filter(code_type__in={e.code_type for e in entries})
                .values_list("code_type", "bits"))

    def revoked(entry: StatusEntry) -> bool:
        data = bytes(bits.get(entry.code_type) or b"")
        byte = entry.index >> 3
        return byte < len(data) and bool(data[byte] & (1 << (entry.index & 7)))

    return [(entry, revoked(entry)) for entry in entries]


def token_subject_get(*, verified: tokens.VerifiedToken) -> Any | None:
    """The citizen behind a verified token of this city, or None (a peer city's token, an unknown handle).

    Handles are this city's encryption: a peer city's key verifies its own citizens' codes, never ours (it
    could otherwise sign any handle it has seen on a scanned code). One raw statement by primary key: every
    scan runs this, and compiling the ORM query cost more CPU than running it."""
    if verified.issuer != caches.issuer():
        return None
    pk = keys.subject_pk(code_type=verified.code_type, sub=verified.sub, cti=verified.cti)
    if pk is None:
        return None
    people = get_user_model()
    return next(iter(people._default_manager.raw(_citizen_by_pk_sql(people), [pk])), None)


@lru_cache(maxsize=1)
def _citizen_by_pk_sql(people: Any) -> str:
    # Names from the model's own metadata, never from input.
    return f"SELECT * FROM {people._meta.db_table} WHERE {people._meta.pk.column} = %s"  # noqa: S608


def single_use_purpose_list() -> frozenset[str]:
    """The purpose codes that accept a token once (consent's ``Purpose.single_use``), cached briefly."""
    from apps.consent import selectors as consent_selectors

    return caches.single_use_purposes(
        lambda: frozenset(purpose.code for purpose in consent_selectors.purpose_list(active_only=False)
                          if purpose.single_use))


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def published_issuer_key_list() -> list[IssuerKey]:
    return list(IssuerKey.objects.filter(issuer=caches.issuer(), status__in=_PUBLISHED).order_by("-not_before"))


def jwks_get() -> dict[str, Any]:
    """RFC 7517 key set of this city's active and retiring keys."""
    return {"keys": [{**key.public_jwk, "kid": key.kid, "alg": key.alg, "use": "sig"}
                     for key in published_issuer_key_list()]}


def _own_key_entries() -> list[dict[str, Any]]:
    return [trust.key_entry(issuer=key.issuer, kid=key.kid, alg=key.alg, jwk=key.public_jwk,
                            not_before=_epoch(key.not_before), not_after=_epoch(key.not_after), status=key.status)
            for key in published_issuer_key_list()]


def _peer_key_entries() -> list[dict[str, Any]]:
    return [trust.key_entry(issuer=key.issuer, kid=key.kid, alg=key.alg, jwk=key.public_jwk,
                            not_before=_epoch(key.not_before), not_after=_epoch(key.not_after), status="peer")
            for key in PeerKey.objects.order_by("issuer", "kid")]


def _trust_bundle(prefetched: dict[str, Any] | None = None) -> dict[str, Any]:
    """{"payload", "document" (signed JWS), "etag"}; cached until a rotation or import drops it."""
    bundle = prefetched if prefetched is not None else caches.memo_get(caches.TRUST_KEY)
    if bundle is None:
        bundle = cache.get(caches.TRUST_KEY)
    if bundle is None:
        signer = _signer_for_documents()
        payload = trust.trust_list_payload(issuer=caches.issuer(), issued_at=_epoch(timezone.now()),
                                           keys=_own_key_entries() + _peer_key_entries())
        digest = hashlib.sha256(json.dumps(payload["keys"], sort_keys=True).encode()).hexdigest()[:32]
        bundle = {"payload": payload, "etag": f'"{digest}"',
                  "document": trust.sign_document(payload, signer=signer, typ=trust.TRUST_LIST_TYP)}
        cache.set(caches.TRUST_KEY, bundle, caches.DOCUMENT_SECONDS)
    caches.memo_set(caches.TRUST_KEY, bundle)
    return bundle


def trust_list_document_get() -> tuple[dict[str, str], str]:
    """This city's signed trust list (flattened JWS) and its ETag."""
    bundle = _trust_bundle()
    return bundle["document"], bundle["etag"]


def trust_list_payload_get() -> dict[str, Any]:
    return _trust_bundle()["payload"]


def live_trust_list_get(prefetched: dict[str, Any] | None = None) -> tokens.TrustList:
    bundle = _trust_bundle(prefetched)
    parsed = caches.trust_lists.get(bundle["etag"])
    if parsed is None:
        parsed = tokens.TrustList.from_json(bundle["payload"])
        caches.remember_parsed(caches.trust_lists, bundle["etag"], parsed)
    return parsed


def _status_rows(prefetched: dict | None = None) -> dict[str, tuple[int, bytes, int, int]]:
    """code type -> (version, bits, size, updated_at) for every status list (see caches.py for how stale)."""
    rows = prefetched if prefetched is not None else caches.memo_get(caches.STATUS_KEY)
    if rows is None and caches.shared():
        rows = cache.get(caches.STATUS_KEY)
    if rows is None:
        rows = _status_rows_db()
        if caches.shared():  # a per-process cache would not hear other processes' invalidations
            cache.set(caches.STATUS_KEY, rows, caches.DOCUMENT_SECONDS)
    caches.memo_set(caches.STATUS_KEY, rows)
    return rows


def _status_rows_db() -> dict[str, tuple[int, bytes, int, int]]:
    return {row.code_type: (row.version, bytes(row.bits), row.next_index, _epoch(row.updated_at))
            for row in StatusList.objects.all()}


def status_list_document_get(*, list_id: str) -> tuple[dict[str, str], str] | None:
    """The signed status list of a code type (flattened JWS) and its ETag, or None if there is none."""
    row = _status_rows().get(list_id)
    if row is None:
        return None
    version, bits, size, updated_at = row
    signer = _signer_for_documents()
    cache_key = caches.status_document_key(list_id, version, signer.kid)
    document = cache.get(cache_key)
    if document is None:
        payload = statuslists.payload(issuer=caches.issuer(), list_id=list_id, bits=bits, size=size,
                                      version=version, updated_at=updated_at)
        document = trust.sign_document(payload, signer=signer, typ=trust.STATUS_LIST_TYP)
        cache.set(cache_key, document, caches.DOCUMENT_SECONDS)
    return document, f'"{list_id}-{version}-{signer.kid}"'


def live_status_lists_get(prefetched: dict | None = None) -> tokens.StatusLists:
    rows = _status_rows(prefetched)
    own = caches.issuer()
    version_key = (own, *sorted((code_type, row[0], row[2]) for code_type, row in rows.items()))
    parsed = caches.status_sets.get(version_key)
    if parsed is None:
        parsed = caches.remember_parsed(caches.status_sets, version_key, tokens.StatusLists.of(
            tokens.StatusList(issuer=own, list_id=code_type, bits=row[1], version=row[0])
            for code_type, row in rows.items()))
    return parsed


def verified_token_get(*, token: str, expected_type: str | None = None,
                now: dt.datetime | None = None) -> tokens.VerifiedToken:
    """Verify a token against the live trust list and this city's status lists (both cached briefly).

    Own tokens with a status index are checked fail-closed against their status list; a peer city's against
    theirs only when held (peer status lists are not imported yet). Raises ``tokens.VerificationFailed``.
    """
    prefetched: dict[str, Any] = {}
    status_rows, bundle = caches.memo_get(caches.STATUS_KEY), caches.memo_get(caches.TRUST_KEY)
    if (status_rows is None or bundle is None) and caches.shared():
        prefetched = cache.get_many([caches.STATUS_KEY, caches.TRUST_KEY])  # both in one round trip
    status_lists = live_status_lists_get(status_rows or prefetched.get(caches.STATUS_KEY))
    verified = tokens.verify(token, trust_list=live_trust_list_get(bundle or prefetched.get(caches.TRUST_KEY)),
                             status_lists=status_lists, now=now, expected_type=expected_type)
    if (verified.status_index is not None and verified.issuer == caches.issuer()
            and status_lists.get(verified.issuer, verified.code_type) is None):
        # Every own index has a status-list row (created with it). The snapshot may predate the list
        # (another process created it): re-read once, then fail closed.
        fresh = live_status_lists_get(_status_rows_db())
        if fresh.get(verified.issuer, verified.code_type) is None:
            raise tokens.VerificationFailed("revoked", "no status list")
    return verified


def defined_type_version_list(*, person: Any) -> list[dict[str, Any]]:
    """The versions of department-defined code types this person proposed or decided (for their export)."""
    from django.db.models import Q

    from .models import DefinedCodeTypeVersion

    rows = (DefinedCodeTypeVersion.objects.filter(Q(proposed_by_person=person) | Q(decided_by_person=person))
            .select_related("code_type").order_by("pk"))
    return [{"code_type": v.code_type.key, "version": v.version, "state": v.state,
             "role": "proposed" if v.proposed_by_person_id == person.pk else "decided",
             "created_at": v.created_at.isoformat(), "decided_at": v.decided_at.isoformat() if v.decided_at else None}
            for v in rows]
