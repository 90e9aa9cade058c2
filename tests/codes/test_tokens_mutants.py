"""tokens.verify and its helpers: each check pinned by a test that fails when the check is lost (issue 15).

Pure functions: a key made here, a trust list built by hand, no database.
"""

import datetime as dt
import time
import zlib

import cbor2
import pytest
from pycose.algorithms import Es384
from pycose.headers import KID, Algorithm
from pycose.messages import Sign1Message

from apps.codes import keys, tokens
from apps.codes.base45 import b45decode
from apps.codes.tokens import VerificationFailed

NOW = 1_900_000_000


def make_signer(alg=tokens.ES256, *, not_after=NOW + 86_400):
    private_key = keys.generate(alg)
    return tokens.Signer(kid=keys.kid_for(keys.public_jwk(private_key)), alg=alg, private_key=private_key,
                         not_after=not_after)


def trusted(signer, *, issuer="CC", alg=None, not_before=0, not_after=None):
    return tokens.TrustedKey(issuer=issuer, kid=signer.kid, alg=alg or signer.alg,
                             jwk=keys.public_jwk(signer.private_key), not_before=not_before,
                             not_after=signer.not_after if not_after is None else not_after)


@pytest.fixture
def city():
    signer = make_signer()
    return signer, tokens.TrustList(keys=[trusted(signer)])


def issue(signer, **kw):
    fields = dict(issuer="CC", sub="abcdefghijkl", code_type="city", iat=NOW, exp=NOW + 300, status_index=5)
    fields.update(kw)
    return tokens.encode(signer=signer, **fields)


def signed(signer, payload: bytes, *, protected: bytes | None = None, compress=False) -> str:
    """A correctly signed COSE_Sign1 over any payload bytes: only the payload's content can be wrong."""
    protected = signer.protected if protected is None else protected
    signature = tokens.raw_sign(signer.private_key, signer.alg, cbor2.dumps(["Signature1", protected, b"", payload]))
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    if compress:
        return tokens.PREFIX_ZLIB + tokens.b45encode(zlib.compress(cose, 9))
    return tokens.PREFIX_RAW + tokens.b45encode(cose)


def reason(token, trust_list, *, now=NOW + 10, **kw):
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(token, trust_list=trust_list, status_lists=kw.pop("status_lists", None), now=now, **kw)
    return failure.value.reason


def ok(token, trust_list, *, now=NOW + 10, **kw):
    return tokens.verify(token, trust_list=trust_list, status_lists=kw.pop("status_lists", None), now=now, **kw)


# -- raw_verify -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 72])
def test_raw_verify_refuses_an_es256_signature_that_is_not_64_bytes(length):
    # Given a real signature over the data, cut or padded to the wrong length
    signer = make_signer()
    good = tokens.raw_sign(signer.private_key, tokens.ES256, b"data")
    public_key = signer.private_key.public_key()
    assert tokens.raw_verify(public_key, tokens.ES256, good, b"data") is True
    wrong = (good + b"\x00" * 8)[:length]
    # Then it is refused, never accepted (an empty signature least of all)
    assert tokens.raw_verify(public_key, tokens.ES256, wrong, b"data") is False


def test_raw_verify_refuses_other_data_and_other_keys_for_both_algorithms():
    for alg in tokens.ALGORITHMS:
        signer, other = make_signer(alg), make_signer(alg)
        signature = tokens.raw_sign(signer.private_key, alg, b"data")
        assert tokens.raw_verify(signer.private_key.public_key(), alg, signature, b"data") is True
        assert tokens.raw_verify(signer.private_key.public_key(), alg, signature, b"dat4") is False
        assert tokens.raw_verify(other.private_key.public_key(), alg, signature, b"data") is False


# -- key validity: exp and iat against the key's window ------------------------------------------------------


