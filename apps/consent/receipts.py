"""Signed consent receipts: compact JWS (EdDSA / Ed25519) over canonical JSON.

The signing key's private part is encrypted at rest with a Fernet key derived from
settings.CITYCODE_KEY_ENCRYPTION_KEY; the public keys are published as a JWKS, so anyone can verify a
receipt without citycode.
"""

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import IntegrityError, transaction

from .chain import canonical_json
from .models import ReceiptKey

ALG = "EdDSA"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fernet() -> Fernet:
    key = hashlib.sha256(f"citycode-consent-receipts:{settings.CITYCODE_KEY_ENCRYPTION_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _create_key() -> ReceiptKey:
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private_raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    # kid: RFC 7638 thumbprint of the OKP JWK.
    thumb = canonical_json({"crv": "Ed25519", "kty": "OKP", "x": b64url(public_raw)})
    kid = b64url(hashlib.sha256(thumb.encode()).digest())
    return ReceiptKey.objects.create(
        kid=kid, public_key=b64url(public_raw), private_key_encrypted=_fernet().encrypt(private_raw).decode()
    )


def active_key() -> ReceiptKey:
    key = ReceiptKey.objects.filter(state=ReceiptKey.State.ACTIVE).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _create_key()
    except IntegrityError:  # another process created it first
        return ReceiptKey.objects.get(state=ReceiptKey.State.ACTIVE)


def sign(payload: dict) -> str:
    key = active_key()
    private = Ed25519PrivateKey.from_private_bytes(_fernet().decrypt(key.private_key_encrypted.encode()))
    header = b64url(canonical_json({"alg": ALG, "kid": key.kid, "typ": "citycode-consent-receipt+jws"}).encode())
    body = b64url(canonical_json(payload).encode())
    signing_input = f"{header}.{body}".encode()
    return f"{header}.{body}.{b64url(private.sign(signing_input))}"


def jwks() -> dict:
    return {
        "keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": k.public_key, "kid": k.kid, "use": "sig", "alg": ALG}
            for k in ReceiptKey.objects.order_by("created_at")
        ]
    }


def verify(token: str, keys: dict) -> dict | None:
    """Return the receipt payload when `token` carries a valid signature by one of `keys` (a JWKS), else None."""
    try:
        header_b64, body_b64, sig_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        if header.get("alg") != ALG:
            return None
        for jwk in keys.get("keys", []):
            if jwk.get("kid") != header.get("kid") or jwk.get("crv") != "Ed25519":
                continue
            public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
            try:
                public.verify(b64url_decode(sig_b64), f"{header_b64}.{body_b64}".encode())
            except InvalidSignature:
                continue
            return json.loads(b64url_decode(body_b64))
    except (ValueError, KeyError, TypeError):
        return None
    return None
