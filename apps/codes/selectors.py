"""Reads for codes: subjects, the published key documents, and live verification.

The published documents (JWKS, trust list, status lists) are cached in the Django cache and dropped by
the services that change them (on commit); the parsed :class:`~apps.codes.tokens.TrustList` and
:class:`~apps.codes.tokens.StatusLists` are memoised in-process per document version, so ``verify_live``
costs one cache read per structure, never a key parse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from . import services, statuslists, tokens, trust
from .models import IssuerKey, PeerKey, StatusList, Subject

DOCUMENT_CACHE_SECONDS = 60
_PUBLISHED = (IssuerKey.Status.ACTIVE, IssuerKey.Status.RETIRING)


# The join select_related("citizen") would build, written out (the table names are Django's defaults).
_CITIZEN_FOR_SUBJECT = (
    "SELECT c.* FROM identity_citizen c JOIN codes_subject s ON s.citizen_id = c.id"
    " WHERE s.code_type = %s AND s.sub = %s LIMIT 1"
)


def citizen_for_subject(*, code_type: str, sub: str) -> Any | None:
    """The citizen behind a token's ``sub`` for that code type, or None.

    Every scan runs this, so it is one raw statement read into a full Citizen: compiling the ORM join cost
    more CPU than running it (about 0.67 ms against 0.28 ms per call; see benchmarks/scan_load.py)."""
    people = Subject._meta.get_field("citizen").related_model
    return next(iter(people._default_manager.raw(_CITIZEN_FOR_SUBJECT, [code_type, sub])), None)


def subjects_with_status_for(*, citizen: Any) -> list[tuple[Subject, bool]]:
    """Each of the citizen's code subjects with its status-list entry (True: revoked), for their export."""
    subjects = list(Subject.objects.filter(citizen=citizen).order_by("code_type"))
    bits = dict(StatusList.objects.filter(code_type__in={s.code_type for s in subjects})
                .values_list("code_type", "bits"))

    def revoked(subject: Subject) -> bool:
        data = bytes(bits.get(subject.code_type) or b"")
        byte = subject.status_index >> 3
        return byte < len(data) and bool(data[byte] & (1 << (subject.status_index & 7)))

    return [(subject, revoked(subject)) for subject in subjects]


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def issuer_keys_published() -> list[IssuerKey]:
    return list(IssuerKey.objects.filter(issuer=services.issuer(), status__in=_PUBLISHED).order_by("-not_before"))


def jwks() -> dict[str, Any]:
    """RFC 7517 key set of this city's active and retiring keys."""
    return {"keys": [{**key.public_jwk, "kid": key.kid, "alg": key.alg, "use": "sig"}
                     for key in issuer_keys_published()]}


def _own_key_entries() -> list[dict[str, Any]]:
    return [trust.key_entry(issuer=key.issuer, kid=key.kid, alg=key.alg, jwk=key.public_jwk,
                            not_before=_epoch(key.not_before), not_after=_epoch(key.not_after), status=key.status)
            for key in issuer_keys_published()]


def _peer_key_entries() -> list[dict[str, Any]]:
    return [trust.key_entry(issuer=key.issuer, kid=key.kid, alg=key.alg, jwk=key.public_jwk,
                            not_before=_epoch(key.not_before), not_after=_epoch(key.not_after), status="peer")
            for key in PeerKey.objects.order_by("issuer", "kid")]


def _trust_bundle(prefetched: dict[str, Any] | None = None) -> dict[str, Any]:
    """{"payload", "document" (signed JWS), "etag"}; cached until a rotation or import drops it."""
    bundle = prefetched if prefetched is not None else cache.get(services.TRUST_CACHE_KEY)
    if bundle is None:
        signer = services.issuer_key_active()  # creates the first key lazily, so the list is never unsigned
        payload = trust.trust_list_payload(issuer=services.issuer(), issued_at=_epoch(timezone.now()),
                                           keys=_own_key_entries() + _peer_key_entries())
        digest = hashlib.sha256(json.dumps(payload["keys"], sort_keys=True).encode()).hexdigest()[:32]
        bundle = {"payload": payload, "etag": f'"{digest}"',
                  "document": trust.sign_document(payload, signer=signer, typ=trust.TRUST_LIST_TYP)}
        cache.set(services.TRUST_CACHE_KEY, bundle, DOCUMENT_CACHE_SECONDS)
    return bundle


