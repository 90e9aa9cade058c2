"""The citycode token format, and its offline verification — pure functions, no database, no network.

Layout (the EU Digital COVID Certificate chain, made compact)::

    claims (CBOR map, RFC 8392 CWT)
      -> COSE_Sign1 (RFC 9052), CBOR tag 18, protected header {1: alg, 4: kid}, unprotected {}
      -> zlib, only when that makes the bytes shorter
      -> Base45 (RFC 9285)
      -> prefix "CC1:" (uncompressed COSE) or "CZ1:" (zlib-compressed COSE)

Claims (CBOR map keys):

    ====  ===========  ===========================================================================
    key   name         value
    ====  ===========  ===========================================================================
     1    iss          issuer, e.g. "CC" (settings.CITYCODE_ISSUER); keys are trusted per issuer
     2    sub          a per-token handle only the issuing city resolves (base64url, 8 characters):
                       the citizen's number XOR a keystream drawn from the token's ``cti``
     4    exp          expiry, seconds since the epoch
     6    iat          issued at, seconds since the epoch
     7    cti          the token's unique id: 8 random bytes (single-use purposes refuse a second scan)
    -1    code type    the code type key, e.g. "city"
    -2    claims       the claims a reader must see offline (the code type's ``offline_claims``); omitted
                       when empty
    -3    status idx   only in tokens of a code type with a status list: a fresh index per issued token,
                       so no index names a person across documents
    ====  ===========  ===========================================================================

No value a reader sees repeats across two tokens of one citizen except the issuer, the code type, the kid
and the offline claims the code type declares: ``cti`` is random, ``sub`` is a fresh encryption.

One canonical form: :func:`verify` accepts exactly the bytes :func:`encode` writes and refuses any other
spelling of the same token as ``non_canonical`` with a ``detail`` naming the rule (see :data:`NON_CANONICAL`):
surrounding whitespace, a compression choice other than the encoder's, bytes after the zlib stream or the
CBOR, an indefinite or non-minimal length, a non-empty unprotected header, a high-S ECDSA signature.

``kid`` (protected header 4) is the first 6 bytes of the key's RFC 7638 JWK thumbprint, base64url-encoded:
8 ASCII characters, and the COSE ``kid`` bytes are exactly the UTF-8 of the JWKS ``kid`` string, so any COSE
library verifies a token with nothing but ``/.well-known/jwks.json``. A short kid can collide: like a DCC
verifier, :func:`verify` tries every trusted key that carries it.

pycose encodes and parses the protected header (once per key: a city has a handful). Per token, the two
RFC 9052 arrays (Sig_structure, COSE_Sign1 under tag 18) are written and read with cbor2 directly,
byte-identical to pycose's (tested against pycose on every path, and against the independent ``cwt``
library), because building a pycose message object per token cost as much as the signature itself.
Signatures are computed and checked with ``cryptography`` (pycose's own ECDSA goes through the
pure-Python ``ecdsa`` package, about 50 times slower than OpenSSL).

Base45: the encoding is RFC 9285, identical to the ``base45`` package (tests compare the two on random
input); this module does the arithmetic on all groups at once because the package's per-character loop
alone cost more than the ES256 signature it encodes.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from django.utils.translation import gettext_lazy
from pycose.algorithms import EdDSA, Es256
from pycose.headers import KID, Algorithm
from pycose.messages import Sign1Message

from .base45 import b45decode, b45encode

PREFIX_RAW = "CC1:"
PREFIX_ZLIB = "CZ1:"
PREFIX_LEN = 4

CLAIM_ISS = 1
CLAIM_SUB = 2
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_CTI = 7
CLAIM_TYPE = -1
CLAIM_CLAIMS = -2
CLAIM_STATUS = -3

ES256 = "ES256"
EDDSA = "EdDSA"
ALGORITHMS = (ES256, EDDSA)
_COSE_ALG = {ES256: Es256, EDDSA: EdDSA}
_ALG_BY_ID = {Es256.identifier: ES256, EdDSA.identifier: EDDSA}

CTI_BYTES = 8
# A compressed token never inflates beyond this: a bomb is refused as bad_encoding.
MAX_INFLATED = 8192
# Compression is tried only for a COSE_Sign1 longer than this. Shorter ones (every rotating code: ~130 bytes,
# two thirds of them a signature, a random cti and an encrypted handle) cannot shrink, and a fixed threshold
# lets the verifier check the encoder's choice without compressing every short token again.
ZLIB_MIN_COSE = 160
# P-256 group order: an ES256 signature (r, s) is canonical only with s <= n/2 ("low S").
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_HALF_N = _P256_N // 2

REASONS = (
    "bad_prefix",
    "bad_encoding",
    "unknown_kid",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "revoked",
    "wrong_type",
    "non_canonical",
)

# The detail of a ``non_canonical`` refusal: which rule of the one canonical encoding the token broke.
NON_CANONICAL = (
    "whitespace",           # anything around the token text
    "needless_compression",  # CZ1 where CC1 was shorter, or a COSE too short to be compressed
    "missing_compression",   # CC1 where zlib would have shrunk a long token
    "trailing_zlib",         # bytes after the end of the zlib stream
    "trailing_bytes",        # bytes after the COSE_Sign1
    "indefinite_length",     # an indefinite-length array or byte string
    "non_minimal_length",    # a length or tag written in more bytes than needed
    "unprotected_header",    # anything in the unprotected header
    "high_s",                # an ES256 signature with s > n/2 (the same signature, mirrored)
)


class VerificationFailed(Exception):
    """A token was refused; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# What a person is told for each refusal (the page and the API's `error.message`; `error.code` stays the reason).