def test_a_token_expiring_exactly_at_the_keys_end_is_accepted():
    # Given a key valid until T and a token asked to live beyond it (issuing clamps exp to T)
    signer = make_signer(not_after=NOW + 600)
    token = issue(signer, exp=NOW + 5000)
    assert tokens.token_fields(token)[tokens.CLAIM_EXP] == NOW + 600
    # Then the key still covers it: exp == not_after is inside the window
    assert ok(token, tokens.TrustList(keys=[trusted(signer)])).expires_at.timestamp() == NOW + 600
    # And a key that ended one second earlier does not
    assert reason(token, tokens.TrustList(keys=[trusted(signer, not_after=NOW + 599)])) == "unknown_kid"


def test_a_token_issued_exactly_when_the_key_starts_is_accepted(city):
    signer, _ = city
    token = issue(signer)
    assert ok(token, tokens.TrustList(keys=[trusted(signer, not_before=NOW)])).sub == "abcdefghijkl"
    assert reason(token, tokens.TrustList(keys=[trusted(signer, not_before=NOW + 1)])) == "unknown_kid"


def test_a_key_trusted_for_another_algorithm_is_not_a_candidate(city):
    signer, _ = city
    token = issue(signer)
    # Given the same kid registered as an EdDSA key (with an Ed25519 public key)
    ed = make_signer(tokens.EDDSA)
    mislabelled = tokens.TrustedKey(issuer="CC", kid=signer.kid, alg=tokens.EDDSA,
                                    jwk=keys.public_jwk(ed.private_key), not_after=signer.not_after)
    assert reason(token, tokens.TrustList(keys=[mislabelled])) == "unknown_kid"


# -- clock ----------------------------------------------------------------------------------------------------


def test_the_clock_boundaries(city):
    signer, trust_list = city
    token = issue(signer, iat=NOW, exp=NOW + 300)
    # A reader clock up to the skew behind the issuer is tolerated, one second more is not
    assert ok(token, trust_list, now=NOW - 60).sub == "abcdefghijkl"
    assert reason(token, trust_list, now=NOW - 61) == "not_yet_valid"
    assert ok(token, trust_list, now=NOW - 10, clock_skew=10).sub == "abcdefghijkl"
    assert reason(token, trust_list, now=NOW - 11, clock_skew=10) == "not_yet_valid"
    # The last valid second is exp - 1
    assert ok(token, trust_list, now=NOW + 299).sub == "abcdefghijkl"
    assert reason(token, trust_list, now=NOW + 300) == "expired"


# -- status ---------------------------------------------------------------------------------------------------


def test_require_status_fails_closed_without_a_status_list(city):
    signer, trust_list = city
    token = issue(signer, status_index=5)
    # Without any status list, or without one for this issuer and type, the token is refused when status is required
    assert reason(token, trust_list, status_lists=None, require_status=True) == "revoked"
    elsewhere = tokens.StatusLists.of([tokens.StatusList(issuer="SZ", list_id="city", bits=b"\x00")])
    assert reason(token, trust_list, status_lists=elsewhere, require_status=True) == "revoked"
    other_type = tokens.StatusLists.of([tokens.StatusList(issuer="CC", list_id="talent", bits=b"\x00")])
    assert reason(token, trust_list, status_lists=other_type, require_status=True) == "revoked"
    # And accepted without the requirement
    assert ok(token, trust_list, status_lists=None).status_index == 5


def test_the_subjects_own_bit_decides(city):
    signer, trust_list = city
    token = issue(signer, status_index=5)
    clear = tokens.StatusLists.of([tokens.StatusList(issuer="CC", list_id="city", bits=bytes([0b1101_1111]))])
    mine = tokens.StatusLists.of([tokens.StatusList(issuer="CC", list_id="city", bits=bytes([0b0010_0000]))])
    assert ok(token, trust_list, status_lists=clear, require_status=True).status_index == 5
    assert reason(token, trust_list, status_lists=mine, require_status=True) == "revoked"
    assert reason(token, trust_list, status_lists=mine) == "revoked"
    # A list too short to hold the bit counts as not revoked
    short = tokens.StatusLists.of([tokens.StatusList(issuer="CC", list_id="city", bits=b"")])
    assert ok(issue(signer, status_index=9), trust_list, status_lists=short).status_index == 9


# -- structure ------------------------------------------------------------------------------------------------


