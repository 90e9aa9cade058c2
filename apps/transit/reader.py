"""Reader logic: what a bus validator or a metro gate does with a scanned ride code, offline.

A pure module: a function of (code text, reader package, seen-list, clock). No database, no network, no Django
settings; ``reader_sim``, the benchmark and the tests use it as it stands, and ``static/transit/reader.js``
applies the same rules in the browser (tests/transit/test_reader_page.py checks they agree on every refusal).

Checks, in order (the first failure is the reason):

1. ``bad_prefix``, ``bad_encoding``: ``TR1:`` + Base45 of a COSE_Sign1 whose payload is ``[certificate,
   generated at, counter]``, the certificate a COSE_Sign1 of the claims ride_code.py describes.
2. ``unknown_kid``: a key of the package's issuers with the certificate's kid and algorithm, valid when the
   certificate was issued; ``bad_certificate_signature``: the issuer's signature over the certificate.
3. ``wrong_type`` (not a ride certificate), ``certificate_expired``, ``not_yet_valid``.
4. ``wrong_operator``: the certificate is for another operator than the reader's.
5. ``bad_code_signature``: the device's signature over the code (or the issuer's, for a server-signed rider).
6. ``code_expired``: older than the certificate's code lifetime (capped by the reader's own window);
   ``not_yet_valid``: from the future beyond the clock skew.
7. ``deny_listed``: the pseudonym is on the operator's deny list.
8. ``over_fare_limit``: this reader's fare is above the certificate's single-fare limit.
9. ``replayed``: the same (pseudonym, generated at, counter) was accepted before by this seen-list group.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from apps.codes.plugin_api import ALGORITHMS, b45decode, b64u, b64u_decode, public_key_from_jwk, raw_verify

from . import ride_code
from .ride_code import (
    CLAIM_CNF,
    CLAIM_CONCESSION,
    CLAIM_EXP,
    CLAIM_HEALTH,
    CLAIM_IAT,
    CLAIM_ISS,
    CLAIM_LIFETIME,
    CLAIM_LIMIT,
    CLAIM_OPERATOR,
    CLAIM_PSEUDONYM,
    CLAIM_TYPE,
    CONCESSIONS,
)

# The refusals, each with the sentence a reader shows (the browser reader has the same keys).
REFUSALS = {
    "bad_prefix": "Not a ride code.",
    "bad_encoding": "The ride code is damaged or malformed.",
    "unknown_kid": "The ride code's issuer key is unknown to this reader.",
    "bad_certificate_signature": "The rider certificate's signature is wrong (tampered).",
    "wrong_type": "This is not a ride certificate.",
    "certificate_expired": "The rider certificate has expired.",
    "not_yet_valid": "The ride code is not valid yet (check the clocks).",
    "wrong_operator": "The ride code is for another operator.",
    "bad_code_signature": "The ride code's signature is wrong (tampered).",
    "code_expired": "The ride code is too old; refresh it.",
    "deny_listed": "The ride account is blocked (unpaid fares).",
    "over_fare_limit": "The fare is above this rider's limit.",
    "replayed": "This ride code was already used.",
}
CLOCK_SKEW = 5  # seconds a phone's clock may run ahead of the reader's
MAX_CODE_LIFETIME = 60  # a reader never accepts a code older than this, whatever the certificate says
_P256 = ec.SECP256R1()


class Refused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        assert reason in REFUSALS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class IssuerKey:
    issuer: str
    kid: bytes
    alg: str
    public_key: Any
    not_before: int
    not_after: int


@dataclass
class ReaderPackage:
    """What a reader downloads (``GET /api/v1/transit/reader-package``) and keeps for a day offline."""

    operator: str
    issuer_keys: dict[bytes, list[IssuerKey]]
    deny_version: int = 0
    denied: set[bytes] = field(default_factory=set)
    fare_fen: int = 0  # the most this reader charges for one tap (checked against the certificate's limit)
    fares: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> ReaderPackage:
        keys: dict[bytes, list[IssuerKey]] = {}
        for entry in document["issuer_keys"]:
            if entry["alg"] not in ALGORITHMS:
                continue
            key = IssuerKey(issuer=entry["iss"], kid=entry["kid"].encode("ascii"), alg=entry["alg"],
                            public_key=public_key_from_jwk(entry["jwk"]), not_before=int(entry["nbf"]),
                            not_after=int(entry["exp"]))
            keys.setdefault(key.kid, []).append(key)
        package = cls(operator=document["operator"], issuer_keys=keys, fare_fen=int(document.get("fare_fen", 0)),
                      fares=dict(document.get("fares") or {}))
        package.apply_deny_deltas(document["deny_list"]["deltas"], version=document["deny_list"]["version"])
        return package

    def to_state(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """The package as a reader stores it between runs: the downloaded ``document`` with the deny list
        replaced by the set it has accumulated (``denied``) and its version."""
        state = {k: v for k, v in document.items() if k != "deny_list"}
        state["deny_list"] = {"version": self.deny_version, "deltas": [],
                              "denied": sorted(b64u(p) for p in self.denied)}
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ReaderPackage:
        package = cls.from_json(state)
        package.denied = {b64u_decode(p) for p in state["deny_list"].get("denied", ())}
        return package

    def apply_deny_deltas(self, deltas: Iterable[Mapping[str, Any]], *, version: int) -> None:
        """Apply deny-list changes in version order (a package's or an update's ``deltas``)."""
        for delta in sorted(deltas, key=lambda d: d["version"]):
            if delta["version"] <= self.deny_version:
                continue
            pseudonym = b64u_decode(delta["pseudonym"])
            if delta["action"] == "add":
                self.denied.add(pseudonym)
            else:
                self.denied.discard(pseudonym)
        self.deny_version = max(self.deny_version, version)


class SeenList:
    """Codes accepted recently, shared by the gates of one station. An entry only needs to outlive the
    longest code lifetime a reader accepts: after that the code is refused as too old anyway."""

    def __init__(self) -> None:
        self._seen: dict[tuple[bytes, int, int], int] = {}
        self._next_prune = 0

    def check_and_add(self, key: tuple[bytes, int, int], *, now: int) -> bool:
        """True (and remembered) if the key was not seen; False for a replay."""
        if now >= self._next_prune:
            self._prune(now)
        if key in self._seen:
            return False
        self._seen[key] = key[1] + MAX_CODE_LIFETIME + CLOCK_SKEW
        return True

    def _prune(self, now: int) -> None:
        self._seen = {k: until for k, until in self._seen.items() if until >= now}
        self._next_prune = now + MAX_CODE_LIFETIME

    def __len__(self) -> int:
        return len(self._seen)

    def to_json(self) -> list[list[Any]]:
        return [[b64u(k[0]), k[1], k[2], until] for k, until in self._seen.items()]

    @classmethod
    def from_json(cls, rows: Iterable[list[Any]]) -> SeenList:
        seen = cls()
        seen._seen = {(b64u_decode(p), int(at), int(ctr)): int(until) for p, at, ctr, until in rows}
        return seen


class Verified(NamedTuple):  # a tuple: built once per scan, cheaper than a dataclass
    """An accepted ride code's facts a reader records."""

    pseudonym_bytes: bytes
    operator: str
    generated_at: int
    counter: int
    fare_limit_fen: int
    concession: str
    certificate_expires_at: int
    device_bound: bool
    health_colour: str | None

    @property
    def pseudonym(self) -> str:
        """The pseudonym as the deny list, the taps and the database write it (base64url)."""
        return b64u(self.pseudonym_bytes)


