"""Offline verification: every failure reason from a crafted token, and an independent COSE library."""

import datetime as dt
import time
import zlib

import base45
import cbor2
import cwt
import pytest
from cwt import COSEKey
from django.core.management import call_command
from django.core.management.base import CommandError
from pycose.messages import Sign1Message

from apps.codes import keys, selectors, services, tokens
from apps.codes.tokens import VerificationFailed

pytestmark = pytest.mark.django_db

FIVE_MINUTES = dt.timedelta(minutes=5)


@pytest.fixture
def issued(make_citizen):
    return services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)


def _reason(token, *, now=None, expected_type=None, trust_list=None, status_lists=None):
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(token, trust_list=trust_list or selectors.live_trust_list_get(),
                      status_lists=status_lists or selectors.live_status_lists_get(), now=now or time.time(),
                      expected_type=expected_type)
    return failure.value.reason


def _cose(token: str) -> bytes:
    return base45.b45decode(token[4:])


def test_an_independent_cose_library_verifies_the_token_with_only_the_jwks(api, issued):
    # Given only the published JWKS, fetched over HTTP
    jwks = api.get("/.well-known/jwks.json").json()
    # When the `cwt` package decodes the COSE bytes with those keys
    claims = cwt.decode(_cose(issued.token), [COSEKey.from_jwk(jwk) for jwk in jwks["keys"]])
    # Then the signature verifies and the CWT claims are ours
    assert claims[1] == "CC"
    assert claims[2] == issued.sub
    assert claims[4] == int(issued.expires_at.timestamp())
    assert claims[-1] == "city"
    assert claims[7] == issued.cti


def test_the_independent_library_refuses_a_tampered_token(api, issued):
    # Given a token whose payload was changed after signing
    message = Sign1Message.decode(_cose(issued.token))
    fields = cbor2.loads(message.payload)
    fields[-1] = "talent"
    forged = cbor2.dumps(cbor2.CBORTag(18, [message.phdr_encoded, {}, cbor2.dumps(fields), message.signature]))
    jwks = api.get("/.well-known/jwks.json").json()
    # Then `cwt` refuses it, and so do we
    with pytest.raises(cwt.VerifyError):
        cwt.decode(forged, [COSEKey.from_jwk(jwk) for jwk in jwks["keys"]])
    assert _reason("CC1:" + base45.b45encode(forged).decode()) == "bad_signature"


def test_bad_prefix(issued):
    assert _reason("HC1:" + issued.token[4:]) == "bad_prefix"
    assert _reason("") == "bad_prefix"


def test_bad_encoding_base45_zlib_and_cbor(issued):
    # Bad Base45: lower case is outside the alphabet, and a group above 0xFFFF
    assert _reason("CC1:" + issued.token[4:].lower()) == "bad_encoding"
    assert _reason("CC1:::::::") == "bad_encoding"
    # Bad zlib under the compressed prefix
    assert _reason("CZ1:" + issued.token[4:]) == "bad_encoding"
    # A zlib bomb is refused rather than inflated
    assert _reason("CZ1:" + tokens.b45encode(zlib.compress(b"\x00" * 100_000))) == "bad_encoding"
    # Valid Base45 of bytes that are not CBOR, CBOR that is not COSE_Sign1, and a payload that is not a claims map
    assert _reason("CC1:" + tokens.b45encode(b"\xff\xfe\xfd")) == "bad_encoding"
    assert _reason("CC1:" + tokens.b45encode(cbor2.dumps([1, 2, 3]))) == "bad_encoding"
    message = Sign1Message.decode(_cose(issued.token))
    not_a_map = cbor2.dumps(cbor2.CBORTag(18, [message.phdr_encoded, {}, cbor2.dumps([1]), message.signature]))
    assert _reason("CC1:" + tokens.b45encode(not_a_map)) == "bad_encoding"