GOOD_CLAIMS = {1: "CC", 2: "abcdefghijkl", 4: NOW + 300, 6: NOW, 7: b"cti-0001", -1: "city", -3: 5}


@pytest.mark.parametrize("change", [
    {1: 7}, {2: b"abcdefghijkl"}, {-1: None}, {-2: ["not", "a", "map"]},
    {4: float(NOW + 300)}, {4: True}, {6: str(NOW)}, {6: False}, {-3: -1}, {-3: 5.0}, {-3: True},
    {7: "cti-0001"}, {7: b"cti-001"}, {7: b"cti-00001"},
], ids=repr)
def test_wrongly_typed_claims_are_refused_even_when_signed(city, change):
    # Given a correctly signed token whose claims have one wrong type
    signer, trust_list = city
    token = signed(signer, cbor2.dumps({**GOOD_CLAIMS, **change}))
    # Then it is refused as bad encoding, never accepted and never a crash
    assert reason(token, trust_list) == "bad_encoding"


@pytest.mark.parametrize("missing", [1, 2, 4, 6, 7, -1])
def test_a_missing_claim_is_refused_even_when_signed(city, missing):
    signer, trust_list = city
    claims = {k: v for k, v in GOOD_CLAIMS.items() if k != missing}
    assert reason(signed(signer, cbor2.dumps(claims)), trust_list) == "bad_encoding"


def test_the_signed_reference_claims_are_accepted(city):
    signer, trust_list = city
    assert ok(signed(signer, cbor2.dumps(GOOD_CLAIMS)), trust_list).claims == {}
    assert ok(signed(signer, cbor2.dumps({**GOOD_CLAIMS, -2: {"l": 1}})), trust_list).claims == {"l": 1}
    # A rotating code carries no status index: without one the token is accepted, with none to check
    no_status = {k: v for k, v in GOOD_CLAIMS.items() if k != tokens.CLAIM_STATUS}
    assert ok(signed(signer, cbor2.dumps(no_status)), trust_list).status_index is None


def test_an_unsupported_algorithm_is_refused(city):
    # Given a token whose protected header names ES384, signed (as ES256) by a trusted key
    signer, trust_list = city
    protected = Sign1Message(phdr={Algorithm: Es384, KID: signer.kid.encode()}).phdr_encoded
    token = signed(signer, cbor2.dumps(GOOD_CLAIMS), protected=protected)
    # Then it is refused before any key is tried
    assert reason(token, trust_list) == "bad_encoding"
    # And a trust list entry cannot name one either
    with pytest.raises(ValueError, match="unsupported algorithm"):
        trusted(signer, alg="ES384")


def test_a_header_without_kid_is_refused(city):
    signer, trust_list = city
    protected = Sign1Message(phdr={Algorithm: tokens._COSE_ALG[signer.alg]}).phdr_encoded
    assert reason(signed(signer, cbor2.dumps(GOOD_CLAIMS), protected=protected), trust_list) == "bad_encoding"


def test_a_zlib_bomb_inside_a_validly_signed_token_is_refused(city):
    # Given a genuinely signed token whose claims inflate far beyond the limit (a real COSE_Sign1 inside)
    signer, trust_list = city
    token = issue(signer, claims={"n": "A" * 50_000})
    assert token.startswith(tokens.PREFIX_ZLIB) and len(token) < 1000
    assert len(zlib.decompress(b45decode(token[4:]))) > tokens.MAX_INFLATED
    # Then it is refused as bad encoding, without inflating it, although its signature is good
    with pytest.raises(VerificationFailed) as failure:
        ok(token, trust_list)
    assert failure.value.reason == "bad_encoding" and "zlib" in failure.value.detail
    # And the same claims under the limit are accepted
    assert ok(issue(signer, claims={"n": "A" * 1000}), trust_list).claims == {"n": "A" * 1000}


