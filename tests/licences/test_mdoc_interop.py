"""An independent COSE library (pycose) verifies both signatures of a presentation with nothing but the city's
published JWK and the device key inside the signed MSO; and the presentation is not a city-code token."""

import cbor2
import pytest
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from apps.codes import selectors as codes_selectors
from apps.codes import tokens
from apps.licences import mdoc, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def presented(licence, police, alice):
    request = services.presentation_request_create(verifier=police, licence_type=licence.licence_type,
                                                   purpose="licence.traffic_check")
    return request, services.presentation_create(citizen=alice, nonce=request.nonce, elements=["vehicle_class"]).text


def test_pycose_verifies_the_issuer_and_the_device_signature(presented):
    request, text = presented
    document = cbor2.loads(mdoc.decode(text))
    # The issuer's signature, with the JWKS entry named by the kid
    issuer_auth = Sign1Message.decode(document["issuerSigned"]["issuerAuth"].value)
    from pycose.headers import KID

    kid = issuer_auth.phdr[KID].decode()
    jwk = next(k for k in codes_selectors.jwks_get()["keys"] if k["kid"] == kid)
    issuer_auth.key = EC2Key.from_dict({1: 2, -1: 1, -2: tokens.b64u_decode(jwk["x"]),
                                        -3: tokens.b64u_decode(jwk["y"])})
    assert issuer_auth.verify_signature()
    # The device signature over the request (detached payload), with the device key the issuer signed
    mso = cbor2.loads(cbor2.loads(issuer_auth.payload).value)
    device = Sign1Message.from_cose_obj(list(document["deviceSignature"]), allow_unknown_attributes=False)
    device.key = EC2Key.from_dict(mso["deviceKeyInfo"]["deviceKey"])
    transcript = mdoc.session_transcript(purpose=request.purpose, verifier=request.verifier.slug, nonce=request.nonce)
    detached = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(
        ["DeviceAuthentication", transcript, document["docType"], cbor2.CBORTag(24, cbor2.dumps({}))])))
    assert device.verify_signature(detached_payload=detached)
    # And with another nonce pycose refuses it too
    other = mdoc.session_transcript(purpose=request.purpose, verifier=request.verifier.slug, nonce="x")
    wrong = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(
        ["DeviceAuthentication", other, document["docType"], cbor2.CBORTag(24, cbor2.dumps({}))])))
    assert not device.verify_signature(detached_payload=wrong)


def test_a_presentation_is_refused_as_a_city_code_and_a_city_code_as_a_presentation(presented, alice):
    request, text = presented
    with pytest.raises(tokens.VerificationFailed):
        codes_selectors.verified_token_get(token=text)
    from apps.codes import wallet

    city_code = wallet.held_code_issue(citizen=alice, code_type="licence").issued.token
    from apps.codes.plugin_api import DomainError

    with pytest.raises(DomainError) as refused:
        services.presentation_check(request=request, text=city_code)
    assert refused.value.code == "bad_prefix"


@pytest.mark.parametrize("purpose, verifier, nonce, doc_type", [
    ("licence.traffic_check", "traffic-patrol", "n" * 22, "cn.citycode.licence.JSZC1"),
    ("p", "v", "", "d"),
    ("酒店入住登记" * 3, "x" * 64, "y" * 300, "cn.citycode.licence." + "Z" * 16),
])
def test_the_hand_written_device_authentication_is_cbor2_s(purpose, verifier, nonce, doc_type):
    expected = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(
        ["DeviceAuthentication", mdoc.session_transcript(purpose=purpose, verifier=verifier, nonce=nonce), doc_type,
         cbor2.CBORTag(24, cbor2.dumps({}))])))
    assert mdoc._device_auth_bytes(doc_type=doc_type, purpose=purpose, verifier=verifier, nonce=nonce) == expected


def test_every_refusal_reason_is_an_error_code_with_a_message():
    from apps.licences.errors import LicencesErrorCode

    assert {LicencesErrorCode.of(reason).value for reason in mdoc.REASONS} == set(mdoc.REASONS)
    assert set(services.REFUSALS) == set(mdoc.REASONS)


def test_decoding_refuses_a_zlib_bomb_bad_base45_and_an_unknown_key(presented):
    import zlib

    from apps.codes.plugin_api import b45encode

    request, text = presented
    bomb = mdoc.PREFIX_ZLIB + b45encode(zlib.compress(b"\x00" * 200_000))
    for broken in (bomb, "LC1:@@@", "LZ1:" + b45encode(b"not zlib"), "LC1:" + b45encode(b"\xff\xff")):
        with pytest.raises(mdoc.PresentationRefused) as refused:
            mdoc.presentation_verify(broken, trust_list=tokens.TrustList(), status_lists=None, nonce="n",
                                     purpose="p", verifier="v", now=request.created_at)
        assert refused.value.reason == "bad_encoding"
    with pytest.raises(mdoc.PresentationRefused) as refused:
        mdoc.presentation_verify(text, trust_list=tokens.TrustList(), status_lists=None, nonce=request.nonce,
                                 purpose=request.purpose, verifier=request.verifier.slug, now=request.created_at)
    assert refused.value.reason == "unknown_kid"
