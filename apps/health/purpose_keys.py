"""The health colour in a token, sealed to the epidemic-control purpose key: pure functions, no database.

Every health-code token verifies offline by its signature like any code; its colour claim is a COSE_Encrypt0
(RFC 9052 §5.2, AES-128-GCM, alg 1) under the day's purpose key, which only verifiers holding an active
``health.epidemic_control`` grant receive (``GET /api/v1/health/verifier-package``). A verifier without the
key (a bank) sees a valid code and an opaque byte string::

    COSE_Encrypt0 = 16([ h'A10101' ({1: 1}: A128GCM), {4: kid, 5: iv (12 random bytes)}, ciphertext ])
    Enc_structure = ["Encrypt0", h'A10101', h'']          (the AEAD's associated data)
    plaintext     = CBOR uint 0 (green), 1 (yellow) or 2 (red)

In the token the claim is the COSE_Encrypt0's base64url text (claims stay JSON-friendly, like every claim).

Unlinkable: the IV is random per token, so two tokens of one citizen with the same colour carry unrelated
ciphertexts; the plaintext is one byte for every colour, so the length says nothing either. The ``kid`` is the
same for every citizen's token of one day (it names the day's key, not a person).

Written by hand with ``cryptography`` (a pycose message object per token would cost more than sealing it);
the bytes are exactly pycose's, and pycose decrypts them (tests/health/test_purpose_keys.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

COLOURS = ("green", "yellow", "red")
_CODE = {colour: index for index, colour in enumerate(COLOURS)}
KEY_BYTES = 16  # AES-128-GCM: COSE alg 1
IV_BYTES = 12
KID_BYTES = 3  # 4 base64url characters: names one of the few live day keys, and keeps the code under 300 chars
COSE_ALG = 1  # A128GCM
JWK_ALG = "A128GCM"

_PROTECTED = b"\xa1\x01\x01"  # {1: 1}
_ENC_STRUCTURE = cbor2.dumps(["Encrypt0", _PROTECTED, b""])
_HEAD = b"\xd0\x83\x43" + _PROTECTED + b"\xa2\x04"  # tag 16, array(3), bstr(3) protected, map(2), key 4 (kid)


class SealedColourError(ValueError):
    """The sealed colour is malformed, or no key this verifier holds opens it."""


@dataclass(frozen=True)
class PurposeKey:
    """One day's purpose key as a verifier holds it: ``kid``, the AES key, and when tokens under it may be
    presented (the local day, plus the lifetime of the last token issued under it)."""

    kid: str
    key: bytes
    valid_from: dt.datetime
    valid_until: dt.datetime

    def to_jwk(self) -> dict[str, Any]:
        """RFC 7517 symmetric JWK (``kty: oct``), with the validity as ``nbf``/``exp`` (seconds since the epoch)."""
        return {"kty": "oct", "alg": JWK_ALG, "kid": self.kid, "k": _b64u(self.key),
                "nbf": int(self.valid_from.timestamp()), "exp": int(self.valid_until.timestamp())}

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PurposeKey:
        if jwk.get("kty") != "oct" or jwk.get("alg") != JWK_ALG:
            raise ValueError("not an A128GCM symmetric key")
        key = _b64u_decode(str(jwk["k"]))
        if len(key) != KEY_BYTES:
            raise ValueError("an A128GCM key is 16 bytes")
        return cls(kid=str(jwk["kid"]), key=key,
                   valid_from=dt.datetime.fromtimestamp(int(jwk["nbf"]), dt.UTC),
                   valid_until=dt.datetime.fromtimestamp(int(jwk["exp"]), dt.UTC))


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kid_new() -> str:
    """A fresh random key id (KID_BYTES, base64url)."""
    return _b64u(os.urandom(KID_BYTES))


def _bstr_head(size: int) -> bytes:
    return bytes((0x40 | size,)) if size < 24 else bytes((0x58, size))


def seal(colour: str, *, kid: str, key: bytes) -> bytes:
    """The COSE_Encrypt0 bytes of ``colour`` under ``key``, with a fresh random IV."""
    kid_bytes = kid.encode("ascii")
    iv = os.urandom(IV_BYTES)
    ciphertext = AESGCM(key).encrypt(iv, bytes((_CODE[colour],)), _ENC_STRUCTURE)
    return (_HEAD + _bstr_head(len(kid_bytes)) + kid_bytes + b"\x05" + _bstr_head(IV_BYTES) + iv
            + _bstr_head(len(ciphertext)) + ciphertext)


def sealed_kid(sealed: Any) -> str:
    """The kid of a sealed colour (which day's key it needs); SealedColourError when it is not one."""
    return _parse(sealed)[0]


def seal_text(colour: str, *, kid: str, key: bytes) -> str:
    """:func:`seal`, base64url-encoded: the form the token's claim takes (claims stay JSON-friendly)."""
    return _b64u(seal(colour, kid=kid, key=key))


def _parse(sealed: Any) -> tuple[str, bytes, bytes]:
    if isinstance(sealed, str):
        try:
            sealed = _b64u_decode(sealed)
        except ValueError:
            raise SealedColourError("not base64url") from None
    if not isinstance(sealed, bytes):
        raise SealedColourError("not a byte string")
    # The layout seal() writes, read by slicing (a CBOR decode cost more than the decryption); anything else
    # goes through the general parser below.
    size = len(sealed)
    if size > 40 and sealed.startswith(_HEAD) and sealed[7] & 0xE0 == 0x40:
        kid_len = sealed[7] & 0x1F
        at = 8 + kid_len
        if kid_len < 24 and sealed[at:at + 2] == b"\x05\x4c" and sealed[at + 14] == 0x51 and size == at + 32:
            try:
                return sealed[8:at].decode("ascii"), sealed[at + 2:at + 14], sealed[at + 15:]
            except UnicodeDecodeError:
                raise SealedColourError("kid is not ASCII") from None
    try:
        message = cbor2.loads(sealed)
    except Exception:  # cbor2 raises several types for broken input; all mean the same here
        raise SealedColourError("not CBOR") from None
    if not (isinstance(message, cbor2.CBORTag) and message.tag == 16 and isinstance(message.value, list)
            and len(message.value) == 3):
        raise SealedColourError("not a COSE_Encrypt0")
    protected, unprotected, ciphertext = message.value
    if protected != _PROTECTED or not isinstance(unprotected, dict) or not isinstance(ciphertext, bytes):
        raise SealedColourError("unexpected COSE_Encrypt0 headers")
    kid, iv = unprotected.get(4), unprotected.get(5)
    if not isinstance(kid, bytes) or not isinstance(iv, bytes) or len(iv) != IV_BYTES:
        raise SealedColourError("missing kid or IV")
    try:
        return kid.decode("ascii"), iv, ciphertext
    except UnicodeDecodeError:
        raise SealedColourError("kid is not ASCII") from None


class KeyRing:
    """The purpose keys a verifier holds (from its verifier package), by kid."""

    def __init__(self, keys: Iterable[PurposeKey]) -> None:
        self._keys: dict[str, PurposeKey] = {}
        self._aeads: dict[str, AESGCM] = {}
        for key in keys:
            self._keys[key.kid] = key
            self._aeads[key.kid] = AESGCM(key.key)

    @classmethod
    def from_package(cls, package: Mapping[str, Any]) -> KeyRing:
        """The keys of a verifier package (``{"keys": [JWK, ...], ...}``)."""
        return cls(PurposeKey.from_jwk(jwk) for jwk in package.get("keys", ()))

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def open(self, sealed: Any, *, now: dt.datetime | None = None) -> str:
        """The colour in a sealed claim. SealedColourError when this ring has no key for it, the key is outside
        its validity at ``now``, or the ciphertext was altered."""
        kid, iv, ciphertext = _parse(sealed)
        aead = self._aeads.get(kid)
        if aead is None:
            raise SealedColourError("no key for this kid")
        if now is not None:
            key = self._keys[kid]
            if not key.valid_from <= now < key.valid_until:
                raise SealedColourError("the key is not valid at this time")
        try:
            plaintext = aead.decrypt(iv, ciphertext, _ENC_STRUCTURE)
        except InvalidTag:
            raise SealedColourError("the ciphertext does not open under this key") from None
        if len(plaintext) != 1 or plaintext[0] >= len(COLOURS):
            raise SealedColourError("unknown colour")
        return COLOURS[plaintext[0]]
