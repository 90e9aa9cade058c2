"""Token decoding never fails in any way but VerificationFailed, and nothing but the signed claims verifies."""

import zlib

import cbor2
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apps.codes import keys, tokens
from apps.codes.base45 import B45_ALPHABET
from apps.codes.tokens import VerificationFailed
from tests.deterministic import deterministic

NOW = 1_900_000_000
_KEY = keys.generate(tokens.ES256)
SIGNER = tokens.Signer(kid=keys.kid_for(keys.public_jwk(_KEY)), alg=tokens.ES256, private_key=_KEY,
                       not_after=NOW + 86_400)
TRUST = tokens.TrustList(keys=[tokens.TrustedKey(issuer="CC", kid=SIGNER.kid, alg=tokens.ES256,
                                                 jwk=keys.public_jwk(_KEY), not_after=SIGNER.not_after)])
STATUS = tokens.StatusLists.of([tokens.StatusList(issuer="CC", list_id="city", bits=b"\x00" * 4)])
RAW = tokens.encode(signer=SIGNER, issuer="CC", sub="abcdefghijkl", code_type="city", iat=NOW, exp=NOW + 300,
                    status_index=3)
ZLIB = tokens.encode(signer=SIGNER, issuer="CC", sub="abcdefghijkl", code_type="city", iat=NOW, exp=NOW + 300,
                     status_index=3, claims={"n": "A" * 200})
assert RAW.startswith(tokens.PREFIX_RAW) and ZLIB.startswith(tokens.PREFIX_ZLIB)


def outcome(token):
    """The claims a token verifies to, or the refusal's reason; any other exception fails the test."""
    try:
        verified = tokens.verify(token, trust_list=TRUST, status_lists=STATUS, now=NOW + 10, require_status=True)
    except VerificationFailed as refused:
        assert refused.reason in tokens.REASONS
        return refused.reason
    return (verified.issuer, verified.sub, verified.code_type, verified.status_index, verified.claims,
            verified.issued_at, verified.expires_at)


ORIGINAL = {RAW: outcome(RAW), ZLIB: outcome(ZLIB)}
assert all(isinstance(value, tuple) for value in ORIGINAL.values())


@deterministic
@given(st.text(max_size=300))
@example("")
@example("CC1:")
@example("CZ1:")
def test_any_text_is_refused_cleanly(text):
    assert isinstance(outcome(text), str)
    assert isinstance(outcome("CC1:" + text), str)


@deterministic
@given(st.binary(max_size=400))
def test_any_bytes_under_either_prefix_are_refused_cleanly(data):
    assert isinstance(outcome(tokens.PREFIX_RAW + tokens.b45encode(data)), str)
    assert isinstance(outcome(tokens.PREFIX_ZLIB + tokens.b45encode(data)), str)
    assert isinstance(outcome(tokens.PREFIX_ZLIB + tokens.b45encode(zlib.compress(data))), str)


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**64), max_value=2**64) | st.floats() | st.binary(max_size=20)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.integers(-5, 5) | st.text(max_size=3), inner,
                                                                   max_size=5),
    max_leaves=6,
)


@settings(deterministic, max_examples=60)
@given(cbor_values, cbor_values, cbor_values, cbor_values)
def test_any_cbor_inside_a_cose_sign1_envelope_is_refused_cleanly(protected, unprotected, payload, signature):
    # Structures that reach the COSE, header and claims parsers, including well-formed members of the wrong type
    for members in ([protected, unprotected, payload, signature],
                    [SIGNER.protected, {}, cbor2.dumps(payload), b"\x00" * 64],
                    [cbor2.dumps(protected), {}, cbor2.dumps(payload), b"\x00" * 64]):
        envelope = cbor2.dumps(cbor2.CBORTag(18, members))
        assert isinstance(outcome(tokens.PREFIX_RAW + tokens.b45encode(envelope)), str)


@deterministic
@given(st.sampled_from([RAW, ZLIB]), st.data())
def test_a_changed_token_never_verifies_to_other_claims(token, data):
    # Given a real token with one to three characters of its Base45 replaced, inserted or deleted
    text = list(token)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        position = data.draw(st.integers(min_value=tokens.PREFIX_LEN, max_value=len(text) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "delete":
            del text[position]
        elif action == "insert":
            text.insert(position, data.draw(st.sampled_from(B45_ALPHABET)))
        else:
            text[position] = data.draw(st.sampled_from(B45_ALPHABET))
    changed = "".join(text)
    # Then it is refused cleanly, or (when the change touched nothing signed) verifies to the very same claims
    result = outcome(changed)
    assert isinstance(result, str) or result == ORIGINAL[token]
