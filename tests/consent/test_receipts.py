"""Consent receipts: a compact JWS anyone can verify with the published key; an altered receipt fails."""

import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import override_settings

from apps.consent import receipts, services
from apps.consent.models import ReceiptKey

pytestmark = pytest.mark.django_db


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_independently(token: str, jwks: dict) -> dict:
    """What any third party does: only the JWKS and a standard Ed25519 implementation, none of our code."""
    header_b64, body_b64, sig_b64 = token.split(".")
    header = json.loads(b64d(header_b64))
    assert header["alg"] == "EdDSA"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    Ed25519PublicKey.from_public_bytes(b64d(jwk["x"])).verify(b64d(sig_b64), f"{header_b64}.{body_b64}".encode())
    return json.loads(b64d(body_b64))


@pytest.fixture
def receipt(api, alice, library):
    consent = services.consent_give(citizen=alice, purpose="venue.entry", categories=["identity.adult"],
                                    organization=library)
    jwks = api.get("/api/v1/consent/receipt-keys").json()  # published, no credentials needed
    return consent, jwks


def test_a_receipt_verifies_with_the_published_key(receipt, alice):
    consent, jwks = receipt
    payload = verify_independently(consent.receipt, jwks)
    assert payload["consent_id"] == consent.pk
    assert payload["purpose"]["code"] == "venue.entry"
    assert payload["categories"] == ["identity.adult"]
    assert payload["organization"] == "city-library"
    assert payload["subject"]["id_masked"] == alice.id_masked
    assert receipts.verify(consent.receipt, jwks) == payload


def test_an_altered_receipt_fails(receipt):
    consent, jwks = receipt
    header_b64, body_b64, sig_b64 = consent.receipt.split(".")
    body = json.loads(b64d(body_b64))
    body["categories"] = ["identity.adult", "identity.name"]  # claim more than was consented
    forged_body = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    forged = f"{header_b64}.{forged_body}.{sig_b64}"
    with pytest.raises(InvalidSignature):
        verify_independently(forged, jwks)
    assert receipts.verify(forged, jwks) is None
    assert receipts.verify(consent.receipt[:-4] + "AAAA", jwks) is None
    assert receipts.verify("not-a-jws", jwks) is None


def test_the_private_key_is_encrypted_at_rest_and_needs_the_encryption_key(receipt):
    key = ReceiptKey.objects.get()
    assert key.private_key_encrypted.startswith("gAAAA")  # a Fernet token, not raw key bytes
    with override_settings(CITYCODE_KEY_ENCRYPTION_KEY="a-different-key"), pytest.raises(InvalidToken):
        receipts.sign({"x": 1})


def test_receipts_still_verify_after_key_rotation(receipt, api, alice):
    consent, _jwks = receipt
    services.receipt_key_rotate()
    newer = services.consent_give(citizen=alice, purpose="transit.boarding", categories=["identity.adult"])
    jwks = api.get("/api/v1/consent/receipt-keys").json()
    assert len(jwks["keys"]) == 2
    verify_independently(consent.receipt, jwks)
    verify_independently(newer.receipt, jwks)
