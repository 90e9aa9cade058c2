"""The sealed colour (apps/health/purpose_keys.py): an independent COSE library opens it with the right key, no
other key opens it, and nothing in it repeats from one token to the next."""

import datetime as dt
import os

import cbor2
import pytest
from pycose.headers import KID
from pycose.keys import SymmetricKey
from pycose.messages import Enc0Message

from apps.health import purpose_keys

DAY = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def _key(kid="k1day001"):
    return purpose_keys.PurposeKey(kid=kid, key=os.urandom(16), valid_from=DAY, valid_until=DAY + dt.timedelta(days=1))


@pytest.mark.parametrize("colour", purpose_keys.COLOURS)
def test_pycose_decrypts_the_sealed_colour_with_the_purpose_key(colour):
    # given a day's key and a colour sealed under it
    key = _key()
    sealed = purpose_keys.seal(colour, kid=key.kid, key=key.key)
    # when an independent COSE implementation parses and decrypts it
    message = Enc0Message.decode(sealed)
    message.key = SymmetricKey(k=key.key)
    plaintext = message.decrypt()
    # then it is a COSE_Encrypt0 naming the key by kid, and the plaintext is the colour's one-byte code
    assert message.uhdr[KID] == key.kid.encode()
    assert cbor2.loads(plaintext) == purpose_keys.COLOURS.index(colour)
    assert purpose_keys.KeyRing([key]).open(sealed) == colour


def test_a_verifier_without_the_key_cannot_read_the_colour():
    # given a colour sealed under today's key
    key = _key()
    sealed = purpose_keys.seal("red", kid=key.kid, key=key.key)
    # when a verifier holding no key, or another key under the same kid, tries to open it
    with pytest.raises(purpose_keys.SealedColourError):
        purpose_keys.KeyRing([]).open(sealed)
    impostor = purpose_keys.PurposeKey(kid=key.kid, key=os.urandom(16), valid_from=DAY, valid_until=key.valid_until)
    with pytest.raises(purpose_keys.SealedColourError):
        purpose_keys.KeyRing([impostor]).open(sealed)
    # then pycose with a wrong key fails too (the tag does not verify)
    message = Enc0Message.decode(sealed)
    message.key = SymmetricKey(k=impostor.key)
    with pytest.raises(Exception):  # noqa: B017,PT011 - pycose raises cryptography's InvalidTag
        message.decrypt()


def test_two_seals_of_one_colour_share_nothing_but_the_day_s_kid_and_have_one_length_for_every_colour():
    key = _key()
    # given the same colour sealed twice (two tokens of one citizen)
    first, second = (purpose_keys.seal("yellow", kid=key.kid, key=key.key) for _ in range(2))
    m1, m2 = cbor2.loads(first).value, cbor2.loads(second).value
    # then IV and ciphertext differ (nothing to follow from one token to the next)
    assert m1[1][5] != m2[1][5] and m1[2] != m2[2]
    assert first != second
    # and every colour seals to the same length: the size never tells the colour
    assert len({len(purpose_keys.seal(c, kid=key.kid, key=key.key)) for c in purpose_keys.COLOURS}) == 1


def test_a_key_outside_its_validity_does_not_open_and_a_tampered_ciphertext_is_refused():
    key = _key()
    sealed = purpose_keys.seal("green", kid=key.kid, key=key.key)
    ring = purpose_keys.KeyRing([key])
    assert ring.open(sealed, now=DAY + dt.timedelta(hours=3)) == "green"
    with pytest.raises(purpose_keys.SealedColourError):
        ring.open(sealed, now=DAY + dt.timedelta(days=2))
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(purpose_keys.SealedColourError):
        ring.open(tampered)
    for junk in (b"", b"\x00", "text", cbor2.dumps([1, 2, 3]), cbor2.dumps(cbor2.CBORTag(16, [b"", {}, b""]))):
        with pytest.raises(purpose_keys.SealedColourError):
            ring.open(junk)


def test_the_jwk_round_trip_keeps_key_and_validity():
    key = _key()
    jwk = key.to_jwk()
    assert jwk["kty"] == "oct" and jwk["alg"] == "A128GCM" and "k" in jwk
    assert purpose_keys.PurposeKey.from_jwk(jwk) == key
    with pytest.raises(ValueError):
        purpose_keys.PurposeKey.from_jwk({**jwk, "alg": "A256GCM"})
