"""Signed JSON documents (trust list, status lists) and mutual recognition between cities.

A published document is a JWS in the flattened JSON serialization (RFC 7515 section 7.2.2)::

    {"protected": b64url({"alg": "ES256", "kid": "<kid>", "typ": "citycode-trust-list+json"}),
     "payload":   b64url(<the JSON document>),
     "signature": b64url(<r||s or the Ed25519 signature>)}

signed by one of this city's issuer keys, so it verifies with any JOSE library and the city's JWKS.

The trust-list payload::

    {"type": "citycode-trust-list", "issuer": "CC", "issued_at": <epoch>,
     "keys": [{"iss": "CC", "kid": "...", "alg": "ES256", "nbf": <epoch>, "exp": <epoch>,
               "status": "active" | "retiring" | "peer", "jwk": {...}}, ...]}

``keys`` holds this city's active and retiring keys and the peer cities' keys it has imported.
A reader builds :class:`apps.codes.tokens.TrustList` from the payload with ``TrustList.from_json``.

Importing a peer's trust list (``manage.py import_trust_list``) accepts only a document whose signature
verifies against a *pinned* peer key, given as a JWK or as its RFC 7638 thumbprint (on the command line or,
for a file handed over out of band, in a wrapper ``{"trust_list": <JWS>, "pin": {"jwk": {...}} or
{"thumbprint": "..."}}``). Only the peer's own keys (``iss`` equal to the document's ``issuer``) are
imported: recognition is not transitive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .keys import public_jwk, thumbprint
from .tokens import ALGORITHMS, Signer, b64u, b64u_decode, public_key_from_jwk, raw_sign, raw_verify

TRUST_LIST_TYP = "citycode-trust-list+json"
STATUS_LIST_TYP = "citycode-status-list+json"


class SignedDocumentError(ValueError):
    """A signed document is malformed, or its signature does not verify with the given key."""


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def sign_document(payload: Mapping[str, Any], *, signer: Signer, typ: str) -> dict[str, str]:
    protected = b64u(_json_bytes({"alg": signer.alg, "kid": signer.kid, "typ": typ}))
    body = b64u(_json_bytes(payload))
    signature = raw_sign(signer.private_key, signer.alg, f"{protected}.{body}".encode("ascii"))
    return {"protected": protected, "payload": body, "signature": b64u(signature)}


def document_header(document: Mapping[str, Any]) -> dict[str, Any]:
    try:
        header = json.loads(b64u_decode(document["protected"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SignedDocumentError(f"bad protected header: {exc}") from None
    if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
        raise SignedDocumentError("unsupported or missing alg")
    return header


def document_payload_unverified(document: Mapping[str, Any]) -> dict[str, Any]:
    try:
        payload = json.loads(b64u_decode(document["payload"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SignedDocumentError(f"bad payload: {exc}") from None
    if not isinstance(payload, dict):
        raise SignedDocumentError("payload is not an object")
    return payload


def verify_document(document: Mapping[str, Any], *, jwk: Mapping[str, Any], typ: str | None = None) -> dict[str, Any]:
    """The payload of a flattened JWS if its signature verifies with ``jwk``; SignedDocumentError otherwise."""
    header = document_header(document)
    if typ is not None and header.get("typ") != typ:
        raise SignedDocumentError(f"expected typ {typ}, got {header.get('typ')}")
    try:
        public_key = public_key_from_jwk(jwk)
        signature = b64u_decode(document["signature"])
        signed = f"{document['protected']}.{document['payload']}".encode("ascii")
    except (KeyError, TypeError, ValueError) as exc:
        raise SignedDocumentError(f"malformed: {exc}") from None
    if not raw_verify(public_key, header["alg"], signature, signed):
        raise SignedDocumentError("signature does not verify with the pinned key")
    return document_payload_unverified(document)


def key_entry(*, issuer: str, kid: str, alg: str, jwk: Mapping[str, Any], not_before: int, not_after: int,
              status: str) -> dict[str, Any]:
    return {"iss": issuer, "kid": kid, "alg": alg, "nbf": not_before, "exp": not_after, "status": status,
            "jwk": dict(jwk)}


def trust_list_payload(*, issuer: str, issued_at: int, keys: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "citycode-trust-list", "issuer": issuer, "issued_at": issued_at, "keys": keys}


def verify_peer_trust_list(document: Mapping[str, Any], *, pin_jwk: Mapping[str, Any] | None = None,
                           pin_thumbprint: str | None = None) -> dict[str, Any]:
    """Verify a peer city's trust list against a pinned key and return its payload.

    With ``pin_thumbprint`` (base64url RFC 7638 thumbprint), the signing key is looked up in the document's
    own keys by the header's kid and must hash to the pin; the payload is trusted only after its signature
    verifies with that key.
    """
    if "trust_list" in document and "protected" not in document:  # the out-of-band wrapper form
        # Only the list is read from a wrapper. A pin travelling with the document would let whoever hands the
        # bureau a file (or answers a fetch) pin their own key: the pin comes from the operator alone.
        document = document["trust_list"]
        if not isinstance(document, Mapping):
            raise SignedDocumentError("the wrapper's trust_list is not a JSON object")
    if pin_jwk is None and pin_thumbprint is None:
        raise SignedDocumentError("no pinned peer key: give --pin-jwk or --pin-thumbprint")
    if pin_jwk is None:
        header = document_header(document)
        unverified = document_payload_unverified(document)
        for entry in unverified.get("keys", []):
            if not isinstance(entry, dict) or entry.get("kid") != header.get("kid"):
                continue
            if entry.get("iss") == unverified.get("issuer") and b64u(thumbprint(entry["jwk"])) == pin_thumbprint:
                pin_jwk = entry["jwk"]
                break
        else:
            raise SignedDocumentError("no key in the document matches the pinned thumbprint")
    payload = verify_document(document, jwk=pin_jwk, typ=TRUST_LIST_TYP)
    if payload.get("type") != "citycode-trust-list" or not isinstance(payload.get("issuer"), str):
        raise SignedDocumentError("not a citycode trust list")
    return payload


def thumbprint_of(jwk_or_key: Any) -> str:
    jwk = jwk_or_key if isinstance(jwk_or_key, Mapping) else public_jwk(jwk_or_key)
    return b64u(thumbprint(dict(jwk)))