def test_a_truncated_compressed_token_is_refused(city):
    signer, trust_list = city
    token = issue(signer, claims={"n": "A" * 1000})
    packed = b45decode(token[4:])
    with pytest.raises(VerificationFailed) as failure:
        ok(tokens.PREFIX_ZLIB + tokens.b45encode(packed[:-6]), trust_list)
    assert failure.value.reason == "bad_encoding" and "zlib" in failure.value.detail


def test_the_prefix_says_whether_the_token_is_compressed(city):
    signer, trust_list = city
    small = issue(signer)
    assert small.startswith(tokens.PREFIX_RAW)
    assert reason(tokens.PREFIX_ZLIB + small[4:], trust_list) == "bad_encoding"
    assert reason("cc1:" + small[4:], trust_list) == "bad_prefix"
    assert reason(small[:3], trust_list) == "bad_prefix"
    assert reason(None, trust_list) == "bad_prefix"


def test_the_returned_claims_are_the_signed_ones(city):
    signer, trust_list = city
    verified = ok(issue(signer, sub="subject-0001", code_type="talent", status_index=9, claims={"l": 2}),
                  trust_list, expected_type="talent")
    assert (verified.issuer, verified.kid, verified.code_type, verified.sub, verified.status_index) == (
        "CC", signer.kid, "talent", "subject-0001", 9)
    assert verified.claims == {"l": 2}
    assert (verified.issued_at.timestamp(), verified.expires_at.timestamp()) == (NOW, NOW + 300)
    assert verified.issued_at.tzinfo == verified.expires_at.tzinfo == dt.UTC


def test_an_eddsa_token_verifies_and_its_forgery_does_not():
    signer = make_signer(tokens.EDDSA)
    trust_list = tokens.TrustList(keys=[trusted(signer)])
    token = issue(signer)
    assert ok(token, trust_list).kid == signer.kid
    forger = tokens.Signer(kid=signer.kid, alg=tokens.EDDSA, private_key=keys.generate(tokens.EDDSA),
                           not_after=signer.not_after)
    assert reason(issue(forger), trust_list) == "bad_signature"


def test_a_revocation_check_uses_the_current_time_when_none_is_given(city):
    signer, trust_list = city
    now = int(time.time())
    fresh = tokens.Signer(kid=signer.kid, alg=signer.alg, private_key=signer.private_key, not_after=now + 3600)
    keyring = tokens.TrustList(keys=[trusted(fresh)])
    assert tokens.verify(issue(fresh, iat=now, exp=now + 60), trust_list=keyring, status_lists=None, now=None).sub
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(issue(fresh, iat=now - 600, exp=now - 300), trust_list=keyring, status_lists=None, now=None)
    assert failure.value.reason == "expired"


def test_a_bit_beyond_the_first_byte_is_read_from_its_own_byte(city):
    # Given subject 9's bit set: byte 1, bit 1 (least significant first)
    signer, trust_list = city
    lists = tokens.StatusLists.of([tokens.StatusList(issuer="CC", list_id="city", bits=bytes([0, 0b10]))])
    # Then subject 9 is revoked and its neighbours (8, 10, and 1 in the first byte) are not
    assert reason(issue(signer, status_index=9), trust_list, status_lists=lists) == "revoked"
    for index in (1, 8, 10, 17):
        assert ok(issue(signer, status_index=index), trust_list, status_lists=lists).status_index == index


# -- what the operator is told (verify_code prints the detail beside the reason) ------------------------------


def detail(token, trust_list) -> tuple[str, str]:
    with pytest.raises(VerificationFailed) as failure:
        ok(token, trust_list)
    return failure.value.reason, failure.value.detail