# `unknown_code_type` and `unknown_subject` are refusals of the scan after the token itself verified.
REFUSAL_MESSAGES = {
    "bad_prefix": gettext_lazy("This is not a city code. Scan the code shown in the person's city app."),
    "bad_encoding": gettext_lazy("The code is damaged or incomplete. Ask the person to show it again."),
    "unknown_kid": gettext_lazy("The code was signed with a key this city does not trust."),
    "bad_signature": gettext_lazy("The code's signature does not match: it was altered or forged."),
    "expired": gettext_lazy("The code has expired. Ask the person to refresh it in the app."),
    "not_yet_valid": gettext_lazy("The code is not valid yet. The clock of the person's device may be wrong."),
    "revoked": gettext_lazy("The code has been revoked."),
    "wrong_type": gettext_lazy("This is a different kind of code than the one expected here."),
    "non_canonical": gettext_lazy("The code was re-encoded or altered after it was issued."),
    "unknown_code_type": gettext_lazy("This city does not know the code's type."),
    "unknown_subject": gettext_lazy("The code does not belong to a known citizen."),
}


# -- keys ------------------------------------------------------------------------------------------------


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey:
    """A ``cryptography`` public key from a P-256 (EC) or Ed25519 (OKP) JWK; ValueError otherwise."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        x, y = b64u_decode(jwk["x"]), b64u_decode(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("P-256 coordinates must be 32 bytes")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(b64u_decode(jwk["x"]))
    raise ValueError(f"unsupported key type {kty}/{crv}")


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def raw_sign(private_key: Any, alg: str, data: bytes) -> bytes:
    """The COSE signature bytes: r||s (64 bytes, low S) for ES256, the 64-byte signature for EdDSA."""
    if alg == ES256:
        r, s = decode_dss_signature(private_key.sign(data, _ECDSA_SHA256))
        if s > _P256_HALF_N:  # (r, n - s) is the same signature; only the low one is canonical
            s = _P256_N - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    signature: bytes = private_key.sign(data)  # Ed25519PrivateKey.sign
    return signature


def raw_verify(public_key: Any, alg: str, signature: bytes, data: bytes) -> bool:
    try:
        if alg == ES256:
            if len(signature) != 64:
                return False
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public_key.verify(der, data, _ECDSA_SHA256)
        else:
            public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _bstr(data: bytes) -> bytes:
    """A CBOR byte string with its minimal definite-length head."""
    size = len(data)
    if size < 24:
        return bytes((0x40 | size,)) + data
    if size < 256:
        return bytes((0x58, size)) + data
    if size < 65536:
        return b"\x59" + size.to_bytes(2, "big") + data
    return b"\x5a" + size.to_bytes(4, "big") + data


_SIG1_CONTEXT = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"
_SIG_HEAD = b"\x58\x40"  # bstr(64): both algorithms' signatures are 64 bytes


@dataclass(frozen=True)
class Signer:
    """What issuing needs of a key: the decrypted private key, its kid, algorithm and validity end."""

    kid: str
    alg: str
    private_key: Any
    not_after: int  # seconds since the epoch; a token's exp never goes beyond it
    # the protected header {1: alg, 4: kid} as pycose encodes it, computed once per key
    protected: bytes = field(default=b"", repr=False, compare=False)
    # The constant heads of the two RFC 9052 arrays up to the payload, once per key (see encode)
    sig_prefix: bytes = field(default=b"", repr=False, compare=False)
    cose_prefix: bytes = field(default=b"", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.protected:
            header = Sign1Message(phdr={Algorithm: _COSE_ALG[self.alg], KID: self.kid.encode("ascii")})
            object.__setattr__(self, "protected", header.phdr_encoded)
        object.__setattr__(self, "sig_prefix", _SIG1_CONTEXT + _bstr(self.protected) + b"\x40")
        object.__setattr__(self, "cose_prefix", b"\xd2\x84" + _bstr(self.protected) + b"\xa0")


# -- encoding --------------------------------------------------------------------------------------------

_encoders = threading.local()


def _cbor(value: Any) -> bytes:
    """cbor2.dumps through a per-thread encoder: same bytes, without dumps' set-up of ~4 microseconds a call."""
    buffer: io.BytesIO
    encoder: cbor2.CBOREncoder
    try:
        buffer, encoder = _encoders.pair
    except AttributeError:
        buffer = io.BytesIO()
        encoder = cbor2.CBOREncoder(buffer)
        _encoders.pair = (buffer, encoder)
    buffer.seek(0)
    buffer.truncate()
    encoder.encode(value)
    return buffer.getvalue()



