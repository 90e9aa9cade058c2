"""One canonical form per code (issue 7, finding 11): every other spelling of a real token is refused with a
typed reason, and every token carries a unique id (cti)."""

import datetime as dt
import time
import zlib

import cbor2
import pytest

from apps.codes import selectors, services, tokens
from apps.codes.tokens import VerificationFailed

pytestmark = pytest.mark.django_db

FIVE_MINUTES = dt.timedelta(minutes=5)
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _cose(token: str) -> bytes:
    data = tokens.b45decode(token[4:])
    return zlib.decompress(data) if token.startswith(tokens.PREFIX_ZLIB) else data


def _parts(token: str) -> list:
    return cbor2.loads(_cose(token)).value


def _cc1(cose: bytes) -> str:
    return tokens.PREFIX_RAW + tokens.b45encode(cose)


def _refusal(token: str) -> VerificationFailed:
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(token, trust_list=selectors.live_trust_list_get(), status_lists=selectors.live_status_lists_get(),
                      now=time.time())
    return failure.value


@pytest.fixture
def city(make_citizen):
    return services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES).token


@pytest.fixture
def compressed(make_citizen):
    """A token long enough that the encoder compresses it."""
    token = services.token_issue(citizen=make_citizen(), code_type="licence", claims={"n": "A" * 120},
                                 lifetime=FIVE_MINUTES).token
    assert token.startswith(tokens.PREFIX_ZLIB)
    return token


def _high_s(token):
    protected, unprotected, payload, signature = _parts(token)
    s = int.from_bytes(signature[32:], "big")
    mirrored = signature[:32] + (P256_N - s).to_bytes(32, "big")
    return _cc1(cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, mirrored])))


def _needless_compression(token):
    return tokens.PREFIX_ZLIB + tokens.b45encode(zlib.compress(_cose(token), 9))


def _bytes_after_the_cbor(token):
    return _cc1(_cose(token) + b"\x00")


def _junk_after_the_zlib_stream(token):
    return tokens.PREFIX_ZLIB + tokens.b45encode(tokens.b45decode(token[4:]) + b"junk")


def _junk_in_the_unprotected_header(token):
    protected, _unprotected, payload, signature = _parts(token)
    return _cc1(cbor2.dumps(cbor2.CBORTag(18, [protected, {4: b"junk"}, payload, signature])))


def _indefinite_length_array(token):
    cose = _cose(token)
    assert cose[:2] == b"\xd2\x84"
    return _cc1(b"\xd2\x9f" + cose[2:] + b"\xff")


def _surrounding_whitespace(token):
    return f" {token}\n"


# (re-encoding, which token it starts from, the typed reason's detail)
RE_ENCODINGS = [
    (_high_s, "city", "high_s"),
    (_needless_compression, "city", "needless_compression"),
    (_bytes_after_the_cbor, "city", "trailing_bytes"),
    (_junk_after_the_zlib_stream, "compressed", "trailing_zlib"),
    (_junk_in_the_unprotected_header, "city", "unprotected_header"),
    (_indefinite_length_array, "city", "indefinite_length"),
    (_surrounding_whitespace, "city", "whitespace"),
]


@pytest.mark.parametrize(("re_encode", "source", "detail"), RE_ENCODINGS, ids=[r[2] for r in RE_ENCODINGS])
def test_each_re_encoding_of_a_real_code_is_refused_with_a_typed_reason(request, re_encode, source, detail):
    # Given a real code that verifies
    token = request.getfixturevalue(source)
    tokens.verify(token, trust_list=selectors.live_trust_list_get(), status_lists=None, now=time.time())
    # When it is spelled another way (the same claims and the same valid signature underneath)
    other = re_encode(token)
    assert other != token
    # Then the other spelling is refused as non-canonical, naming the rule it broke
    refusal = _refusal(other)
    assert (refusal.reason, refusal.detail) == ("non_canonical", detail)
    assert detail in tokens.NON_CANONICAL


@pytest.mark.parametrize(("re_encode", "detail"), [(r[0], r[2]) for r in RE_ENCODINGS if r[1] == "city"],
                         ids=[r[2] for r in RE_ENCODINGS if r[1] == "city"])