def test_the_refusal_says_what_was_wrong(city):
    signer, trust_list = city
    no_exp = {k: v for k, v in GOOD_CLAIMS.items() if k != tokens.CLAIM_EXP}
    assert detail(signed(signer, cbor2.dumps(no_exp)), trust_list) == ("bad_encoding", "claims: KeyError")
    assert detail(signed(signer, cbor2.dumps({**GOOD_CLAIMS, 1: 7})), trust_list) == (
        "bad_encoding", "claims have the wrong types")
    es384 = Sign1Message(phdr={Algorithm: Es384, KID: signer.kid.encode()}).phdr_encoded
    assert detail(signed(signer, cbor2.dumps(GOOD_CLAIMS), protected=es384), trust_list) == (
        "bad_encoding", "unsupported algorithm")
    # An unknown kid is named, so the operator can tell which key is missing from the trust list
    assert detail(issue(signer), tokens.TrustList()) == ("unknown_kid", signer.kid)
    token = issue(signer)
    assert detail(b"CC1:", trust_list) == ("bad_prefix", "not text")
    assert detail("HC1:" + token[4:], trust_list) == ("bad_prefix", "'HC1:'")
    assert detail("CC1:" + token[4:].lower(), trust_list) == (
        "bad_encoding", "base45: character outside the Base45 alphabet")
    with pytest.raises(VerificationFailed) as failure:
        ok(token, trust_list, expected_type="talent")
    assert (failure.value.reason, failure.value.detail) == ("wrong_type", "city is not talent")
    with pytest.raises(VerificationFailed) as failure:
        ok(token, trust_list, require_status=True)
    assert (failure.value.reason, failure.value.detail) == ("revoked", "no status list")
    assert str(failure.value) == "revoked: no status list"


def test_an_unknown_kid_that_is_not_text_is_reported_not_crashed_on(city):
    # Given a signed token whose kid bytes are not UTF-8
    signer, trust_list = city
    protected = Sign1Message(phdr={Algorithm: tokens._COSE_ALG[signer.alg], KID: b"\xff\xfeAB"}).phdr_encoded
    token = signed(signer, cbor2.dumps(GOOD_CLAIMS), protected=protected)
    # Then it is refused for its kid, shown with replacement characters
    assert detail(token, trust_list) == ("unknown_kid", "\ufffd\ufffdAB")


def envelope(*members) -> str:
    return tokens.PREFIX_RAW + tokens.b45encode(cbor2.dumps(cbor2.CBORTag(18, list(members))))


def test_each_broken_layer_is_named(city):
    signer, trust_list = city
    claims = cbor2.dumps(GOOD_CLAIMS)
    good_signature = tokens.raw_sign(signer.private_key, signer.alg,
                                     cbor2.dumps(["Signature1", signer.protected, b"", claims]))
    bomb = issue(signer, claims={"n": "A" * 50_000})
    cases = [
        ("CC1:ÄÄÄ", "base45: non-ASCII character"),
        (tokens.PREFIX_ZLIB + bomb[4:], "zlib: truncated or too large"),
        (tokens.PREFIX_ZLIB + tokens.b45encode(zlib.compress(b"x" * 100)[:-5]), "zlib: truncated or too large"),
        # not CBOR at all: the strict envelope parser refuses it before any CBOR decoder sees it
        (tokens.PREFIX_RAW + tokens.b45encode(b"\x1c"), "not a tagged COSE_Sign1"),
        (tokens.PREFIX_RAW + tokens.b45encode(b"\xd2\x84\x43"), "truncated COSE_Sign1"),
        (tokens.PREFIX_RAW + tokens.b45encode(cbor2.dumps([1, 2, 3])), "not a tagged COSE_Sign1"),
        (envelope(signer.protected, {}, claims), "not a tagged COSE_Sign1"),
        # each member of the wrong type, the others right (and the signature genuine)
        (envelope(signer.protected, [], claims, good_signature), "COSE_Sign1 members have the wrong types"),
        (envelope(signer.protected, {}, 5, good_signature), "COSE_Sign1 members have the wrong types"),
        (envelope(signer.protected, {}, claims, "sig"), "COSE_Sign1 members have the wrong types"),
        (envelope(5, {}, claims, good_signature), "COSE_Sign1 members have the wrong types"),
        (envelope(b"\xff", {}, claims, good_signature), "protected header: TypeError"),
    ]
    for token, expected in cases:
        assert detail(token, trust_list) == ("bad_encoding", expected), expected
    # And the genuine envelope the wrong-typed ones were made from verifies
    assert ok(envelope(signer.protected, {}, claims, good_signature), trust_list).sub == "abcdefghijkl"