def _sign1(data: Any) -> tuple[bytes, bytes, bytes]:
    """(protected, payload, signature) of a decoded COSE_Sign1 (tag 18 around four members)."""
    if type(data) is not cbor2.CBORTag or data.tag != 18:
        raise Refused("bad_encoding", "not a tagged COSE_Sign1")
    members = data.value
    if type(members) is not list or len(members) != 4:
        raise Refused("bad_encoding", "COSE_Sign1 needs four members")
    protected, unprotected, payload, signature = members
    if type(protected) is not bytes or type(unprotected) is not dict or type(payload) is not bytes \
            or type(signature) is not bytes:
        raise Refused("bad_encoding", "COSE_Sign1 members have the wrong types")
    return protected, payload, signature


_headers: dict[bytes, tuple[str | None, bytes | None]] = {}


def _header(protected: bytes) -> tuple[str | None, bytes | None]:
    """(alg, kid) of a protected header; the few distinct headers (one per issuer key, one for devices) are
    parsed once each."""
    known = _headers.get(protected)
    if known is not None:
        return known
    try:
        header = cbor2.loads(protected)
    except Exception:
        raise Refused("bad_encoding", "protected header") from None
    if type(header) is not dict:
        raise Refused("bad_encoding", "protected header is not a map")
    alg_id, kid = header.get(1), header.get(4)
    parsed = (ride_code.ALGS_BY_ID.get(alg_id) if type(alg_id) is int else None,
              kid if type(kid) is bytes else None)
    if len(_headers) < 64:
        _headers[protected] = parsed
    return parsed


