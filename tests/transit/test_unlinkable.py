"""Two ride codes of one rider (from two certificates, as the wallet page rotates them) share no identifying
value; and an independent COSE library verifies a rider certificate with nothing but the published JWKS."""

import contextlib
import datetime as dt

import cbor2
import cwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cwt import COSEKey
from django.utils import timezone

from apps.codes.plugin_api import b45decode
from apps.transit import ride_code, selectors, services
from apps.transit.models import RideAccount

from .conftest import Phone, jwk_of

pytestmark = pytest.mark.django_db


def _leaves(value, into):
    """Every value inside a code, the nested COSE and CBOR opened up (byte strings that are CBOR included)."""
    if isinstance(value, cbor2.CBORTag):
        _leaves(value.value, into)
    elif isinstance(value, dict):
        for key, item in value.items():
            _leaves(item, into)
    elif isinstance(value, list):
        for item in value:
            _leaves(item, into)
    else:
        into.add(value)
        if isinstance(value, bytes):
            with contextlib.suppress(Exception):
                _leaves(cbor2.loads(value), into)
    return into


def _values(code: str) -> set:
    return _leaves(cbor2.loads(b45decode(code[4:])), set())


def _phone(citizen, operator, at) -> Phone:
    # The wallet page makes a fresh key for every certificate it asks for
    key = ec.generate_private_key(ec.SECP256R1())
    issued = services.certificate_issue(account=RideAccount.objects.get(citizen=citizen), operator=operator,
                                        device_jwk=jwk_of(key), now=at)
    return Phone(key=key, certificate=issued.encoded)


def test_two_codes_of_one_rider_share_nothing_two_riders_do_not_share(rider, operator, make_citizen):
    # Given another rider with the same kind of account (same limit step, same concession)
    other = make_citizen(name="乘客乙")
    services.account_open(citizen=other, mode=RideAccount.Mode.PREPAID)
    RideAccount.objects.filter(citizen=other).update(balance_fen=9999)
    now = timezone.now()
    first = _phone(rider, operator, now)
    # When the rider's next certificate and the other rider's are issued at the same later moment
    later = now + dt.timedelta(minutes=7)
    second, stranger = _phone(rider, operator, later), _phone(other, operator, later)
    at = int(later.timestamp()) + 5
    code_1, code_2 = first.code(at=at - 60), second.code(at=at)
    code_x = stranger.code(at=at)
    # Then whatever the rider's two codes have in common, two different riders' codes have in common too
    shared_by_rider = _values(code_1) & _values(code_2)
    shared_by_strangers = _values(code_1) & _values(code_x)
    assert shared_by_rider <= shared_by_strangers
    # And that is only the public frame: issuer, type, operator, limit step, concession, lifetime, headers
    assert "city-bus" in shared_by_rider and ride_code.CERT_TYPE in shared_by_rider
    certificates = list(selectors.certificate_list(account=RideAccount.objects.get(citizen=rider)))
    assert certificates[0].pseudonym != certificates[1].pseudonym
    assert certificates[0].serial not in "".join(str(v) for v in _values(code_1) | _values(code_2))


def test_no_name_id_number_phone_or_account_number_is_in_a_ride_code(rider, phone):
    leaves = _values(phone.code())
    text = " ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in leaves)
    # Then no text of the rider's is inside, not even within a byte string (small numbers like an account id
    # are everywhere in CBOR labels; the test above shows nothing links two certificates)
    for secret in (rider.name, rider.username, rider.phone, rider.id_masked[:6] + rider.id_masked[-4:]):
        assert secret and secret not in text


def test_an_odd_balance_does_not_become_a_linking_fare_limit(operator, make_citizen, issue_phone):
    citizen = make_citizen(name="乘客丁")
    services.account_open(citizen=citizen, mode=RideAccount.Mode.PREPAID)
    RideAccount.objects.filter(citizen=citizen).update(balance_fen=1234)
    issue_phone(citizen)
    certificate = selectors.certificate_list(account=RideAccount.objects.get(citizen=citizen)).get()
    assert certificate.fare_limit_fen == 1000 and certificate.fare_limit_fen in services.FARE_LIMIT_STEPS


def test_an_independent_cose_library_verifies_the_certificate_with_only_the_jwks(api, phone):
    # Given only the published JWKS, fetched over HTTP
    jwks = api.get("/.well-known/jwks.json").json()
    # When the `cwt` package decodes the certificate inside a ride code with those keys
    certificate = cbor2.loads(cbor2.loads(b45decode(phone.code()[4:])).value[2])[0]
    claims = cwt.decode(certificate, [COSEKey.from_jwk(jwk) for jwk in jwks["keys"]])
    # Then the issuer's signature verifies and the claims are a ride certificate for this operator
    assert claims[1] == "CC" and claims[-1] == ride_code.CERT_TYPE and claims[-10] == "city-bus"
    # And the device key it certifies (cnf, RFC 8747) is the phone's
    assert ride_code.jwk_from_cose_key(claims[8][1]) == jwk_of(phone.key)


def test_the_independent_library_refuses_a_tampered_certificate(api, phone):
    certificate = cbor2.loads(cbor2.loads(cbor2.loads(b45decode(phone.code()[4:])).value[2])[0])
    claims = cbor2.loads(certificate.value[2])
    claims[-12] = 10**6
    certificate.value[2] = cbor2.dumps(claims)
    jwks = api.get("/.well-known/jwks.json").json()
    with pytest.raises(cwt.VerifyError):
        cwt.decode(cbor2.dumps(certificate), [COSEKey.from_jwk(jwk) for jwk in jwks["keys"]])
