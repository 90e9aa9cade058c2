"""The two-layer ride code's format: a rider certificate the city signs, and a code the phone signs over it.

Layer 1, the **rider certificate** (hours of validity), a CBOR Web Token in a COSE_Sign1 signed by the city's
issuer key (``kid`` in the protected header), so any COSE library verifies it with the published JWKS::

    {1 iss, 6 iat, 4 exp, -1 "transit.cert",
     8 cnf: {1: COSE_Key}        the device's P-256 public key (RFC 8747); absent for a server-signed rider
     -10 operator slug, -11 pseudonym (12 random bytes, fresh per certificate), -12 single-fare limit (fen),
     -13 concession (0 none, 1 student, 2 senior, 3 disabled), -15 a code's lifetime (seconds),
     -14 health colour — only with the rider's consent while an epidemic emergency covers it}

No name, no ID number, no account number: nothing in it is the same on two certificates of one rider except
the operator, the fare limit and the concession, which many riders share.

Layer 2, the **ride code** the phone shows: a COSE_Sign1 whose payload is the CBOR array
``[certificate (bstr), generated at (epoch seconds), counter]``, signed ES256 by the key the certificate
names (WebCrypto's raw r||s is exactly COSE's signature form). For a device that cannot hold a key the server
signs short codes the same way with the issuer key (then the code's protected header names the ``kid``).
Text form: ``TR1:`` + Base45, for the QR's alphanumeric mode, like the city code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from apps.codes.plugin_api import ES256, Signer, b45encode, b64u, b64u_decode, raw_sign, sig_structure

PREFIX = "TR1:"
CERT_TYPE = "transit.cert"

CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_CNF, CLAIM_TYPE = 1, 4, 6, 8, -1
CLAIM_OPERATOR, CLAIM_PSEUDONYM, CLAIM_LIMIT, CLAIM_CONCESSION, CLAIM_HEALTH, CLAIM_LIFETIME = (
    -10, -11, -12, -13, -14, -15)
CONCESSIONS = ("none", "student", "senior", "disabled")
HEALTH_COLOURS = ("green", "yellow", "red")
PSEUDONYM_BYTES = 12
# COSE header labels and values (RFC 9052/9053): alg 1, kid 4; ES256 -7, EdDSA -8; COSE_Key kty 1 (EC2 = 2),
# crv -1 (P-256 = 1), x -2, y -3; cnf's COSE_Key member is 1 (RFC 8747).
ALG_IDS = {"ES256": -7, "EdDSA": -8}
ALGS_BY_ID = {v: k for k, v in ALG_IDS.items()}


@dataclass(frozen=True)
class CertificateClaims:
    issuer: str
    issued_at: int
    expires_at: int
    operator: str
    pseudonym: bytes
    fare_limit_fen: int
    concession: str
    code_lifetime: int
    device_jwk: Mapping[str, Any] | None = None
    health_colour: str | None = None


def pseudonym_text(pseudonym: bytes) -> str:
    """The form a pseudonym takes in the database, the deny list and a tap: base64url (16 characters)."""
    return b64u(pseudonym)


def pseudonym_bytes(text: str) -> bytes:
    return b64u_decode(text)


def cose_key_from_jwk(jwk: Mapping[str, Any]) -> dict[int, Any]:
    """A P-256 JWK as a COSE_Key; ValueError for anything else (the device key must be P-256)."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("the device key must be an EC P-256 key")
    x, y = b64u_decode(str(jwk["x"])), b64u_decode(str(jwk["y"]))
    if len(x) != 32 or len(y) != 32:
        raise ValueError("P-256 coordinates must be 32 bytes")
    return {1: 2, -1: 1, -2: x, -3: y}


def jwk_from_cose_key(key: Mapping[int, Any]) -> dict[str, str]:
    return {"kty": "EC", "crv": "P-256", "x": b64u(key[-2]), "y": b64u(key[-3])}


def _protected(alg: str, kid: str | None) -> bytes:
    header: dict[int, Any] = {1: ALG_IDS[alg]}
    if kid is not None:
        header[4] = kid.encode("ascii")
    return cbor2.dumps(header)


def _sign1(*, protected: bytes, payload: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    signature = sign(sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))


def certificate_encode(*, signer: Signer, claims: CertificateClaims) -> bytes:
    """The certificate's COSE_Sign1 bytes, signed by the city's issuer key."""
    payload: dict[int, Any] = {
        CLAIM_ISS: claims.issuer, CLAIM_IAT: claims.issued_at, CLAIM_EXP: claims.expires_at,
        CLAIM_TYPE: CERT_TYPE, CLAIM_OPERATOR: claims.operator, CLAIM_PSEUDONYM: claims.pseudonym,
        CLAIM_LIMIT: claims.fare_limit_fen, CLAIM_CONCESSION: CONCESSIONS.index(claims.concession),
        CLAIM_LIFETIME: claims.code_lifetime,
    }
    if claims.device_jwk is not None:
        payload[CLAIM_CNF] = {1: cose_key_from_jwk(claims.device_jwk)}
    if claims.health_colour is not None:
        payload[CLAIM_HEALTH] = claims.health_colour
    return _sign1(protected=signer.protected, payload=cbor2.dumps(payload),
                  sign=lambda data: raw_sign(signer.private_key, signer.alg, data))


def code_payload(*, certificate: bytes, generated_at: int, counter: int) -> bytes:
    return cbor2.dumps([certificate, generated_at, counter])


def code_encode_device(*, certificate: bytes, generated_at: int, counter: int, device_key: Any) -> str:
    """A ride code as the phone makes it: signed ES256 with the device's private key (``cryptography``'s;
    the wallet page does the same with WebCrypto). Used by tests, reader_sim and the benchmark."""
    payload = code_payload(certificate=certificate, generated_at=generated_at, counter=counter)
    cose = _sign1(protected=_protected(ES256, None), payload=payload,
                  sign=lambda data: raw_sign(device_key, ES256, data))
    return PREFIX + b45encode(cose)


def code_encode_server(*, certificate: bytes, generated_at: int, counter: int, signer: Signer) -> str:
    """A short server-signed ride code for a device without a key: the issuer key signs the second layer."""
    payload = code_payload(certificate=certificate, generated_at=generated_at, counter=counter)
    cose = _sign1(protected=signer.protected, payload=payload,
                  sign=lambda data: raw_sign(signer.private_key, signer.alg, data))
    return PREFIX + b45encode(cose)