def test_the_scan_refuses_every_re_encoding(make_org, make_citizen, re_encode, detail):
    from rest_framework.test import APIClient

    from apps.identity import services as identity_services

    # Given a verifier and a re-encoded real city code
    org = make_org("gate")
    _client, key = identity_services.api_client_create(organization=org, name="gate-1")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    token = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES).token
    # When it is scanned
    response = api.post("/api/v1/scan", {"token": re_encode(token), "purpose": "venue.entry"}, format="json")
    # Then it is a 400 with the typed reason (never a 500, never a disclosure)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "non_canonical"


def test_the_canonical_form_still_verifies(city, compressed):
    for token in (city, compressed):
        assert tokens.verify(token, trust_list=selectors.live_trust_list_get(), status_lists=None, now=time.time())


def test_an_ecdsa_signature_is_always_issued_low_s(make_citizen):
    # Given many issued tokens (a random signature has a high S half of the time)
    citizen = make_citizen()
    for _ in range(24):
        token = services.token_issue(citizen=citizen, code_type="city", lifetime=FIVE_MINUTES).token
        # Then every one is low-S, and verifies
        assert int.from_bytes(_parts(token)[3][32:], "big") <= P256_N // 2
        selectors.verified_token_get(token=token)


def test_every_token_carries_a_unique_id(make_citizen):
    # Given tokens of one and of several citizens
    citizen = make_citizen()
    issued = [services.token_issue(citizen=citizen, code_type="city", lifetime=FIVE_MINUTES) for _ in range(20)]
    issued.append(services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES))
    # Then each carries a cti (CWT claim 7) of its own, which the verifier reports
    ctis = [tokens.token_fields(item.token)[7] for item in issued]
    assert all(isinstance(cti, bytes) and len(cti) == tokens.CTI_BYTES for cti in ctis)
    assert len(set(ctis)) == len(ctis)
    assert selectors.verified_token_get(token=issued[0].token).cti == issued[0].cti


# -- finding 14: a malformed trusted key is a typed refusal, never ValueError/OSError ---------------------


def _key_entry(signer, **changes):
    jwk = selectors.jwks_get()["keys"]
    (own,) = [key for key in jwk if key["kid"] == signer.kid]
    entry = {"iss": "CC", "kid": signer.kid, "alg": signer.alg,
             "jwk": {name: own[name] for name in ("kty", "crv", "x", "y")}, "nbf": 0}
    entry.update(changes)
    return entry


def test_a_trusted_key_without_expiry_gives_a_typed_refusal_for_a_far_future_token():
    # Given a trust list whose key entry has no expiry
    signer = services.issuer_key_active()
    trust_list = tokens.TrustList.from_json([_key_entry(signer)])
    # And a token signed by that key whose exp lies beyond what a datetime can hold
    far = tokens.Signer(kid=signer.kid, alg=signer.alg, private_key=signer.private_key, not_after=2**40)
    token = tokens.encode(signer=far, issuer="CC", sub="AAAAAAAA", code_type="city", iat=int(time.time()),
                          exp=2**40)
    # When verified, then the failure is the typed one
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(token, trust_list=trust_list, status_lists=None, now=time.time())
    assert failure.value.reason == "bad_encoding"


@pytest.mark.parametrize("broken", [{"not_after": None}, {"not_before": "yesterday"}, {"public_key": "nope"}])
def test_a_malformed_trusted_key_entry_gives_a_typed_refusal(city, broken):
    # Given a trust list whose only key is malformed after parsing (a device's own bug, a hand-made list)
    (key,) = [item for item in selectors.live_trust_list_get().keys if item.issuer == "CC"]
    damaged = tokens.TrustedKey(issuer=key.issuer, kid=key.kid, alg=key.alg, jwk=key.jwk,
                                not_before=key.not_before, not_after=key.not_after)
    for name, value in broken.items():
        setattr(damaged, name, value)
    # When a real token is verified against it, then the refusal is typed
    with pytest.raises(VerificationFailed) as failure:
        tokens.verify(city, trust_list=tokens.TrustList(keys=[damaged]), status_lists=None, now=time.time())
    assert failure.value.reason in {"unknown_kid", "bad_signature"}
