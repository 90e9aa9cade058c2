"""The reader logic (apps/transit/reader.py) refuses every kind of bad ride code, offline, with its reason."""

import time

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from apps.codes.plugin_api import b45decode, b45encode, issuer_signer_active, raw_sign, sig_structure
from apps.transit import reader as reader_logic
from apps.transit import ride_code, selectors, services
from apps.transit.models import RideAccount

pytestmark = pytest.mark.django_db


def _reason(code, package, *, now=None):
    with pytest.raises(reader_logic.Refused) as refusal:
        reader_logic.verify(code, package=package, now=now or time.time())
    return refusal.value.reason


def _sign1_members(code: str) -> list:
    return cbor2.loads(b45decode(code[4:])).value


def _rewrap(members: list) -> str:
    return ride_code.PREFIX + b45encode(cbor2.dumps(cbor2.CBORTag(18, members)))


def test_a_fresh_code_from_the_rider_s_phone_is_accepted_offline(bus_reader, phone, package_of):
    # Given a bus reader that downloaded its package, and a phone holding a certificate
    package = package_of(bus_reader)
    # When the phone signs a code and the reader scans it
    verified = reader_logic.verify(phone.code(), package=package)
    # Then the reader accepts it and learns only the certificate's pseudonym, limit and concession
    assert verified.operator == "city-bus" and verified.device_bound
    assert verified.concession == "none" and verified.fare_limit_fen == 2000
    assert verified.health_colour is None


def test_a_tampered_certificate_is_refused(bus_reader, phone, package_of):
    # Given a code whose certificate was edited to raise the fare limit, then re-signed by the phone
    members = _sign1_members(phone.code())
    certificate_bytes, at, counter = cbor2.loads(members[2])
    certificate = cbor2.loads(certificate_bytes)
    claims = cbor2.loads(certificate.value[2])
    claims[ride_code.CLAIM_LIMIT] = 10**6
    certificate.value[2] = cbor2.dumps(claims)
    forged = ride_code.code_encode_device(certificate=cbor2.dumps(certificate), generated_at=at, counter=counter,
                                          device_key=phone.key)
    # Then the issuer's signature no longer holds
    assert _reason(forged, package_of(bus_reader)) == "bad_certificate_signature"


def test_a_tampered_code_is_refused(bus_reader, phone, package_of):
    # Given a code whose time was moved forward by someone without the phone's key
    members = _sign1_members(phone.code(at=time.time() - 120))
    certificate_bytes, at, counter = cbor2.loads(members[2])
    members[2] = cbor2.dumps([certificate_bytes, int(time.time()), counter])
    # Then the device signature fails
    assert _reason(_rewrap(members), package_of(bus_reader)) == "bad_code_signature"


def test_a_code_signed_by_another_phone_over_this_certificate_is_refused(bus_reader, phone, package_of):
    # Given someone who copied the rider's certificate (it is in every QR) but not the phone's key
    thief = ec.generate_private_key(ec.SECP256R1())
    stolen = ride_code.code_encode_device(certificate=phone.certificate, generated_at=int(time.time()), counter=1,
                                          device_key=thief)
    # Then the reader refuses the code they sign
    assert _reason(stolen, package_of(bus_reader)) == "bad_code_signature"


def test_an_old_code_is_refused_and_a_code_from_the_future_too(bus_reader, phone, package_of):
    package = package_of(bus_reader)
    now = time.time()
    assert _reason(phone.code(at=now - 31), package, now=now) == "code_expired"
    assert _reason(phone.code(at=now + 60), package, now=now) == "not_yet_valid"
    # And a code inside the window is fine
    assert reader_logic.verify(phone.code(at=now - 25), package=package, now=now)


def test_an_expired_certificate_is_refused_even_with_a_fresh_code(bus_reader, phone, package_of):
    # Given the reader's clock past the certificate's expiry (six hours), and a code signed just then
    later = time.time() + services.CERTIFICATE_LIFETIME.total_seconds() + 1
    # Then the certificate is expired
    assert _reason(phone.code(at=later), package_of(bus_reader), now=later) == "certificate_expired"


def test_a_replayed_code_is_refused_by_the_same_seen_list_group(operator, bus_reader, phone, package_of):
    # Given two gates of one station sharing a seen-list, and a third elsewhere
    station, elsewhere = reader_logic.SeenList(), reader_logic.SeenList()
    package = package_of(bus_reader)
    code = phone.code()
    # When the code is accepted at the first gate
    first = reader_logic.tap(code, package=package, seen=station)
    # Then the second gate of the station refuses the same code as a replay
    second = reader_logic.tap(code, package=package, seen=station)
    assert first.accepted and (second.accepted, second.reason) == (False, "replayed")
    # And a new code of the same phone is accepted (a new counter)
    assert reader_logic.tap(phone.code(), package=package, seen=station).accepted
    # And a reader that shares no seen-list with the station has not seen it
    assert reader_logic.tap(code, package=package, seen=elsewhere).accepted