def trust_list_document() -> tuple[dict[str, str], str]:
    """This city's signed trust list (flattened JWS) and its ETag."""
    bundle = _trust_bundle()
    return bundle["document"], bundle["etag"]


def trust_list_payload() -> dict[str, Any]:
    return _trust_bundle()["payload"]


_trust_lists: dict[str, tokens.TrustList] = {}


def live_trust_list(prefetched: dict[str, Any] | None = None) -> tokens.TrustList:
    bundle = _trust_bundle(prefetched)
    parsed = _trust_lists.get(bundle["etag"])
    if parsed is None:
        if len(_trust_lists) > 16:
            _trust_lists.clear()
        parsed = _trust_lists[bundle["etag"]] = tokens.TrustList.from_json(bundle["payload"])
    return parsed


def _status_rows(prefetched: dict | None = None) -> dict[str, tuple[int, bytes, int, int]]:
    """code type -> (version, bits, size, updated_at) for every status list; cached until a change."""
    rows = prefetched if prefetched is not None else cache.get(services.STATUS_CACHE_KEY)
    if rows is None:
        rows = {row.code_type: (row.version, bytes(row.bits), row.next_index, _epoch(row.updated_at))
                for row in StatusList.objects.all()}
        cache.set(services.STATUS_CACHE_KEY, rows, DOCUMENT_CACHE_SECONDS)
    return rows


def status_list_document(*, list_id: str) -> tuple[dict[str, str], str] | None:
    """The signed status list of a code type (flattened JWS) and its ETag, or None if there is none."""
    row = _status_rows().get(list_id)
    if row is None:
        return None
    version, bits, size, updated_at = row
    signer = services.issuer_key_active()
    cache_key = f"codes:status-doc:{list_id}:{version}:{signer.kid}"
    document = cache.get(cache_key)
    if document is None:
        payload = statuslists.payload(issuer=services.issuer(), list_id=list_id, bits=bits, size=size,
                                      version=version, updated_at=updated_at)
        document = trust.sign_document(payload, signer=signer, typ=trust.STATUS_LIST_TYP)
        cache.set(cache_key, document, DOCUMENT_CACHE_SECONDS)
    return document, f'"{list_id}-{version}-{signer.kid}"'


_status_sets: dict[tuple, tokens.StatusLists] = {}


def live_status_lists(prefetched: dict | None = None) -> tokens.StatusLists:
    rows = _status_rows(prefetched)
    own = services.issuer()
    version_key = (own, *sorted((code_type, row[0], row[2]) for code_type, row in rows.items()))
    parsed = _status_sets.get(version_key)
    if parsed is None:
        if len(_status_sets) > 16:
            _status_sets.clear()
        parsed = _status_sets[version_key] = tokens.StatusLists.of(
            tokens.StatusList(issuer=own, list_id=code_type, bits=row[1], version=row[0])
            for code_type, row in rows.items())
    return parsed


def verify_live(*, token: str, expected_type: str | None = None,
                now: dt.datetime | None = None) -> tokens.VerifiedToken:
    """Verify a token against the live trust list and this city's status lists (both cached briefly).

    Own tokens are checked fail-closed against their status list; a peer city's tokens against theirs
    only when held (peer status lists are not imported yet). Raises ``tokens.VerificationFailed``.
    """
    # Both cached documents in one cache round trip (a miss still falls back to the database, as before).
    cached = cache.get_many([services.STATUS_CACHE_KEY, services.TRUST_CACHE_KEY])
    status_lists = live_status_lists(cached.get(services.STATUS_CACHE_KEY))
    verified = tokens.verify(token, trust_list=live_trust_list(cached.get(services.TRUST_CACHE_KEY)),
                             status_lists=status_lists, now=now, expected_type=expected_type)
    if verified.issuer == services.issuer() and status_lists.get(verified.issuer, verified.code_type) is None:
        # Every own subject has a status-list row (created with its index). The snapshot may predate the
        # list (another process created it and our cache is per process): re-read once, then fail closed.
        services.invalidate_status_caches()
        fresh = live_status_lists()
        if fresh.get(verified.issuer, verified.code_type) is None:
            raise tokens.VerificationFailed("revoked", "no status list")
        verified = tokens.verify(token, trust_list=live_trust_list(), status_lists=fresh, now=now,
                                 expected_type=expected_type)
    return verified
