"""Issuing and verifying citycode tokens: layout, size, claims, and the independent COSE check."""

import datetime as dt
import time
import zlib

import cbor2
import pytest
from django.test import override_settings

from apps.codes import keys, selectors, services, tokens
from apps.codes.base45 import B45_ALPHABET
from apps.codes.tokens import VerificationFailed

pytestmark = pytest.mark.django_db

CITY = "city"
FIVE_MINUTES = dt.timedelta(minutes=5)


def test_city_code_fits_200_characters_and_is_pure_base45(make_citizen):
    # Given a citizen
    citizen = make_citizen()
    # When the city code is issued
    issued = services.token_issue(citizen=citizen, code_type=CITY, lifetime=FIVE_MINUTES)
    # Then it is short, starts with the prefix, and uses only the QR alphanumeric alphabet
    assert len(issued.token) <= 200
    assert issued.token.startswith(tokens.PREFIX_RAW)
    assert set(issued.token) <= set(B45_ALPHABET)
    # And it verifies against the live trust list
    verified = selectors.verified_token_get(token=issued.token, expected_type=CITY)
    assert verified.sub == issued.sub
    assert verified.code_type == CITY
    assert verified.status_index is issued.status_index is None
    assert verified.claims == {}
    assert selectors.token_subject_get(verified=verified) == citizen


def test_claims_layout_and_pseudonym(make_citizen):
    # Given a citizen with an ID number and a name
    citizen = make_citizen(name="李四")
    # When a token with claims is issued
    issued = services.token_issue(citizen=citizen, code_type="talent", claims={"l": 2}, lifetime=FIVE_MINUTES)
    fields = tokens.token_fields(issued.token)
    # Then the CWT claims use the documented keys
    assert fields[tokens.CLAIM_ISS] == "CC"
    assert fields[tokens.CLAIM_SUB] == issued.sub
    assert fields[tokens.CLAIM_TYPE] == "talent"
    assert fields[tokens.CLAIM_CLAIMS] == {"l": 2}
    assert tokens.CLAIM_STATUS not in fields  # a rotating code carries no status index
    assert fields[tokens.CLAIM_CTI] == issued.cti and len(issued.cti) == tokens.CTI_BYTES
    assert fields[tokens.CLAIM_EXP] - fields[tokens.CLAIM_IAT] == 300
    # And the subject is a handle, never the name or the ID number, and differs per code type
    assert citizen.name not in issued.token and citizen.name.encode() not in cbor2.dumps(fields)
    city = services.token_issue(citizen=citizen, code_type=CITY, lifetime=FIVE_MINUTES)
    assert city.sub != issued.sub
    assert len(issued.sub) == 8


def test_rotation_gives_a_fresh_handle_and_id_that_resolve_to_the_same_citizen(make_citizen):
    # Given a citizen who already holds a city code
    citizen = make_citizen()
    first = services.token_issue(citizen=citizen, code_type=CITY, lifetime=FIVE_MINUTES)
    # When the code rotates
    second = services.token_issue(citizen=citizen, code_type=CITY, lifetime=FIVE_MINUTES)
    # Then the handle and the id are new, and the city still resolves both to the citizen
    assert first.sub != second.sub and first.cti != second.cti
    for issued in (first, second):
        assert selectors.token_subject_get(verified=selectors.verified_token_get(token=issued.token)) == citizen


# The Base45 cross-check with the base45 package is a deterministic property test: test_base45_properties.py.


def test_zlib_is_used_only_when_it_shrinks(make_citizen):
    # Given claims that compress well
    citizen = make_citizen()
    issued = services.token_issue(citizen=citizen, code_type="licence", claims={"n": "A" * 120},
                                  lifetime=FIVE_MINUTES)
    # Then the compressed prefix is used, the token is shorter than raw, and it verifies
    assert issued.token.startswith(tokens.PREFIX_ZLIB)
    raw = zlib.decompress(tokens.b45decode(issued.token[4:]))
    assert len(issued.token) < 4 + len(tokens.b45encode(raw))
    assert selectors.verified_token_get(token=issued.token).claims == {"n": "A" * 120}


