"""Issuer key material: generation, JWK form and kid, encryption at rest, and the in-process signer cache.

Private keys are stored only encrypted: AES-256-GCM under a key derived by HKDF-SHA256 from
``settings.CITYCODE_KEY_ENCRYPTION_KEY`` (info ``citycode/issuer-keys/v1``), with a fresh 12-byte nonce per
key and the kid as associated data (a ciphertext moved to another row does not decrypt). Decrypted keys
are cached in-process by kid, so signing does not pay for decryption and key parsing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from . import caches
from .tokens import ES256, Signer, b64u

KID_BYTES = 6  # 6 bytes of the RFC 7638 thumbprint -> 8 base64url characters
HANDLE_BYTES = 6  # a citizen number below 2**48 -> 8 base64url characters
_NONCE = 12


def _derive(info: bytes) -> bytes:
    secret = settings.CITYCODE_KEY_ENCRYPTION_KEY.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"citycode", info=info).derive(secret)


def plugin_key_derive(info: bytes) -> bytes:
    """A 32-byte key for a plugin's own secrets at rest. Always under the ``citycode/plugin/`` namespace, so a
    plugin can never derive core's keys (issuer-key wrapping, subject handles)."""
    return _derive(b"citycode/plugin/" + info)


@lru_cache(maxsize=4)
def _wrapping_key(secret_fingerprint: str) -> AESGCM:
    return AESGCM(_derive(b"citycode/issuer-keys/v1"))


@lru_cache(maxsize=64)
def _handle_key(secret: str, code_type: str) -> bytes:
    # Keyed by the secret itself (it never leaves the process): hashing it per token to a fingerprint cost
    # more than the HMAC it keys.
    return _derive(b"citycode/handles/v1/" + code_type.encode("ascii"))


def _fingerprint() -> str:
    # The caches follow the setting (tests may override it); the fingerprint never leaves the process.
    return hashlib.sha256(settings.CITYCODE_KEY_ENCRYPTION_KEY.encode("utf-8")).hexdigest()


def generate(alg: str) -> Any:
    if alg == ES256:
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def public_jwk(private_or_public: Any) -> dict[str, str]:
    """The public JWK (RFC 7517) members that define the key: kty, crv, x (and y for EC)."""
    public = private_or_public.public_key() if hasattr(private_or_public, "public_key") else private_or_public
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64u(numbers.x.to_bytes(32, "big")),
                "y": b64u(numbers.y.to_bytes(32, "big"))}
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}


def thumbprint(jwk: dict[str, Any]) -> bytes:
    """RFC 7638 JWK thumbprint: SHA-256 of the required members, sorted, no whitespace."""
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("crv", "kty", "x")
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def kid_for(jwk: dict[str, Any]) -> str:
    return b64u(thumbprint(jwk)[:KID_BYTES])


def encrypt_private_key(private_key: Any, *, kid: str) -> bytes:
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    nonce = os.urandom(_NONCE)
    return nonce + _wrapping_key(_fingerprint()).encrypt(nonce, der, kid.encode("ascii"))


def decrypt_private_key(blob: bytes | memoryview, *, kid: str) -> Any:  # BinaryField: memoryview on PostgreSQL
    blob = bytes(blob)
    der = _wrapping_key(_fingerprint()).decrypt(blob[:_NONCE], blob[_NONCE:], kid.encode("ascii"))
    return serialization.load_der_private_key(der, password=None)


def signer_for(*, kid: str, alg: str, encrypted: bytes | memoryview, not_after: int) -> Signer:
    """The decrypted signer for a key, cached in-process by kid (a kid's key material never changes)."""
    signer = caches.signers.get(kid)
    if signer is None or signer.not_after != not_after:
        signer = Signer(kid=kid, alg=alg, private_key=decrypt_private_key(encrypted, kid=kid), not_after=not_after)
        caches.signers[kid] = signer
    return signer


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _keystream(code_type: str, cti: bytes) -> int:
    # Keyed BLAKE2b is a PRF (RFC 7693 section 3.2's MAC) in one C call; HMAC-SHA256 through hmac.py cost
    # about as much as a tenth of the ES256 signature it rides with.
    key = _handle_key(settings.CITYCODE_KEY_ENCRYPTION_KEY, code_type)
    return int.from_bytes(hashlib.blake2b(cti, key=key, digest_size=HANDLE_BYTES).digest(), "big")


def subject_handle(*, code_type: str, citizen_pk: int, cti: bytes) -> str:
    """A token's ``sub``: the citizen's number encrypted under a per-code-type key with the token's random
    ``cti`` as nonce (XOR with keyed BLAKE2b(key, cti), a PRF keystream), base64url.

    A fresh cti gives an unrelated-looking handle every time, so two tokens of one citizen share nothing a
    reader can follow; only the city, holding the key, reads the number back (:func:`subject_pk`). Integrity
    comes from the token's signature. Costs one HMAC and no database row per token.
    """
    # 6 bytes are exactly 8 base64url characters, with no padding to strip
    raw = (citizen_pk ^ _keystream(code_type, cti)).to_bytes(HANDLE_BYTES, "big")
    return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).decode("ascii")


_POOL_SIZE = 256


def fresh_handle(*, code_type: str, citizen_pk: int) -> tuple[bytes, str]:
    """A random ``cti`` and the citizen's handle under it, for one token: :func:`subject_handle` with the
    (cti, keystream) pairs drawn in batches of 256 from ``caches.handle_pools``.

    Each pair is handed out once (``list.pop`` is atomic) and the pools are emptied in a forked child, so two
    processes never share one. Drawing them in a batch halves the handle's cost on the issuing hot path: a
    keystream computed right after a signature ran on cold caches and cost a quarter of the signature.
    """
    secret = settings.CITYCODE_KEY_ENCRYPTION_KEY
    pool = caches.handle_pools.get((secret, code_type))
    try:
        cti, mask = pool.pop()  # type: ignore[union-attr]
    except (AttributeError, IndexError):
        key = _handle_key(secret, code_type)
        ctis = os.urandom(8 * _POOL_SIZE)
        pool = [(ctis[i:i + 8], int.from_bytes(hashlib.blake2b(ctis[i:i + 8], key=key, digest_size=HANDLE_BYTES)
                                               .digest(), "big")) for i in range(0, 8 * _POOL_SIZE, 8)]
        caches.handle_pools[(secret, code_type)] = pool
        cti, mask = pool.pop()
    raw = (citizen_pk ^ mask).to_bytes(HANDLE_BYTES, "big")
    return cti, binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).decode("ascii")


def subject_pk(*, code_type: str, sub: str, cti: bytes) -> int | None:
    """The citizen number inside a handle made by :func:`subject_handle`, or None if it cannot be one."""
    if len(sub) != 8:
        return None
    try:
        raw = base64.urlsafe_b64decode(sub)
    except (ValueError, TypeError):
        return None
    return int.from_bytes(raw, "big") ^ _keystream(code_type, cti)
