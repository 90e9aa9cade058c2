"""Selectively disclosable licence credentials in the shape of ISO/IEC 18013-5 (mobile driving licence) —
pure functions: no database, no network, no Django settings.

Why this format and not SD-JWT: citycode's codes are already CBOR and COSE_Sign1 signed by the keys that
``/.well-known/jwks.json`` publishes (kid = the COSE ``kid``), so an mdoc-style mobile security object (MSO)
reuses the same keys, trust list and verifier code path, and stays binary (a smaller QR than base64url JOSE).
The maintained Python mdoc library, ``pymdoccbor``, pins cbor2 < 5.5, cwt < 2.4 and a git fork of pycose
(citycode pins cbor2 5.9, cwt 3.3, pycose 1.1), wants X.509 document-signer certificates in ``x5chain`` where
the city publishes JWKs, and has no device-authentication (holder binding) builder; ``sd-jwt`` had its last
release in February 2024 and is JOSE. So the ISO structures are written here with cbor2 and ``cryptography``,
and the tests verify every signature independently with pycose.

Structures (ISO 18013-5 section 8.3.2.1.2 and 9.1.2.4)::

    IssuerSignedItem      {"digestID": uint, "random": bstr(16), "elementIdentifier": tstr, "elementValue": any}
    IssuerSignedItemBytes #6.24(bstr .cbor IssuerSignedItem)
    MSO                   {"version": "1.0", "digestAlgorithm": "SHA-256", "docType": tstr,
                           "valueDigests": {namespace: {digestID: SHA-256(IssuerSignedItemBytes)}},
                           "deviceKeyInfo": {"deviceKey": COSE_Key}, "validityInfo": {signed, validFrom,
                           validUntil}, "status": {"status_list": {"idx": uint, "uri": tstr}}}
    issuerAuth            COSE_Sign1, protected {1: alg, 4: kid}, payload #6.24(bstr .cbor MSO)
    DeviceAuthentication  ["DeviceAuthentication", SessionTranscript, docType, #6.24(bstr .cbor {})]
    SessionTranscript     [null, null, ["citycode/licence", purpose, verifier, nonce]]
    deviceSignature       COSE_Sign1, protected {1: -7}, detached payload #6.24(bstr .cbor DeviceAuthentication)

A presentation (the ISO DeviceResponse's one document) is CBOR
``{"docType", "issuerSigned": {"nameSpaces": {ns: [items revealed]}, "issuerAuth"}, "deviceSignature"}``,
zlib-compressed when that is shorter, Base45, prefix ``LC1:`` (raw) or ``LZ1:`` (zlib): a QR in alphanumeric mode.

Privacy: every copy of a credential has fresh salts, fresh random digest ids, a fresh device key and a fresh
status-list index, so two presentations of one licence share only the issuer's kid, the docType, the number of
digests (the same for every licence of the type) and what the revealed fields say. Unrevealed fields stay
behind 16 random bytes of salt each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from apps.codes.plugin_api import (
    IssuerSigner,
    StatusLists,
    TrustList,
    b45decode,
    b45encode,
    cose_sig_structure,
    cose_sign1_envelope,
    raw_sign,
    raw_verify,
)

NAMESPACE = "cn.citycode.licence.1"
DOC_TYPE_PREFIX = "cn.citycode.licence."
PREFIX_RAW = "LC1:"
PREFIX_ZLIB = "LZ1:"
HANDOVER = "citycode/licence"
SALT_BYTES = 16
NONCE_BYTES = 16
MAX_INFLATED = 16384
ES256_ID = -7
_DEVICE_PROTECTED = cbor2.dumps({1: ES256_ID})

REASONS = (
    "bad_prefix",       # not a licence presentation
    "bad_encoding",     # Base45, zlib or CBOR broken, or a structure that is not a presentation
    "unknown_kid",      # the issuer key is not in the verifier's trust list
    "bad_signature",    # the issuer's signature over the MSO does not verify (an altered or removed digest)
    "wrong_type",       # another licence type than the one requested
    "expired",
    "not_yet_valid",
    "revoked",          # the status list says revoked or suspended
    "status_unknown",   # the verifier holds no status list for it: fail closed
    "not_bound",        # the device signature does not cover this request (another nonce, purpose or verifier)
    "digest_mismatch",  # a revealed element whose digest is not in the signed MSO (an altered value)
)


class PresentationRefused(Exception):
    """A presentation was refused; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def doc_type_for(type_code: str) -> str:
    return DOC_TYPE_PREFIX + type_code