def test_exp_never_exceeds_the_signing_key_validity(make_citizen):
    # Given an active key
    citizen = make_citizen()
    signer = services.issuer_key_active()
    # When a token is asked for a lifetime longer than the key's remaining validity
    issued = services.token_issue(citizen=citizen, code_type=CITY, lifetime=dt.timedelta(days=5000))
    # Then its expiry is the key's end of validity
    assert int(issued.expires_at.timestamp()) == signer.not_after


@override_settings(CITYCODE_KEY_ALGORITHM="EdDSA")
def test_eddsa_keys_issue_and_verify(make_citizen):
    # Given the city configured for EdDSA (its key rotated to the new algorithm)
    services.issuer_keys_rotate(force=True)
    issued = services.token_issue(citizen=make_citizen(), code_type=CITY, lifetime=FIVE_MINUTES)
    # Then the token verifies and the JWKS publishes an OKP key
    assert selectors.verified_token_get(token=issued.token).kid == issued.kid
    assert [key["kty"] for key in selectors.jwks_get()["keys"] if key["kid"] == issued.kid] == ["OKP"]
    assert len(issued.token) <= 200


def test_bad_input_is_refused(make_citizen):
    citizen = make_citizen()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.token_issue(citizen=citizen, code_type="Bad Type!", lifetime=FIVE_MINUTES)
    assert refused.value.error_dict["code_type"][0].code == "invalid"
    with pytest.raises(ValidationError) as refused:
        services.token_issue(citizen=citizen, code_type=CITY, lifetime=dt.timedelta(0))
    assert refused.value.error_dict["lifetime"][0].code == "invalid"
    with pytest.raises(ValidationError) as refused:
        services.token_issue(citizen=citizen, code_type=CITY, claims={"x": object()}, lifetime=FIVE_MINUTES)
    assert refused.value.error_dict["claims"][0].code == "invalid"


def test_pure_verify_needs_no_database(make_citizen, django_assert_num_queries):
    # Given a token and the trust list and status lists as JSON a reader would download
    issued = services.token_issue(citizen=make_citizen(), code_type=CITY, lifetime=FIVE_MINUTES)
    trust_list = tokens.TrustList.from_json(selectors.trust_list_payload_get())
    status_lists = selectors.live_status_lists_get()
    # When verified with the pure function
    with django_assert_num_queries(0):
        verified = tokens.verify(issued.token, trust_list=trust_list, status_lists=status_lists, now=time.time())
    # Then it passes without touching the database
    assert verified.sub == issued.sub
    with pytest.raises(VerificationFailed):
        tokens.verify(issued.token, trust_list=tokens.TrustList(), status_lists=None, now=None)
    assert issued.kid in {keys.kid_for(key) for key in selectors.jwks_get()["keys"]}


def test_issued_cose_bytes_are_exactly_what_pycose_builds():
    # Given an Ed25519 key (deterministic signatures, so whole messages can be compared)
    private_key = keys.generate(tokens.EDDSA)
    signer = tokens.Signer(kid=keys.kid_for(keys.public_jwk(private_key)), alg=tokens.EDDSA,
                           private_key=private_key, not_after=2_000_000_000)
    # When a token is encoded by our issuing path
    token = tokens.encode(signer=signer, issuer="CC", sub="abcdefghijkl", code_type="city", iat=1_800_000_000,
                          exp=1_800_000_300, status_index=7)
    cose = tokens.b45decode(token[4:])
    payload = cbor2.loads(cose).value[2]
    # Then pycose's Sign1Message produces the same bytes for the same payload
    assert cose == tokens.encode_with_pycose(signer=signer, payload=payload)


def test_parsing_agrees_with_pycose(make_citizen):
    # Given an issued token
    issued = services.token_issue(citizen=make_citizen(), code_type="city", lifetime=FIVE_MINUTES)
    cose = tokens.b45decode(issued.token[4:])
    # When both pycose and our reader parse it
    from pycose.headers import KID
    from pycose.messages import Sign1Message

    reference = Sign1Message.decode(cose)
    ours = tokens._decode_message(issued.token)
    # Then they see the same kid, payload, signature, and the same bytes to be signed
    assert ours.kid == reference.phdr[KID] == issued.kid.encode()
    assert (ours.payload, ours.signature) == (reference.payload, reference.signature)
    assert ours.to_be_signed() == reference._create_sig_structure()
