"""Trust list and mutual recognition: a peer city's token verifies here only after its list is imported."""

import datetime as dt
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.codes import keys, selectors, services, tokens, trust
from apps.codes.models import PeerKey
from apps.codes.tokens import VerificationFailed
from citycode.errors import DomainError

pytestmark = pytest.mark.django_db


class PeerCity:
    """A second city, in-process: its own key, its own trust list, its own tokens."""

    def __init__(self, issuer: str = "SZ", alg: str = tokens.ES256):
        self.issuer = issuer
        self.private_key = keys.generate(alg)
        self.jwk = keys.public_jwk(self.private_key)
        now = int(time.time())
        self.signer = tokens.Signer(kid=keys.kid_for(self.jwk), alg=alg, private_key=self.private_key,
                                    not_after=now + 86400)
        self.entry = trust.key_entry(issuer=issuer, kid=self.signer.kid, alg=alg, jwk=self.jwk,
                                     not_before=now - 60, not_after=now + 86400, status="active")

    def trust_list(self, extra_keys=()):
        payload = trust.trust_list_payload(issuer=self.issuer, issued_at=int(time.time()),
                                           keys=[self.entry, *extra_keys])
        return trust.sign_document(payload, signer=self.signer, typ=trust.TRUST_LIST_TYP)

    def issue(self, *, code_type="city", sub="peer-subject", lifetime=300, cti=None):
        now = int(time.time())
        return tokens.encode(signer=self.signer, issuer=self.issuer, sub=sub, code_type=code_type, iat=now,
                             exp=now + lifetime, status_index=3, cti=cti)

    @property
    def thumbprint(self):
        return trust.thumbprint_of(self.jwk)


def _reason(token):
    with pytest.raises(VerificationFailed) as failure:
        selectors.verified_token_get(token=token)
    return failure.value.reason


def test_peer_token_fails_before_import_and_verifies_after(tmp_path):
    # Given a peer city's token
    peer = PeerCity()
    token = peer.issue()
    # Then before recognition it is refused
    assert _reason(token) == "unknown_kid"
    # When the data bureau imports the peer's trust list, pinned by thumbprint
    path = tmp_path / "sz.json"
    path.write_text(json.dumps(peer.trust_list()))
    # (=value: a base64url thumbprint may start with "-", which argparse would read as an option)
    call_command("import_trust_list", str(path), f"--pin-thumbprint={peer.thumbprint}")
    # Then the peer's token verifies here, offline-style, and carries the peer's issuer
    verified = selectors.verified_token_get(token=token)
    assert verified.issuer == "SZ" and verified.sub == "peer-subject"
    # And our published trust list now includes the peer's key
    kids = {(entry["iss"], entry["kid"]) for entry in selectors.trust_list_payload_get()["keys"]}
    assert ("SZ", peer.signer.kid) in kids


def test_import_with_pinned_jwk_and_wrapper_file(tmp_path):
    peer = PeerCity(issuer="GZ", alg=tokens.EDDSA)
    # Given the list in an out-of-band wrapper file, and the peer's key pinned by the operator as a JWK file
    path, pin = tmp_path / "gz.json", tmp_path / "gz-key.json"
    path.write_text(json.dumps({"trust_list": peer.trust_list()}))
    pin.write_text(json.dumps(peer.jwk))
    call_command("import_trust_list", str(path), "--pin-jwk", str(pin))
    assert selectors.verified_token_get(token=peer.issue()).issuer == "GZ"
    # And the pinned JWK given on the command line works too
    services.trust_list_import(document=peer.trust_list(), pin_jwk=peer.jwk)
    assert PeerKey.objects.filter(issuer="GZ").count() == 1


def test_import_refuses_wrong_pin_tampering_and_no_pin(tmp_path):
    peer = PeerCity()
    impostor = PeerCity()
    # A list signed by another key than the pinned one
    with pytest.raises(DomainError) as refused:
        services.trust_list_import(document=impostor.trust_list(), pin_jwk=peer.jwk)
    assert refused.value.code == "trust_list_invalid"
    with pytest.raises(DomainError) as refused:
        services.trust_list_import(document=impostor.trust_list(), pin_thumbprint=peer.thumbprint)
    assert refused.value.code == "trust_list_invalid"
    # A list whose payload was altered after signing
    document = peer.trust_list()
    payload = json.loads(tokens.b64u_decode(document["payload"]))
    payload["keys"].append({**impostor.entry, "iss": "SZ"})
    tampered = {**document, "payload": tokens.b64u(json.dumps(payload).encode())}
    with pytest.raises(DomainError) as refused:
        services.trust_list_import(document=tampered, pin_jwk=peer.jwk)
    assert refused.value.code == "trust_list_invalid"
    # No pin at all
    path = tmp_path / "sz.json"
    path.write_text(json.dumps(peer.trust_list()))
    with pytest.raises(CommandError, match="trust_list_invalid"):
        call_command("import_trust_list", str(path))
    assert not PeerKey.objects.exists()
    assert _reason(peer.issue()) == "unknown_kid"


def test_recognition_is_not_transitive_and_reimport_replaces():
    # Given a peer whose list also carries a third city's key
    peer, third = PeerCity(issuer="SZ"), PeerCity(issuer="WH")
    services.trust_list_import(document=peer.trust_list(extra_keys=[{**third.entry, "status": "peer"}]),
                               pin_jwk=peer.jwk)
    # Then only the peer's own key is trusted
    assert set(PeerKey.objects.values_list("issuer", flat=True)) == {"SZ"}
    assert _reason(third.issue()) == "unknown_kid"
    token = peer.issue()
    assert selectors.verified_token_get(token=token).issuer == "SZ"
    # When the peer rotates to a new key and its new list is imported (pinned by the new key)
    rotated = PeerCity(issuer="SZ")
    services.trust_list_import(document=rotated.trust_list(), pin_jwk=rotated.jwk)
    # Then the dropped key no longer verifies
    assert _reason(token) == "unknown_kid"
    assert selectors.verified_token_get(token=rotated.issue()).issuer == "SZ"


def test_own_list_cannot_be_imported_as_a_peer():
    signer = services.issuer_key_active()
    document, _etag = selectors.trust_list_document_get()
    with pytest.raises(DomainError) as error:
        services.trust_list_import(document=document, pin_jwk=selectors.jwks_get()["keys"][0])
    assert error.value.code == "trust_list_is_ours"
    assert signer.kid == selectors.jwks_get()["keys"][0]["kid"]


def test_trust_list_endpoint_is_signed_by_the_published_key(api, make_citizen):
    # Given an issued token and an imported peer
    issued = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=dt.timedelta(minutes=5))
    peer = PeerCity()
    services.trust_list_import(document=peer.trust_list(), pin_jwk=peer.jwk)
    # When a reader fetches the trust list and the JWKS
    response = api.get("/api/v1/trust-list")
    jwks = api.get("/.well-known/jwks.json").json()
    # Then the document verifies with the city's published key, and a reader can verify both cities' tokens
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    header = trust.document_header(document)
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    payload = trust.verify_document(document, jwk=jwk, typ=trust.TRUST_LIST_TYP)
    trust_list = tokens.TrustList.from_json(payload)
    assert tokens.verify(issued.token, trust_list=trust_list, status_lists=None, now=None).issuer == "CC"
    assert tokens.verify(peer.issue(), trust_list=trust_list, status_lists=None, now=None).issuer == "SZ"
    # And it is cacheable by ETag
    again = api.get("/api/v1/trust-list", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