_to_be_signed = ride_code.sig_structure  # RFC 9052 Sig_structure of a COSE_Sign1, no external AAD
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def _verify_es256(public_key: Any, signature: bytes, data: bytes) -> bool:
    """A device's ES256 signature (r||s), checked directly: the reader's hottest line (see benchmarks/transit.py)."""
    if len(signature) != 64:
        return False
    try:
        public_key.verify(encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                               int.from_bytes(signature[32:], "big")), data, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def _issuer_key(package: ReaderPackage, protected: bytes, issuer: Any, at: int) -> IssuerKey:
    alg, kid = _header(protected)
    if alg is None or kid is None:
        raise Refused("bad_encoding", "the protected header needs alg and kid")
    for key in package.issuer_keys.get(kid, ()):
        if key.alg == alg and key.issuer == issuer and key.not_before <= at <= key.not_after:
            return key
    raise Refused("unknown_kid", kid.decode("ascii", "replace"))


def verify(text: str, *, package: ReaderPackage, now: float | None = None) -> Verified:
    """Check a ride code against the package and the clock (no replay check: see :func:`tap`)."""
    moment = int(now if now is not None else time.time())
    if type(text) is not str or not text.startswith(ride_code.PREFIX):
        raise Refused("bad_prefix")
    try:
        outer = cbor2.loads(b45decode(text[4:]))
    except Exception:
        raise Refused("bad_encoding", "not Base45 of CBOR") from None
    code_protected, code_payload, code_signature = _sign1(outer)
    try:
        certificate_bytes, generated_at, counter = cbor2.loads(code_payload)
        certificate = cbor2.loads(certificate_bytes)
    except Exception:
        raise Refused("bad_encoding", "the code's payload is not [certificate, time, counter]") from None
    if type(generated_at) is not int or type(counter) is not int or counter < 0:
        raise Refused("bad_encoding", "the code's time and counter must be integers")
    cert_protected, cert_payload, cert_signature = _sign1(certificate)
    try:
        claims = cbor2.loads(cert_payload)
        issuer, issued_at, expires_at = claims[CLAIM_ISS], claims[CLAIM_IAT], claims[CLAIM_EXP]
    except Exception:
        raise Refused("bad_encoding", "the certificate's claims") from None
    if type(issued_at) is not int or type(expires_at) is not int:
        raise Refused("bad_encoding", "the certificate's times must be integers")
    issuer_key = _issuer_key(package, cert_protected, issuer, issued_at)
    if not raw_verify(issuer_key.public_key, issuer_key.alg, cert_signature,
                      _to_be_signed(cert_protected, cert_payload)):
        raise Refused("bad_certificate_signature")
    # From here on the certificate's claims are the issuer's.
    if claims.get(CLAIM_TYPE) != ride_code.CERT_TYPE:
        raise Refused("wrong_type")
    if moment >= expires_at:
        raise Refused("certificate_expired")
    if issued_at > moment + CLOCK_SKEW:
        raise Refused("not_yet_valid", "certificate")
    operator = claims.get(CLAIM_OPERATOR)
    if operator != package.operator:
        raise Refused("wrong_operator", str(operator))
    pseudonym, limit, concession = claims.get(CLAIM_PSEUDONYM), claims.get(CLAIM_LIMIT), claims.get(CLAIM_CONCESSION)
    lifetime = claims.get(CLAIM_LIFETIME)
    if type(pseudonym) is not bytes or type(limit) is not int or type(lifetime) is not int \
            or concession not in (0, 1, 2, 3):
        raise Refused("bad_encoding", "the certificate misses a claim")
    confirmation = claims.get(CLAIM_CNF)
    if confirmation is not None:
        device_key = _device_key(confirmation)
        if _header(code_protected)[0] != "ES256":
            raise Refused("bad_code_signature", "a device signs ES256")
        valid = _verify_es256(device_key, code_signature, _to_be_signed(code_protected, code_payload))
    else:  # a rider without a device key: the server signed the code with the issuer key
        try:
            server_key = _issuer_key(package, code_protected, issuer, generated_at)
        except Refused:
            raise Refused("bad_code_signature", "no device key and no issuer signature") from None
        valid = raw_verify(server_key.public_key, server_key.alg, code_signature,
                           _to_be_signed(code_protected, code_payload))
    if not valid:
        raise Refused("bad_code_signature")
    if generated_at > moment + CLOCK_SKEW:
        raise Refused("not_yet_valid", "code")
    if moment > generated_at + min(lifetime, MAX_CODE_LIFETIME) or generated_at >= expires_at:
        raise Refused("code_expired")
    if pseudonym in package.denied:
        raise Refused("deny_listed")
    if package.fare_fen > limit:
        raise Refused("over_fare_limit")
    health = claims.get(CLAIM_HEALTH)
    return Verified(
        pseudonym_bytes=pseudonym, operator=operator, generated_at=generated_at, counter=counter,
        fare_limit_fen=limit, concession=CONCESSIONS[concession], certificate_expires_at=expires_at,
        device_bound=confirmation is not None,
        health_colour=health if health in ride_code.HEALTH_COLOURS else None,
    )