def test_a_replay_with_a_re_encoded_signature_is_still_a_replay(bus_reader, phone, package_of):
    # Given an attacker who turns the code's ECDSA signature (r, s) into its twin (r, n - s): same message,
    # different bytes, still valid
    code = phone.code()
    members = _sign1_members(code)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # the order of P-256
    r, s = members[3][:32], int.from_bytes(members[3][32:], "big")
    members[3] = r + (n - s).to_bytes(32, "big")
    twin = _rewrap(members)
    assert twin != code
    seen, package = reader_logic.SeenList(), package_of(bus_reader)
    # When both are scanned
    assert reader_logic.tap(code, package=package, seen=seen).accepted
    # Then the twin is the same ride: refused as a replay (the seen-list keys on what the phone signed)
    assert reader_logic.tap(twin, package=package, seen=seen).reason == "replayed"


def test_a_code_for_another_operator_is_refused(bus_reader, rider, issue_phone, other_operator, package_of):
    # Given a certificate the rider holds for the metro
    metro_phone = issue_phone(rider, for_operator=other_operator)
    # Then the bus operator's reader refuses it
    assert _reason(metro_phone.code(), package_of(bus_reader)) == "wrong_operator"


def test_a_deny_listed_rider_is_refused_after_the_reader_syncs(bus_reader, rider, phone, package_of):
    # Given a reader with the package of before the debt
    before = package_of(bus_reader)
    assert reader_logic.verify(phone.code(), package=before)
    # When the post-pay charge fails and the account falls into arrears
    account = services.account_arrears_enter(account=RideAccount.objects.get(citizen=rider), reason="charge_failed")
    # Then a reader with the new deltas refuses the rider's code
    package = package_of(bus_reader, since=0)
    assert package.deny_version == before.deny_version + 1
    assert _reason(phone.code(), package) == "deny_listed"
    # And once the debt is paid, the deltas since the reader's version (only the removal) let the rider ride
    services.account_arrears_leave(account=account, detail={"paid_fen": 300})
    update = selectors.reader_package_get(reader=bus_reader, since=package.deny_version)["deny_list"]
    assert [d["action"] for d in update["deltas"]] == ["remove"]
    package.apply_deny_deltas(update["deltas"], version=update["version"])
    assert reader_logic.verify(phone.code(), package=package)


def test_a_fare_above_the_certificate_s_limit_is_refused(bus_reader, make_citizen, issue_phone, package_of):
    # Given a prepaid rider with 1 yuan left, and a reader whose fare is 2 yuan
    citizen = make_citizen(name="乘客乙")
    services.account_open(citizen=citizen, mode=RideAccount.Mode.PREPAID)
    RideAccount.objects.filter(citizen=citizen).update(balance_fen=100)
    package = package_of(bus_reader)
    package.fare_fen = 200
    # Then the reader refuses (the rider must top up first)
    assert _reason(issue_phone(citizen).code(), package) == "over_fare_limit"


def test_a_server_signed_code_is_accepted_and_cannot_be_re_signed_by_a_device(bus_reader, rider, package_of):
    # Given a rider whose device cannot hold a key
    account = RideAccount.objects.get(citizen=rider)
    code, _at = services.server_code_issue(account=account, operator=bus_reader.operator)
    package = package_of(bus_reader)
    # Then the reader accepts the server's code
    assert not reader_logic.verify(code, package=package).device_bound
    # And a code over the same certificate signed by any device key is refused
    certificate = cbor2.loads(_sign1_members(code)[2])[0]
    forged = ride_code.code_encode_device(certificate=certificate, generated_at=int(time.time()), counter=9,
                                          device_key=ec.generate_private_key(ec.SECP256R1()))
    assert _reason(forged, package) == "bad_code_signature"


def test_malformed_codes_are_refused_with_their_own_reasons(bus_reader, phone, package_of):
    package = package_of(bus_reader)
    assert _reason("CC1:ABC", package) == "bad_prefix"
    assert _reason("TR1:!!!", package) == "bad_encoding"
    assert _reason(ride_code.PREFIX + b45encode(cbor2.dumps([1, 2])), package) == "bad_encoding"
    # A certificate signed by a key the reader does not know
    members = _sign1_members(phone.code())
    certificate = cbor2.loads(cbor2.loads(members[2])[0])
    certificate.value[0] = cbor2.dumps({1: -7, 4: b"unknown!"})
    forged = ride_code.code_encode_device(certificate=cbor2.dumps(certificate), generated_at=int(time.time()),
                                          counter=3, device_key=phone.key)
    assert _reason(forged, package) == "unknown_kid"


def test_a_city_token_is_not_a_ride_certificate(bus_reader, phone, package_of):
    # Given a certificate-shaped message the city signed for something else (its type is not transit.cert)
    signer = issuer_signer_active()
    members = _sign1_members(phone.code())
    claims = cbor2.loads(cbor2.loads(cbor2.loads(members[2])[0]).value[2])
    claims[ride_code.CLAIM_TYPE] = "city"
    payload = cbor2.dumps(claims)
    other = cbor2.dumps(cbor2.CBORTag(18, [signer.protected, {}, payload,
                                           raw_sign(signer.private_key, signer.alg,
                                                    sig_structure(signer.protected, payload))]))
    code = ride_code.code_encode_device(certificate=other, generated_at=int(time.time()), counter=4,
                                        device_key=phone.key)
    assert _reason(code, package_of(bus_reader)) == "wrong_type"