def _tag24(value: Any) -> cbor2.CBORTag:
    return cbor2.CBORTag(24, cbor2.dumps(value))


def _bstr_head(size: int) -> bytes:
    """The minimal definite-length head of a CBOR byte string."""
    if size < 24:
        return bytes((0x40 | size,))
    if size < 256:
        return bytes((0x58, size))
    if size < 65536:
        return b"\x59" + size.to_bytes(2, "big")
    return b"\x5a" + size.to_bytes(4, "big")


_TAG24 = b"\xd8\x18"


def _digest(item_bytes: cbor2.CBORTag) -> bytes:
    # SHA-256 of the encoded #6.24(bstr), written by hand: cbor2.dumps' set-up cost more than the hash.
    return hashlib.sha256(_TAG24 + _bstr_head(len(item_bytes.value)) + item_bytes.value).digest()


def _tdate(moment: dt.datetime) -> str:
    # Whole seconds, UTC: a sub-second timestamp would be one more value that differs per copy for no reason.
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


_TDATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _parse_tdate(text: Any) -> dt.datetime:
    if isinstance(text, cbor2.CBORTag) and text.tag == 0:
        text = text.value
    if isinstance(text, dt.datetime):
        return text
    if not isinstance(text, str) or len(text) != 20 or text[-1] != "Z":
        raise PresentationRefused("bad_encoding", "validity is not a date-time")
    # fromisoformat is C; strptime cost three times a digest per date
    return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC)


def _cose_key(public: ec.EllipticCurvePublicKey) -> dict[int, Any]:
    numbers = public.public_numbers()
    return {1: 2, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}


def _public_from_cose_key(key: Any) -> ec.EllipticCurvePublicKey:
    if not isinstance(key, dict) or key.get(1) != 2 or key.get(-1) != 1:
        raise PresentationRefused("bad_encoding", "device key is not a P-256 COSE_Key")
    x, y = key.get(-2), key.get(-3)
    if not (isinstance(x, bytes) and isinstance(y, bytes) and len(x) == len(y) == 32):
        raise PresentationRefused("bad_encoding", "device key coordinates")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError:
        raise PresentationRefused("bad_encoding", "device key is not on the curve") from None


def session_transcript(*, purpose: str, verifier: str, nonce: str) -> list[Any]:
    """What the holder signs and the verifier rebuilds from its own request (ISO's SessionTranscript, with a
    citycode handover in place of the NFC/BLE engagement): replaying the presentation elsewhere changes it."""
    return [None, None, [HANDOVER, purpose, verifier, nonce]]


def _tstr(text: str) -> bytes:
    data = text.encode("utf-8")
    size = len(data)
    if size < 24:
        return bytes((0x60 | size,)) + data
    if size < 256:
        return bytes((0x78, size)) + data
    return b"\x79" + size.to_bytes(2, "big") + data  # callers keep every string below 64 KiB


# ["DeviceAuthentication", [null, null, [HANDOVER, purpose, verifier, nonce]], docType, #6.24(h'a0')], written by
# hand (tests compare it with cbor2.dumps): cbor2's encoder set-up cost a third of a signature check per call.
_DA_HEAD = b"\x84" + _tstr("DeviceAuthentication") + b"\x83\xf6\xf6\x84" + _tstr(HANDOVER)
_EMPTY_NAMESPACES = _TAG24 + b"\x41\xa0"  # #6.24(bstr .cbor {}): no device-signed elements