def _device_key(confirmation: Any) -> Any:
    try:
        key = confirmation[1]
        if key[1] != 2 or key[-1] != 1:
            raise ValueError("not an EC2 P-256 key")
        point = b"\x04" + key[-2] + key[-3]
    except Exception:
        raise Refused("bad_encoding", "the certificate's device key") from None
    if len(point) != 65:
        raise Refused("bad_encoding", "the certificate's device key")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, point)
    except ValueError:
        raise Refused("bad_encoding", "the device key is not a P-256 point") from None


@dataclass(frozen=True)
class TapRecord:
    """One scan as the reader stores it and uploads it. A refused scan is kept locally (for the staff's
    screen) but is not uploaded: only accepted taps are charged."""

    tap_uid: str
    at: int
    accepted: bool
    reason: str | None
    direction: str
    verified: Verified | None = None

    def upload_json(self) -> dict[str, Any]:
        """The tap as ``POST /api/v1/transit/taps`` takes it: its reader-unique id, when, who (the certificate
        pseudonym) and which way."""
        assert self.verified is not None
        return {"uid": self.tap_uid, "at": dt.datetime.fromtimestamp(self.at, tz=dt.UTC).isoformat(),
                "pseudonym": self.verified.pseudonym, "direction": self.direction}


def tap(text: str, *, package: ReaderPackage, seen: SeenList, direction: str = "board",
        now: float | None = None) -> TapRecord:
    """Verify a scanned code, refuse a replay, and return the tap the reader stores (accepted or not)."""
    moment = int(now if now is not None else time.time())
    uid = uuid.uuid4().hex
    try:
        verified = verify(text, package=package, now=moment)
    except Refused as refusal:
        return TapRecord(tap_uid=uid, at=moment, accepted=False, reason=refusal.reason, direction=direction)
    replay_key = (verified.pseudonym_bytes, verified.generated_at, verified.counter)
    if not seen.check_and_add(replay_key, now=moment):
        return TapRecord(tap_uid=uid, at=moment, accepted=False, reason="replayed", direction=direction)
    return TapRecord(tap_uid=uid, at=moment, accepted=True, reason=None, direction=direction, verified=verified)
