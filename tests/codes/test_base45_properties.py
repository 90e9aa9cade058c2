"""Base45 (RFC 9285): properties over generated input, checked against the independent `base45` package."""

import base45
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from apps.codes.base45 import B45_ALPHABET, b45decode, b45encode
from tests.deterministic import deterministic

alphabet_text = st.text(alphabet=B45_ALPHABET, max_size=60)


@deterministic
@given(st.binary(max_size=600))
@example(b"")
@example(b"\x00")
@example(b"\xff\xff")
@example(b"\xff" * 125)
def test_encoding_round_trips_and_agrees_with_the_base45_package(data):
    text = b45encode(data)
    assert text == base45.b45encode(data).decode("ascii")
    assert len(text) == 3 * (len(data) // 2) + 2 * (len(data) % 2)
    assert set(text) <= set(B45_ALPHABET)
    assert b45decode(text) == data == base45.b45decode(text)


@deterministic
@given(alphabet_text)
def test_decoding_accepts_exactly_what_the_base45_package_accepts(text):
    try:
        expected = base45.b45decode(text)
    except ValueError:
        with pytest.raises(ValueError):
            b45decode(text)
    else:
        assert b45decode(text) == expected
        assert b45encode(expected) == text


@deterministic
@given(st.text(max_size=30).filter(lambda t: any(c not in B45_ALPHABET for c in t)))
@example("0a0")
@example("00a")
@example("a00")
@example("0\x000")
@example("０00")  # a full-width digit
def test_any_character_outside_the_alphabet_is_refused(text):
    with pytest.raises(ValueError):
        b45decode(text)


@pytest.mark.parametrize("text", ["0a0", "abc", "00 0a", "A", "GGW", "::::", "ÄÄÄ", "0000"])
def test_invalid_text_is_refused(text):
    # lower case is outside the alphabet; "GGW" is 65536 + ... above 0xFFFF; one leftover character is no byte
    with pytest.raises(ValueError):
        b45decode(text)


@pytest.mark.parametrize(("text", "data"), [("BB8", b"AB"), ("%69 VD92EX0", b"Hello!!"), ("UJCLQE7W581", b"base-45"),
                                            ("FGW", b"\xff\xff"), ("U5", b"\xff"), ("", b"")])
def test_rfc_9285_examples(text, data):
    assert b45encode(data) == text and b45decode(text) == data


@pytest.mark.parametrize(("text", "message"), [
    ("ÄÄÄ", "non-ASCII character"),
    ("0a0", "character outside the Base45 alphabet"),
    ("0000", "Base45 length"),
    ("GGW", "Base45 group out of range"),
    ("V5", "Base45 group out of range"),  # 31 + 45 * 5 = 256: one past the last single byte
    ("::", "Base45 group out of range"),
])
def test_each_refusal_names_its_reason(text, message):
    # (the token verifier passes it on as "base45: <reason>", which verify_code prints)
    with pytest.raises(ValueError) as refused:
        b45decode(text)
    assert str(refused.value) == message


def test_the_last_single_byte_is_accepted():
    assert b45decode("U5") == b"\xff" and b45decode("FGWU5") == b"\xff\xff\xff"


def test_encoding_and_decoding_are_right_with_cold_caches(monkeypatch):
    # The per-length masks are cached per process; the first use of each length must be right too
    from apps.codes import base45 as ours

    monkeypatch.setattr(ours, "_b45_masks", {})
    monkeypatch.setattr(ours, "_b45_decode_masks", {})
    for size in range(0, 70):
        data = bytes((7 * i + size) % 256 for i in range(size))
        text = b45encode(data)
        assert text == base45.b45encode(data).decode("ascii")
        assert b45decode(text) == data
        assert set(ours._b45_decode_masks) >= {size // 2}