def _device_auth_bytes(*, doc_type: str, purpose: str, verifier: str, nonce: str) -> bytes:
    inner = _DA_HEAD + _tstr(purpose) + _tstr(verifier) + _tstr(nonce) + _tstr(doc_type) + _EMPTY_NAMESPACES
    return _TAG24 + _bstr_head(len(inner)) + inner


# -- issuing (the city) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """One issued copy: the signed MSO (issuerAuth, COSE_Sign1 bytes) and every element's IssuerSignedItemBytes,
    kept by the holder; the issuer keeps none of it."""

    doc_type: str
    issuer_auth: bytes
    items: dict[str, cbor2.CBORTag]  # element identifier -> IssuerSignedItemBytes
    status_index: int


def credential_sign(*, signer: IssuerSigner, doc_type: str, elements: Mapping[str, Any],
                    device_key: ec.EllipticCurvePublicKey, valid_from: dt.datetime, valid_until: dt.datetime,
                    signed: dt.datetime, status_index: int, status_uri: str) -> Credential:
    """Sign a fresh copy: fresh salts, digest ids drawn at random (no order to read them by)."""
    # Fresh random ids per copy (below 2**16: three bytes each in CBOR instead of five)
    ids = secrets.SystemRandom().sample(range(1 << 16), len(elements))
    items: dict[str, cbor2.CBORTag] = {}
    digests: dict[int, bytes] = {}
    for digest_id, (name, value) in zip(ids, elements.items(), strict=True):
        item = _tag24({"digestID": digest_id, "random": os.urandom(SALT_BYTES), "elementIdentifier": name,
                       "elementValue": value})
        items[name] = item
        digests[digest_id] = _digest(item)
    mso = {
        "version": "1.0",
        "digestAlgorithm": "SHA-256",
        "docType": doc_type,
        "valueDigests": {NAMESPACE: digests},
        "deviceKeyInfo": {"deviceKey": _cose_key(device_key)},
        "validityInfo": {"signed": _tdate(signed), "validFrom": _tdate(valid_from), "validUntil": _tdate(valid_until)},
        "status": {"status_list": {"idx": status_index, "uri": status_uri}},
    }
    payload = cbor2.dumps(_tag24(mso))
    signature = raw_sign(signer.private_key, signer.alg, cose_sig_structure(signer.protected, payload))
    return Credential(doc_type=doc_type, issuer_auth=cose_sign1_envelope(signer.protected, payload, signature),
                      items=items, status_index=status_index)


def device_key_new() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


# -- presenting (the holder's wallet) -------------------------------------------------------------------------


def presentation_build(*, credential: Credential, device_key: ec.EllipticCurvePrivateKey,
                       elements: Sequence[str], purpose: str, verifier: str, nonce: str) -> str:
    """The presentation of exactly ``elements`` (each must be in the credential), bound to the request."""
    unknown = [name for name in elements if name not in credential.items]
    if unknown:
        raise KeyError(f"not in the credential: {unknown}")
    to_sign = cose_sig_structure(_DEVICE_PROTECTED, _device_auth_bytes(
        doc_type=credential.doc_type, purpose=purpose, verifier=verifier, nonce=nonce))
    device_signature: list[Any] = [_DEVICE_PROTECTED, {}, None, raw_sign(device_key, "ES256", to_sign)]
    document = {
        "docType": credential.doc_type,
        "issuerSigned": {"nameSpaces": {NAMESPACE: [credential.items[name] for name in dict.fromkeys(elements)]},
                         "issuerAuth": cbor2.CBORTag(24, credential.issuer_auth)},
        "deviceSignature": device_signature,
    }
    return encode(cbor2.dumps(document))


def encode(data: bytes) -> str:
    packed = zlib.compress(data, 9)
    if len(packed) < len(data):
        return PREFIX_ZLIB + b45encode(packed)
    return PREFIX_RAW + b45encode(data)


def decode(text: str) -> bytes:
    if not isinstance(text, str) or text[:4] not in (PREFIX_RAW, PREFIX_ZLIB):
        raise PresentationRefused("bad_prefix")
    try:
        data = b45decode(text[4:])
    except (ValueError, TypeError):
        raise PresentationRefused("bad_encoding", "base45") from None
    if text[:4] == PREFIX_ZLIB:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(data, MAX_INFLATED)
        except zlib.error:
            raise PresentationRefused("bad_encoding", "zlib") from None
        if inflater.unconsumed_tail:
            raise PresentationRefused("bad_encoding", "too large")
    return bytes(data)


# -- verifying (the verifier, offline) ------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedPresentation:
    doc_type: str
    issuer: str
    kid: str
    elements: dict[str, Any]  # exactly the revealed elements
    valid_from_text: str
    valid_until_text: str
    signed_at: dt.datetime
    status_index: int

    @property
    def valid_from(self) -> dt.datetime:
        return _parse_tdate(self.valid_from_text)

    @property
    def valid_until(self) -> dt.datetime:
        return _parse_tdate(self.valid_until_text)


def _cbor_loads(data: bytes) -> Any:
    try:
        return cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError):
        raise PresentationRefused("bad_encoding", "cbor") from None


def _bytes_of_tag24(value: Any) -> bytes:
    if not (isinstance(value, cbor2.CBORTag) and value.tag == 24 and isinstance(value.value, bytes)):
        raise PresentationRefused("bad_encoding", "expected #6.24(bstr)")
    return value.value


@lru_cache(maxsize=64)
def _kid_of(protected: bytes) -> bytes | None:
    # The protected header is the same for every presentation signed by one key: parsed once per key.
    header = _cbor_loads(protected)
    kid = header.get(4) if isinstance(header, dict) else None
    return kid if isinstance(kid, bytes) else None


def _tag24_content(data: bytes) -> bytes:
    """The bytes inside an encoded #6.24(bstr), read from the head (a CBOR decode per call cost more)."""
    if data[:2] != _TAG24 or len(data) < 3:
        raise PresentationRefused("bad_encoding", "expected #6.24(bstr)")
    first = data[2]
    if 0x40 <= first < 0x58:
        size, start = first - 0x40, 3
    elif first in (0x58, 0x59, 0x5A):
        width = {0x58: 1, 0x59: 2, 0x5A: 4}[first]
        size, start = int.from_bytes(data[3:3 + width], "big"), 3 + width
    else:
        raise PresentationRefused("bad_encoding", "expected #6.24(bstr)")
    if len(data) != start + size:
        raise PresentationRefused("bad_encoding", "trailing bytes")
    return data[start:]