def test_unknown_kid(issued, make_citizen):
    # Given a token signed by a key the city never published
    stranger = tokens.Signer(kid="AAAAAAAA", alg=tokens.ES256, private_key=keys.generate(tokens.ES256),
                             not_after=int(time.time()) + 3600)
    now = int(time.time())
    token = tokens.encode(signer=stranger, issuer="CC", sub=issued.sub, code_type="city", iat=now, exp=now + 60,
                          status_index=0)
    # Then it is refused for its kid
    assert _reason(token) == "unknown_kid"
    # And with an empty trust list the city's own token is refused the same way
    assert _reason(issued.token, trust_list=tokens.TrustList()) == "unknown_kid"


def test_bad_signature_from_a_key_that_reuses_a_trusted_kid(issued):
    # Given an attacker key that claims the city's kid (a short kid can collide)
    forger = tokens.Signer(kid=issued.kid, alg=tokens.ES256, private_key=keys.generate(tokens.ES256),
                           not_after=int(time.time()) + 3600)
    now = int(time.time())
    token = tokens.encode(signer=forger, issuer="CC", sub=issued.sub, code_type="city", iat=now, exp=now + 60,
                          status_index=issued.status_index)
    # Then every key with that kid is tried and none verifies
    assert _reason(token) == "bad_signature"


def test_colliding_kids_are_all_tried(issued):
    # Given a trust list where another issuer key shares the city key's kid
    city = selectors.live_trust_list_get()
    other = keys.public_jwk(keys.generate(tokens.ES256))
    crowded = tokens.TrustList(keys=[tokens.TrustedKey(issuer="CC", kid=issued.kid, alg=tokens.ES256, jwk=other),
                                     *city.keys])
    # When verified, the second candidate's signature matches
    verified = tokens.verify(issued.token, trust_list=crowded, status_lists=None, now=time.time())
    assert verified.sub == issued.sub


def test_expired_and_not_yet_valid(issued):
    assert _reason(issued.token, now=issued.expires_at + dt.timedelta(seconds=1)) == "expired"
    assert _reason(issued.token, now=issued.expires_at) == "expired"
    assert _reason(issued.token, now=issued.issued_at - dt.timedelta(minutes=5)) == "not_yet_valid"
    # A reader clock a little behind is tolerated
    tokens.verify(issued.token, trust_list=selectors.live_trust_list_get(), status_lists=None,
                  now=issued.issued_at - dt.timedelta(seconds=30))


def test_wrong_type(issued):
    assert _reason(issued.token, expected_type="talent") == "wrong_type"
    assert selectors.verified_token_get(token=issued.token, expected_type="city").code_type == "city"


def test_revoked(make_citizen):
    # Given a document's status bit set
    citizen = make_citizen()
    issued = services.token_issue(citizen=citizen, code_type="city", lifetime=FIVE_MINUTES, with_status=True)
    services.token_revoke(code_type="city", citizen=citizen)
    # Then the offline verifier with the fresh status list refuses the token, and so does verified_token_get
    assert _reason(issued.token) == "revoked"
    with pytest.raises(VerificationFailed) as failure:
        selectors.verified_token_get(token=issued.token)
    assert failure.value.reason == "revoked"


def test_a_peer_issuer_cannot_sign_for_this_city(issued):
    # Given a key trusted for issuer "SZ" only, with a token claiming iss "CC"
    peer_key = keys.generate(tokens.ES256)
    jwk = keys.public_jwk(peer_key)
    peer = tokens.Signer(kid=keys.kid_for(jwk), alg=tokens.ES256, private_key=peer_key,
                         not_after=int(time.time()) + 3600)
    trust_list = tokens.TrustList(keys=[tokens.TrustedKey(issuer="SZ", kid=peer.kid, alg=tokens.ES256, jwk=jwk)])
    now = int(time.time())
    token = tokens.encode(signer=peer, issuer="CC", sub="x", code_type="city", iat=now, exp=now + 60,
                          status_index=0)
    # Then no key of the claimed issuer has that kid
    assert _reason(token, trust_list=trust_list) == "unknown_kid"


def test_verify_code_command(issued):
    # When the command checks a valid and a broken code
    call_command("verify_code", issued.token)
    with pytest.raises(CommandError, match="bad_prefix"):
        call_command("verify_code", "XX1:" + issued.token[4:])
    with pytest.raises(CommandError, match="wrong_type"):
        call_command("verify_code", issued.token, "--type", "talent")