def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 section 4.4 Sig_structure (no external AAD), byte-identical to pycose's (tested)."""
    return _SIG1_CONTEXT + _bstr(protected) + b"\x40" + _bstr(payload)


def envelope(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    """RFC 9052 section 4.2 COSE_Sign1 under tag 18 with an empty unprotected header, as pycose writes it."""
    return b"\xd2\x84" + _bstr(protected) + b"\xa0" + _bstr(payload) + _bstr(signature)


_U32_MIN, _U32_END = 1 << 16, 1 << 32  # the times CBOR writes as 0x1a + 4 bytes


@lru_cache(maxsize=64)
def _plain_head(issuer: str, code_type: str) -> tuple[bytes, bytes] | None:
    """The constant parts of a claims-less payload, around sub/exp/iat/cti: the bstr and map heads with
    ``iss`` and ``sub``'s head, and the trailing ``code type``; None when the strings need longer heads."""
    if not (issuer.isascii() and code_type.isascii() and len(issuer) < 24 and len(code_type) < 24):
        return None
    body = 1 + 1 + 1 + len(issuer) + 1 + 1 + 8 + 2 + 4 + 2 + 4 + 2 + 8 + 1 + 1 + len(code_type)
    if not 24 <= body < 256:
        return None
    return (bytes((0x58, body, 0xA6, 0x01, 0x60 | len(issuer))) + issuer.encode("ascii") + b"\x02\x68",
            bytes((0x20, 0x60 | len(code_type))) + code_type.encode("ascii"))


def encode(*, signer: Signer, issuer: str, sub: str, code_type: str, iat: int, exp: int,
           cti: bytes | None = None, status_index: int | None = None,
           claims: Mapping[str, Any] | None = None) -> str:
    """Sign the claims and return the token text. ``exp`` is clamped to the key's validity; ``cti`` is random
    unless given; ``status_index`` only for a code type with a status list."""
    exp = min(exp, signer.not_after)
    if cti is None:
        cti = os.urandom(CTI_BYTES)
    head = _plain_head(issuer, code_type) if not claims and status_index is None else None
    if head is not None and len(sub) == 8 and sub.isascii() and len(cti) == 8 and _U32_MIN <= iat <= exp < _U32_END:
        # A rotating code's payload written out (byte-identical to cbor2's, tested): the CBOR encoder's set-up
        # was a sizeable share of the Python around the signature.
        payload = head[0] + sub.encode("ascii") + b"\x04\x1a" + exp.to_bytes(4, "big") + b"\x06\x1a" \
            + iat.to_bytes(4, "big") + b"\x07\x48" + cti + head[1]
    else:
        payload_map: dict[int, Any] = {CLAIM_ISS: issuer, CLAIM_SUB: sub, CLAIM_EXP: exp, CLAIM_IAT: iat,
                                       CLAIM_CTI: cti, CLAIM_TYPE: code_type}
        if claims:
            payload_map[CLAIM_CLAIMS] = dict(claims)
        if status_index is not None:
            payload_map[CLAIM_STATUS] = status_index
        payload = _bstr(_cbor(payload_map))
    # The two RFC 9052 arrays (sig_structure, envelope) are written directly from the key's constant prefixes,
    # byte-identical to pycose's (tests compare), without its per-message object set-up.
    signature = raw_sign(signer.private_key, signer.alg, signer.sig_prefix + payload)
    cose = signer.cose_prefix + payload + _SIG_HEAD + signature
    if len(cose) > ZLIB_MIN_COSE:
        packed = zlib.compress(cose, 9)
        if len(packed) < len(cose):
            return PREFIX_ZLIB + b45encode(packed)
    return PREFIX_RAW + b45encode(cose)


def encode_with_pycose(*, signer: Signer, payload: bytes) -> bytes:
    """The COSE_Sign1 bytes pycose produces for a payload (the reference :func:`encode` is tested against)."""
    message = Sign1Message(phdr_encoded=signer.protected, payload=payload)
    message.signature = raw_sign(signer.private_key, signer.alg, message._create_sig_structure())
    return message.encode(tag=True, sign=False)


def token_fields(token: str) -> dict[int, Any]:
    """The claims of a token without any check (for tooling and tests only; never trust them)."""
    fields: dict[int, Any] = cbor2.loads(_decode_message(token).payload)
    return fields


def _non_canonical(detail: str) -> VerificationFailed:
    return VerificationFailed("non_canonical", detail)


_TRUNCATED = "truncated COSE_Sign1"
_WRONG_TYPES = "COSE_Sign1 members have the wrong types"


def _read_bstr(data: bytes, pos: int) -> tuple[bytes, int]:
    """The byte string at ``pos`` and the position after it; only a minimal definite-length head is accepted.

    Every token this city issues has members of 0-23 bytes (one-byte head) or 24-255 bytes (two-byte head);
    a 256-65535-byte member (three-byte head) is read too, a longer one is more than a token may inflate to."""
    size = len(data)
    if pos >= size:
        raise VerificationFailed("bad_encoding", _TRUNCATED)
    head = data[pos]
    if head >> 5 != 2:  # CBOR major type 2: byte string
        raise VerificationFailed("bad_encoding", _WRONG_TYPES)
    info = head & 31
    if info < 24:  # the length is in the head itself
        start = pos + 1
        length = info
    elif info == 24:  # one length byte, for 24 to 255
        start = pos + 2
        if start > size:
            raise VerificationFailed("bad_encoding", _TRUNCATED)
        length = data[pos + 1]
        if length < 24:
            raise _non_canonical("non_minimal_length")
    elif info == 25:  # two length bytes, for 256 to 65535
        start = pos + 3
        if start > size:
            raise VerificationFailed("bad_encoding", _TRUNCATED)
        length = data[pos + 1] << 8 | data[pos + 2]
        if length < 256:
            raise _non_canonical("non_minimal_length")
    elif info == 31:
        raise _non_canonical("indefinite_length")
    else:  # a 4- or 8-byte length (longer than any token may inflate to), or a reserved head
        raise VerificationFailed("bad_encoding", "COSE_Sign1 member too long")
    end = start + length
    if end > size:
        raise VerificationFailed("bad_encoding", _TRUNCATED)
    return data[start:end], end


def _parse_envelope(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(protected, payload, signature) of exactly the bytes :func:`envelope` writes; anything else is refused.

    Written out rather than parsed with cbor2: a general decoder accepts every spelling (indefinite lengths,
    long heads, trailing bytes) and the strict checks would then cost a second encoding per token. One path
    for every token (no separate fast path): each check is exercised by the city's own tokens."""
    if data[:2] != b"\xd2\x84":  # tag 18 (COSE_Sign1), array of 4
        if data[:2] == b"\xd8\x12" or data[:3] == b"\xd2\x98\x04":  # tag 18 or the array's 4 in two bytes
            raise _non_canonical("non_minimal_length")
        if data[:2] == b"\xd2\x9f":
            raise _non_canonical("indefinite_length")
        raise VerificationFailed("bad_encoding", "not a tagged COSE_Sign1")
    protected, pos = _read_bstr(data, 2)
    if pos == len(data):
        raise VerificationFailed("bad_encoding", _TRUNCATED)
    if data[pos] != 0xA0:  # the unprotected header: an empty map, nothing else
        if data[pos] >> 5 == 5:
            raise _non_canonical("unprotected_header")
        raise VerificationFailed("bad_encoding", _WRONG_TYPES)
    payload, pos = _read_bstr(data, pos + 1)
    signature, pos = _read_bstr(data, pos)
    if pos != len(data):
        raise _non_canonical("trailing_bytes")
    return protected, payload, signature


def _decode_message(token: str) -> _Message:
    if not isinstance(token, str):
        raise VerificationFailed("bad_prefix", "not text")
    prefix = token[:PREFIX_LEN]
    if prefix != PREFIX_RAW and prefix != PREFIX_ZLIB:
        if token.strip()[:PREFIX_LEN] in (PREFIX_RAW, PREFIX_ZLIB):
            raise _non_canonical("whitespace")
        raise VerificationFailed("bad_prefix", repr(prefix))
    if token[-1:].isspace():
        raise _non_canonical("whitespace")
    try:
        data = b45decode(token[PREFIX_LEN:])
    except ValueError as exc:
        raise VerificationFailed("bad_encoding", f"base45: {exc}") from None
    if prefix == PREFIX_ZLIB:
        try:
            inflater = zlib.decompressobj()
            inflated = inflater.decompress(data, MAX_INFLATED)
            if inflater.unconsumed_tail or not inflater.eof:
                raise zlib.error("truncated or too large")
        except zlib.error as exc:
            raise VerificationFailed("bad_encoding", f"zlib: {exc}") from None
        if inflater.unused_data:
            raise _non_canonical("trailing_zlib")
        if len(inflated) <= ZLIB_MIN_COSE or len(data) >= len(inflated):
            raise _non_canonical("needless_compression")
        data = inflated
    elif len(data) > ZLIB_MIN_COSE and len(zlib.compress(data, 9)) < len(data):
        raise _non_canonical("missing_compression")
    protected, payload, signature = _parse_envelope(data)
    try:
        alg, kid, sig_prefix = _protected_header(protected)
    except Exception as exc:  # pycose raises a zoo of types (TypeError, KeyError, CoseException, ...)
        raise VerificationFailed("bad_encoding", f"protected header: {type(exc).__name__}") from None
    return _Message(protected, payload, signature, alg, kid, sig_prefix)


class _Message(NamedTuple):  # a tuple: built once per scan, cheaper than a dataclass
    protected: bytes
    payload: bytes
    signature: bytes
    alg: str | None
    kid: bytes | None
    sig_prefix: bytes  # the Sig_structure up to the payload, which depends on the protected header only

    def to_be_signed(self) -> bytes:
        return self.sig_prefix + _bstr(self.payload)


@lru_cache(maxsize=256)
def _protected_header(protected: bytes) -> tuple[str | None, bytes | None, bytes]:
    """(algorithm, kid, Sig_structure prefix) of a protected header, parsed by pycose. A city has a handful of
    keys, so the few distinct headers are parsed once each rather than once per token."""
    header = Sign1Message(phdr_encoded=protected).phdr
    kid = header.get(KID)
    identifier = getattr(header.get(Algorithm), "identifier", None)
    alg = _ALG_BY_ID.get(identifier) if isinstance(identifier, int) else None  # ids are ints; anything else is unknown
    return alg, kid if isinstance(kid, bytes) else None, _SIG1_CONTEXT + _bstr(protected) + b"\x40"


# -- trust list and status lists: plain data a reader device can build from JSON ---------------------------


@dataclass
class TrustedKey:
    """A public key trusted to sign tokens for one issuer, valid from ``not_before`` to ``not_after``."""

    issuer: str
    kid: str
    alg: str
    jwk: dict[str, Any]
    not_before: int = 0
    not_after: int = 2**62
    public_key: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.alg not in ALGORITHMS:
            raise ValueError(f"unsupported algorithm {self.alg!r}")
        if self.public_key is None:
            self.public_key = public_key_from_jwk(self.jwk)

    @property
    def valid_from(self) -> int | float:
        """``not_before``, or +inf when it is missing or malformed: such an entry covers no token."""
        return self.not_before if type(self.not_before) is int else float("inf")

    @property
    def valid_until(self) -> int | float:
        """``not_after``, or -inf when it is missing or malformed: such an entry covers no token."""
        return self.not_after if type(self.not_after) is int else float("-inf")

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> TrustedKey:
        return cls(issuer=entry["iss"], kid=entry["kid"], alg=entry["alg"], jwk=dict(entry["jwk"]),
                   not_before=int(entry.get("nbf", 0)), not_after=int(entry.get("exp", 2**62)))

    def to_json(self) -> dict[str, Any]:
        return {"iss": self.issuer, "kid": self.kid, "alg": self.alg, "nbf": self.not_before,
                "exp": self.not_after, "jwk": self.jwk}


@dataclass
class TrustList:
    """Every key a verifier trusts, indexed by the COSE ``kid`` bytes; public keys are parsed once."""

    keys: list[TrustedKey] = field(default_factory=list)
    _by_kid: dict[bytes, list[TrustedKey]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for key in self.keys:
            self._by_kid.setdefault(key.kid.encode("utf-8"), []).append(key)

    @classmethod
    def from_json(cls, document: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> TrustList:
        """From a trust-list payload ``{"keys": [...]}`` or a plain list of key entries."""
        entries = document.get("keys", []) if isinstance(document, Mapping) else document
        return cls(keys=[TrustedKey.from_json(entry) for entry in entries])

    def candidates(self, kid: bytes) -> list[TrustedKey]:
        return self._by_kid.get(kid, [])

    def issuers(self) -> set[str]:
        return {key.issuer for key in self.keys}


@dataclass
class StatusList:
    """One revocation bitstring: bit ``i`` (byte ``i // 8``, bit ``i % 8``, least significant first) set
    means the subject holding index ``i`` in list ``list_id`` of ``issuer`` is revoked."""

    issuer: str
    list_id: str
    bits: bytes
    version: int = 0

    def is_set(self, index: int) -> bool:
        byte = index >> 3
        return byte < len(self.bits) and bool(self.bits[byte] >> (index & 7) & 1)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> StatusList:
        """From a status-list payload: ``{"iss", "id", "lst": base64url(zlib(bits)), "version"}``."""
        return cls(issuer=document["iss"], list_id=document["id"],
                   bits=zlib.decompress(b64u_decode(document["lst"])), version=int(document.get("version", 0)))


@dataclass
class StatusLists:
    """The status lists a verifier holds, per (issuer, list id); the list id is the code type key."""

    lists: dict[tuple[str, str], StatusList] = field(default_factory=dict)

    @classmethod
    def from_json(cls, documents: Iterable[Mapping[str, Any]]) -> StatusLists:
        return cls.of(StatusList.from_json(document) for document in documents)

    @classmethod
    def of(cls, lists: Iterable[StatusList]) -> StatusLists:
        return cls(lists={(item.issuer, item.list_id): item for item in lists})

    def get(self, issuer: str, list_id: str) -> StatusList | None:
        return self.lists.get((issuer, list_id))


# -- verification ----------------------------------------------------------------------------------------


class VerifiedToken(NamedTuple):  # a tuple: built once per scan, cheaper than any dataclass
    issuer: str
    kid: str
    code_type: str
    sub: str
    cti: bytes
    iat: int  # seconds since the epoch; issued_at/expires_at are the datetimes, made only when asked for
    exp: int
    status_index: int | None  # only in tokens of a code type with a status list
    claims: dict[str, Any]

    @property
    def issued_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.iat, dt.UTC)

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.exp, dt.UTC)


def _epoch(moment: dt.datetime | float | int | None) -> float:
    if moment is None:
        return time.time()
    if isinstance(moment, dt.datetime):
        return moment.timestamp()
    return float(moment)


# 9999-12-31: the last second a datetime holds; a later exp or iat is refused, never an OverflowError.
_MAX_EPOCH = 253_402_300_799


def verify(token: str, *, trust_list: TrustList, status_lists: StatusLists | None, now: dt.datetime | float | None,
           expected_type: str | None = None, require_status: bool = False, clock_skew: int = 60) -> VerifiedToken:
    """Verify a token offline and return its claims, or raise :class:`VerificationFailed`.

    Checks, in order: prefix, Base45/zlib/CBOR/COSE structure (``bad_encoding``); a trusted key of the
    token's issuer with the token's kid and algorithm whose validity covers the token (``unknown_kid``);
    the signature against each such key (``bad_signature``); ``iat`` no later than ``now + clock_skew``
    (``not_yet_valid``); ``now < exp`` (``expired``); the code type (``wrong_type``); the status bit
    (``revoked``). Without a status list for the token's issuer and type the token counts as not revoked,
    unless ``require_status`` (then ``revoked``, fail closed).
    """
    message = _decode_message(token)
    kid, alg = message.kid, message.alg
    try:
        claims_map = cbor2.loads(message.payload)
        iss = claims_map[CLAIM_ISS]
        sub = claims_map[CLAIM_SUB]
        exp = claims_map[CLAIM_EXP]
        iat = claims_map[CLAIM_IAT]
        cti = claims_map[CLAIM_CTI]
        code_type = claims_map[CLAIM_TYPE]
        status_index = claims_map.get(CLAIM_STATUS)
        extra = claims_map.get(CLAIM_CLAIMS, {})
    except Exception as exc:  # a payload that is not CBOR, not a map, or misses a claim
        raise VerificationFailed("bad_encoding", f"claims: {type(exc).__name__}") from None
    if not (type(iss) is str and type(sub) is str and type(code_type) is str and type(extra) is dict
            and type(exp) is int and type(iat) is int and type(cti) is bytes and len(cti) == CTI_BYTES
            and (status_index is None or (type(status_index) is int and status_index >= 0))
            and type(kid) is bytes):
        raise VerificationFailed("bad_encoding", "claims have the wrong types")
    if alg is None:
        raise VerificationFailed("bad_encoding", "unsupported algorithm")

    if not (0 <= iat < _MAX_EPOCH and 0 < exp < _MAX_EPOCH):  # beyond what a datetime can hold
        raise VerificationFailed("bad_encoding", "time out of range")
    candidates = [key for key in trust_list.candidates(kid) if key.issuer == iss and key.alg == alg
                  and (key.valid_from <= iat and exp <= key.valid_until)]
    if not candidates:
        raise VerificationFailed("unknown_kid", kid.decode("utf-8", "replace"))
    signature = message.signature
    to_be_signed = message.sig_prefix + _bstr(message.payload)
    checked: tuple[bytes, ec.ECDSA] | tuple[bytes]
    if alg == ES256:  # raw_verify written out: the S half is read once for the low-S rule and the DER form
        if len(signature) != 64:
            raise VerificationFailed("bad_signature")
        s = int.from_bytes(signature[32:], "big")
        if s > _P256_HALF_N:
            raise _non_canonical("high_s")
        signed, checked = encode_dss_signature(int.from_bytes(signature[:32], "big"), s), (to_be_signed, _ECDSA_SHA256)
    else:
        signed, checked = signature, (to_be_signed,)
    for key in candidates:
        try:
            key.public_key.verify(signed, *checked)
            break
        except InvalidSignature:
            continue
        except (TypeError, ValueError, AttributeError):  # a malformed trusted entry verifies nothing
            continue
    else:
        raise VerificationFailed("bad_signature")

    clock = now if type(now) is float else _epoch(now)
    if iat > clock + clock_skew:
        raise VerificationFailed("not_yet_valid")
    if clock >= exp:
        raise VerificationFailed("expired")
    if expected_type is not None and code_type != expected_type:
        raise VerificationFailed("wrong_type", f"{code_type} is not {expected_type}")
    if status_index is not None:
        # Short-lived rotating codes carry no index: they are revoked by no longer being issued.
        status = status_lists.get(iss, code_type) if status_lists is not None else None
        if status is None:
            if require_status:
                raise VerificationFailed("revoked", "no status list")
        elif status.is_set(status_index):
            raise VerificationFailed("revoked")
    # positional: a scan builds one per token, and keyword arguments cost more
    return VerifiedToken(iss, key.kid, code_type, sub, cti, iat, exp, status_index, extra)