def presentation_verify(text: str, *, trust_list: TrustList, status_lists: StatusLists | None,
                        nonce: str, purpose: str, verifier: str, now: dt.datetime,
                        expected_doc_type: str | None = None, list_id: str = "licence") -> VerifiedPresentation:
    """Verify a presentation with nothing but the trust list, the status lists, the verifier's own request and a
    clock. Raises :class:`PresentationRefused`."""
    document = _cbor_loads(decode(text))
    try:
        doc_type = document["docType"]
        issuer_signed = document["issuerSigned"]
        item_list = issuer_signed["nameSpaces"][NAMESPACE]
        cose = _cbor_loads(_bytes_of_tag24(issuer_signed["issuerAuth"]))
        device_signature: Any = document["deviceSignature"]
    except (KeyError, TypeError):
        raise PresentationRefused("bad_encoding", "not a presentation") from None
    if not (isinstance(doc_type, str) and isinstance(item_list, list) and isinstance(device_signature, list)):
        raise PresentationRefused("bad_encoding", "not a presentation")
    if expected_doc_type is not None and doc_type != expected_doc_type:
        raise PresentationRefused("wrong_type")

    # 1. the issuer's signature over the MSO
    if not (isinstance(cose, cbor2.CBORTag) and cose.tag == 18 and isinstance(cose.value, list)
            and len(cose.value) == 4):
        raise PresentationRefused("bad_encoding", "issuerAuth is not a COSE_Sign1")
    protected, _unprotected, payload, signature = cose.value
    if not (isinstance(protected, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise PresentationRefused("bad_encoding", "issuerAuth members")
    kid = _kid_of(protected)
    if not isinstance(kid, bytes):
        raise PresentationRefused("bad_encoding", "no kid")
    candidates = trust_list.candidates(kid)
    if not candidates:
        raise PresentationRefused("unknown_kid")
    to_be_signed = cose_sig_structure(protected, payload)
    key = next((k for k in candidates if raw_verify(k.public_key, k.alg, signature, to_be_signed)), None)
    if key is None:
        raise PresentationRefused("bad_signature")
    mso = _cbor_loads(_tag24_content(payload))
    try:
        digests = mso["valueDigests"][NAMESPACE]
        device_key = _public_from_cose_key(mso["deviceKeyInfo"]["deviceKey"])
        validity = mso["validityInfo"]
        signed, valid_from, valid_until = validity["signed"], validity["validFrom"], validity["validUntil"]
        status_index = mso["status"]["status_list"]["idx"]
    except (KeyError, TypeError, ValueError):
        raise PresentationRefused("bad_encoding", "MSO") from None
    if mso.get("docType") != doc_type:
        raise PresentationRefused("wrong_type", "docType differs from the signed one")
    if not all(isinstance(value, str) and _TDATE.match(value) for value in (signed, valid_from, valid_until)):
        raise PresentationRefused("bad_encoding", "validity is not a date-time")
    signed_at = _parse_tdate(signed)
    if not key.valid_from <= signed_at.timestamp() <= key.valid_until:
        raise PresentationRefused("unknown_kid", "signed outside the key's validity")

    # 2. validity and status, offline. Full-date-time strings in UTC ("…Z", whole seconds) order like the
    # moments they name: compared as text, parsed only when asked for.
    now_text = _tdate(now)
    if now_text < valid_from:
        raise PresentationRefused("not_yet_valid")
    if now_text > valid_until:
        raise PresentationRefused("expired")
    status_list = status_lists.get(key.issuer, list_id) if status_lists is not None else None
    if status_list is None or not isinstance(status_index, int):
        raise PresentationRefused("status_unknown")
    if status_list.is_set(status_index):
        raise PresentationRefused("revoked")

    # 3. holder binding: the device key signed this very request
    if len(device_signature) != 4 or device_signature[0] != _DEVICE_PROTECTED or device_signature[2] is not None \
            or not isinstance(device_signature[3], bytes):
        raise PresentationRefused("bad_encoding", "deviceSignature")
    expected = cose_sig_structure(_DEVICE_PROTECTED, _device_auth_bytes(
        doc_type=doc_type, purpose=purpose, verifier=verifier, nonce=nonce))
    if not raw_verify(device_key, "ES256", device_signature[3], expected):
        raise PresentationRefused("not_bound")

    # 4. every revealed element's digest is one the issuer signed
    elements: dict[str, Any] = {}
    for item_bytes in item_list:
        item = _cbor_loads(_bytes_of_tag24(item_bytes))
        try:
            digest_id, name, value = item["digestID"], item["elementIdentifier"], item["elementValue"]
        except (KeyError, TypeError):
            raise PresentationRefused("bad_encoding", "IssuerSignedItem") from None
        if not isinstance(name, str) or name in elements or not isinstance(item.get("random"), bytes) \
                or len(item["random"]) < SALT_BYTES:
            raise PresentationRefused("bad_encoding", "IssuerSignedItem")
        signed_digest = digests.get(digest_id) if isinstance(digests, dict) else None
        if signed_digest is None or not secrets.compare_digest(signed_digest, _digest(item_bytes)):
            raise PresentationRefused("digest_mismatch", name)
        elements[name] = value
    return VerifiedPresentation(doc_type=doc_type, issuer=key.issuer, kid=key.kid, elements=elements,
                                valid_from_text=valid_from, valid_until_text=valid_until, signed_at=signed_at,
                                status_index=status_index)
