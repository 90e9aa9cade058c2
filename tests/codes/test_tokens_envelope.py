"""The strict reader behind tokens.verify, branch by branch (issue 15): every other spelling of a genuinely signed
token is refused with its exact reason and detail, and the one canonical spelling is accepted.

Pure functions: a key made here, a trust list built by hand, no database. The envelopes are written byte by byte
around a real signature, so only the spelling is wrong: a check that is lost, loosened, moved by one byte or
answered with another reason fails here.
"""

import datetime as dt
import random
import zlib

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.codes import keys, tokens
from apps.codes.tokens import VerificationFailed
from tests.deterministic import deterministic

NOW = 1_900_000_000
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_N = P256_N // 2


def make_signer(alg=tokens.ES256):
    private_key = keys.generate(alg)
    return tokens.Signer(kid=keys.kid_for(keys.public_jwk(private_key)), alg=alg, private_key=private_key,
                         not_after=NOW + 86_400)


def trusted(signer, **changes):
    fields = dict(issuer="CC", kid=signer.kid, alg=signer.alg, jwk=keys.public_jwk(signer.private_key),
                  not_after=signer.not_after)
    fields.update(changes)
    return tokens.TrustedKey(**fields)


SIGNER = make_signer()
TRUST = tokens.TrustList(keys=[trusted(SIGNER)])
CLAIMS = {1: "CC", 2: "abcdefgh", 4: NOW + 300, 6: NOW, 7: b"cti-0001", -1: "city"}
PAYLOAD = cbor2.dumps(CLAIMS)  # 43 bytes: a one-byte length head (0x58 0x2b)
WHOLE = ("CC", "abcdefgh", "city", None, {}, NOW, NOW + 300)  # what verify() returns for CLAIMS


def sign(payload=PAYLOAD, *, signer=SIGNER, protected=None):
    protected = signer.protected if protected is None else protected
    return tokens.raw_sign(signer.private_key, signer.alg, tokens.sig_structure(protected, payload))


def head(major: int, length: int, size: int) -> bytes:
    """A CBOR head of ``major`` type for ``length``, written in exactly ``size`` bytes (1, 2, 3, 5 or 9)."""
    if size == 1:
        return bytes((major << 5 | length,))
    info = {2: 24, 3: 25, 5: 26, 9: 27}[size]
    return bytes((major << 5 | info,)) + length.to_bytes(size - 1, "big")


def bstr(data: bytes, size: int | None = None) -> bytes:
    """A byte string with a chosen head size (None: the minimal one, as the encoder writes it)."""
    return tokens._bstr(data) if size is None else head(2, len(data), size) + data


def cose(*, protected=None, unprotected=b"\xa0", payload=None, signature=None, start=b"\xd2\x84",
         sizes=(None, None, None), after=b"") -> bytes:
    """A COSE_Sign1 around a real signature of ``payload``; every piece can be spelled another way."""
    protected = SIGNER.protected if protected is None else protected
    payload = PAYLOAD if payload is None else payload
    signature = sign(payload, protected=protected) if signature is None else signature
    return (start + bstr(protected, sizes[0]) + unprotected + bstr(payload, sizes[1]) + bstr(signature, sizes[2])
            + after)


def cc1(data: bytes) -> str:
    return tokens.PREFIX_RAW + tokens.b45encode(data)


def cz1(data: bytes) -> str:
    return tokens.PREFIX_ZLIB + tokens.b45encode(zlib.compress(data, 9))


def verify(token, **kw):
    kw.setdefault("trust_list", TRUST)
    kw.setdefault("status_lists", None)
    kw.setdefault("now", NOW + 10)
    verified = tokens.verify(token, **kw)
    return (verified.issuer, verified.sub, verified.code_type, verified.status_index, verified.claims,
            verified.iat, verified.exp)


def refusal(token, **kw) -> tuple[str, str]:
    with pytest.raises(VerificationFailed) as failure:
        verify(token, **kw)
    return failure.value.reason, failure.value.detail


def incompressible(size: int, seed: int = 15) -> bytes:
    return random.Random(seed).randbytes(size)  # noqa: S311 - test data, fixed seed


def payload_of_length(length: int, *, filler="random") -> bytes | None:
    """Valid claims whose CBOR is exactly ``length`` bytes, padded with incompressible bytes or with "A"s."""
    base = len(cbor2.dumps({**CLAIMS, -2: {"p": b""}}))
    for pad in range(max(0, length - base - 4), length):
        value = incompressible(pad) if filler == "random" else "A" * pad
        payload = cbor2.dumps({**CLAIMS, -2: {"p": value}})
        if len(payload) == length:
            return payload
    return None  # a length the heads skip (a text string's head grows by a byte at 24 and at 256 characters)


def claims_of(payload: bytes) -> tuple:
    fields = cbor2.loads(payload)
    return ("CC", "abcdefgh", "city", None, fields.get(-2, {}), NOW, NOW + 300)


# -- the canonical spelling ---------------------------------------------------------------------------------------


def test_the_canonical_envelope_written_by_hand_is_what_the_encoder_writes_and_verifies():
    # Given the envelope written here with minimal heads, and the encoder's token for the same claims
    data = cose()
    # Then both spell the COSE_Sign1 the same way, and it verifies to exactly the signed claims
    issued = tokens.encode(signer=SIGNER, issuer="CC", sub="abcdefgh", code_type="city", iat=NOW, exp=NOW + 300,
                           cti=b"cti-0001")
    assert tokens.b45decode(issued[4:])[:-64] == data[:-64]
    assert verify(cc1(data)) == WHOLE == verify(issued)


# -- the envelope's own head: tag 18, an array of four -------------------------------------------------------------


@pytest.mark.parametrize(("start", "expected"), [
    (b"\xd8\x12\x84", ("non_canonical", "non_minimal_length")),  # tag 18 in two bytes
    (b"\xd2\x98\x04", ("non_canonical", "non_minimal_length")),  # the array's length in two bytes
    (b"\xd2\x9f", ("non_canonical", "indefinite_length")),  # an indefinite array (closed by 0xff below)
    (b"\x84", ("bad_encoding", "not a tagged COSE_Sign1")),  # untagged
    (b"\xd1\x84", ("bad_encoding", "not a tagged COSE_Sign1")),  # tag 17: COSE_Mac0
    (b"\xd9\x00\x12\x84", ("bad_encoding", "not a tagged COSE_Sign1")),  # tag 18 in three bytes
    (b"\xd2\x83", ("bad_encoding", "not a tagged COSE_Sign1")),  # three members
    (b"\xd2\x85", ("bad_encoding", "not a tagged COSE_Sign1")),  # five members
    (b"\xd2\x98\x05", ("bad_encoding", "not a tagged COSE_Sign1")),  # a long head, but not four members
    (b"\xd3\x84", ("bad_encoding", "not a tagged COSE_Sign1")),
], ids=lambda value: value.hex() if isinstance(value, bytes) else value[0])
def test_the_envelope_head_has_one_spelling(start, expected):
    # Given a real signature inside an envelope whose first bytes are spelled this way
    after = b"\xff" if start.endswith(b"\x9f") else b""
    # Then it is refused with exactly this reason and detail
    assert refusal(cc1(cose(start=start, after=after))) == expected


@pytest.mark.parametrize("data", [b"", b"\xd2", b"\xd2\x84"], ids=["empty", "tag_only", "no_members"])
def test_an_envelope_cut_before_its_first_member_is_refused(data):
    expected = ("bad_encoding", "truncated COSE_Sign1") if data == b"\xd2\x84" else (
        "bad_encoding", "not a tagged COSE_Sign1")
    assert refusal(cc1(data)) == expected


# -- the unprotected header: an empty map and nothing else ---------------------------------------------------------


@pytest.mark.parametrize(("unprotected", "expected"), [
    (b"\xa1\x04\x41\x00", ("non_canonical", "unprotected_header")),  # {4: h'00'}: junk in it
    (b"\xbf\xff", ("non_canonical", "unprotected_header")),  # an empty map of indefinite length
    (b"\xb8\x00", ("non_canonical", "unprotected_header")),  # an empty map with a two-byte head
    (b"\xb7" + bytes(range(46)), ("non_canonical", "unprotected_header")),  # the last one-byte map head
    (b"\x80", ("bad_encoding", "COSE_Sign1 members have the wrong types")),  # an array
    (b"\x9f\xff", ("bad_encoding", "COSE_Sign1 members have the wrong types")),  # major 4, just below maps
    (b"\xc0\x00", ("bad_encoding", "COSE_Sign1 members have the wrong types")),  # major 6, just above
    (b"\x40", ("bad_encoding", "COSE_Sign1 members have the wrong types")),  # a byte string
    (b"\xf6", ("bad_encoding", "COSE_Sign1 members have the wrong types")),  # null
    (b"\x00", ("bad_encoding", "COSE_Sign1 members have the wrong types")),
], ids=lambda value: value.hex()[:8] if isinstance(value, bytes) else value[0])
def test_the_unprotected_header_is_an_empty_map(unprotected, expected):
    assert refusal(canonical(cose(unprotected=unprotected))) == expected


def test_an_envelope_that_ends_after_its_protected_header_is_truncated():
    data = cose()
    cut = 2 + len(bstr(SIGNER.protected))
    assert refusal(cc1(data[:cut])) == ("bad_encoding", "truncated COSE_Sign1")
    assert refusal(cc1(data[:cut + 1])) == ("bad_encoding", "truncated COSE_Sign1")  # after the empty map


# -- byte string heads: minimal and definite, for each member ------------------------------------------------------

MEMBERS = ("protected", "payload", "signature")


@pytest.mark.parametrize("member", MEMBERS)
def test_a_member_with_a_needlessly_long_head_is_refused(member):
    # Given the same envelope with one member's length written in more bytes than needed
    content = {"protected": SIGNER.protected, "payload": PAYLOAD, "signature": sign()}[member]
    minimal = len(bstr(content)) - len(content)
    sizes = {name: None for name in MEMBERS}
    for size in (2, 3):
        sizes[member] = size
        token = cc1(cose(sizes=tuple(sizes.values())))
        if size == minimal:  # the canonical head itself (the payload and the signature are 24 to 255 bytes)
            assert verify(token) == WHOLE
            continue
        # Then it is refused as a non-minimal length
        assert refusal(token) == ("non_canonical", "non_minimal_length"), size
    # And with a four- or eight-byte head as longer than any token may be
    for size in (5, 9):
        sizes[member] = size
        assert refusal(cc1(cose(sizes=tuple(sizes.values())))) == ("bad_encoding", "COSE_Sign1 member too long")


@pytest.mark.parametrize("member", MEMBERS)
def test_a_member_of_indefinite_length_is_refused(member):
    # Given one member written as an indefinite byte string of one definite chunk
    pieces = {"protected": SIGNER.protected, "payload": PAYLOAD, "signature": sign()}
    chunked = b"\x5f" + bstr(pieces[member]) + b"\xff"
    data = b"\xd2\x84" + b"".join(
        (chunked if name == member else bstr(pieces[name])) + (b"\xa0" if name == "protected" else b"")
        for name in MEMBERS)
    assert refusal(cc1(data)) == ("non_canonical", "indefinite_length")


@pytest.mark.parametrize("info", [28, 29, 30])
def test_a_reserved_length_head_is_refused(info):
    data = b"\xd2\x84" + bytes((0x40 | info,)) + SIGNER.protected
    assert refusal(cc1(data)) == ("bad_encoding", "COSE_Sign1 member too long")


@pytest.mark.parametrize(("wrong", "where"), [
    (b"\x05", "protected"), (b"\x6d" + b"x" * 13, "protected"), (b"\xa0", "protected"),
    (b"\x78\x2b" + b"x" * 43, "payload"), (b"\x80", "payload"), (b"\x20", "payload"),
    (b"\x78\x40" + b"s" * 64, "signature"), (b"\xf6", "signature"), (b"\x9f\xff", "signature"),
    (b"\x60", "signature"), (b"\xc2\x41\x00", "signature"),
], ids=lambda value: value.hex() if isinstance(value, bytes) else value)
def test_a_member_of_another_type_is_refused(wrong, where):
    # Given one member that is not a byte string (a text string of the same bytes, an int, a map...)
    protected = wrong if where == "protected" else bstr(SIGNER.protected)
    payload = wrong if where == "payload" else bstr(PAYLOAD)
    signature = wrong if where == "signature" else bstr(sign())
    data = b"\xd2\x84" + protected + b"\xa0" + payload + signature
    assert refusal(cc1(data)) == ("bad_encoding", "COSE_Sign1 members have the wrong types")


def test_every_cut_of_the_envelope_is_truncated_or_refused_never_accepted():
    # Given the canonical envelope cut after each of its bytes
    data = cose()
    for cut in range(len(data)):
        reason, detail = refusal(cc1(data[:cut]))
        # Then it is refused; past the envelope's own head, always as a truncated COSE_Sign1
        assert reason == "bad_encoding", cut
        assert detail == ("not a tagged COSE_Sign1" if cut < 2 else "truncated COSE_Sign1"), cut


def test_a_length_head_cut_in_the_middle_is_truncated():
    # Given the payload's head cut right after its first byte (0x58) or after the first of two length bytes
    before = b"\xd2\x84" + bstr(SIGNER.protected) + b"\xa0"
    assert refusal(cc1(before + b"\x58")) == ("bad_encoding", "truncated COSE_Sign1")
    assert refusal(cc1(before + b"\x59")) == ("bad_encoding", "truncated COSE_Sign1")
    assert refusal(cc1(before + b"\x59\x01")) == ("bad_encoding", "truncated COSE_Sign1")
    # And a complete head naming more bytes than follow
    assert refusal(canonical(before + b"\x59\x01\x00" + incompressible(255))) == (
        "bad_encoding", "truncated COSE_Sign1")
    assert refusal(cc1(before + b"\x58\x2b" + PAYLOAD[:-1])) == ("bad_encoding", "truncated COSE_Sign1")


def test_a_complete_but_needless_head_at_the_very_end_is_named_for_its_length():
    # Given a head whose length bytes are all there but name a length a shorter head would hold
    before = b"\xd2\x84" + bstr(SIGNER.protected) + b"\xa0"
    # Then the refusal names the non-minimal length, not a truncation
    assert refusal(cc1(before + b"\x58\x05")) == ("non_canonical", "non_minimal_length")
    assert refusal(cc1(before + b"\x59\x00\x05")) == ("non_canonical", "non_minimal_length")
    assert refusal(cc1(before + b"\x58\x17" + b"x" * 23)) == ("non_canonical", "non_minimal_length")
    assert refusal(canonical(before + b"\x59\x00\xff" + incompressible(255))) == (
        "non_canonical", "non_minimal_length")


def canonical(data: bytes) -> str:
    """The encoder's rule: compressed exactly when longer than the threshold and zlib shrinks it."""
    if len(data) > tokens.ZLIB_MIN_COSE and len(zlib.compress(data, 9)) < len(data):
        return cz1(data)
    return cc1(data)


@pytest.mark.parametrize(("length", "head_bytes"), [
    (0, b"\x40"), (23, b"\x57"), (24, b"\x58\x18"), (255, b"\x58\xff"), (256, b"\x59\x01\x00"),
    (300, b"\x59\x01\x2c"), (65535, b"\x59\xff\xff")], ids=lambda value: value.hex() if isinstance(value, bytes)
                                                              else str(value))
def test_each_length_is_read_from_its_minimal_head(length, head_bytes):
    # Given a signature member of exactly this length, with the minimal head (a wrong ES256 length on purpose)
    signature = incompressible(length)
    data = cose(signature=signature)
    assert data.endswith(head_bytes + signature)
    # Then the envelope is read whole, and the signature refused for its length: never a misread length
    assert refusal(canonical(data)) == ("bad_signature", "")


@pytest.mark.parametrize("length", [161, 255, 256, 300, 600])
def test_a_long_incompressible_payload_is_read_at_its_exact_length(length):
    # Given a genuinely signed token whose payload is this long and does not compress (so CC1 is canonical)
    payload = payload_of_length(length)
    data = cose(payload=payload)
    assert len(zlib.compress(data, 9)) >= len(data)
    # Then it verifies to exactly the signed claims
    assert verify(cc1(data)) == claims_of(payload)
    # And the encoder itself writes these claims as exactly this token (uncompressed)
    issued = tokens.encode(signer=SIGNER, issuer="CC", sub="abcdefgh", code_type="city", iat=NOW, exp=NOW + 300,
                           cti=b"cti-0001", claims=cbor2.loads(payload)[-2])
    assert issued.startswith(tokens.PREFIX_RAW) and verify(issued) == claims_of(payload)


def test_bytes_after_the_signature_are_refused():
    for after in (b"\x00", b"\xff", b"\xa0", bstr(sign())):
        assert refusal(cc1(cose(after=after))) == ("non_canonical", "trailing_bytes")


# -- the text around the Base45: prefix and whitespace -------------------------------------------------------------


@pytest.mark.parametrize(("wrap", "expected"), [
    (lambda t: " " + t, ("non_canonical", "whitespace")),
    (lambda t: "\n" + t, ("non_canonical", "whitespace")),
    (lambda t: "\t\r\n " + t, ("non_canonical", "whitespace")),
    (lambda t: t + " ", ("non_canonical", "whitespace")),  # a space is a Base45 character, but no token ends in one
    (lambda t: t + "\n", ("non_canonical", "whitespace")),
    (lambda t: t + "\r\n", ("non_canonical", "whitespace")),
    (lambda t: " " + t + "\n", ("non_canonical", "whitespace")),
    (lambda t: " HC1:" + t[4:], ("bad_prefix", "' HC1'")),
    (lambda t: "cc1:" + t[4:], ("bad_prefix", "'cc1:'")),
    (lambda t: "CC1" + t[4:], ("bad_prefix", "'CC1R'")),
    (lambda t: t[:3], ("bad_prefix", "'CC1'")),
    (lambda t: "", ("bad_prefix", "''")),
    (lambda t: "CZ1:" + t[4:], ("bad_encoding", "zlib: Error -3 while decompressing data: incorrect header check")),
], ids=["leading_space", "leading_newline", "leading_mix", "trailing_space", "trailing_newline", "trailing_crlf",
        "both", "other_prefix", "lower_case", "no_colon", "prefix_cut", "empty", "raw_under_cz1"])
def test_the_text_around_the_token_has_one_spelling(wrap, expected):
    token = cc1(cose())
    assert verify(token) == WHOLE
    assert refusal(wrap(token)) == expected


@pytest.mark.parametrize(("text", "detail"), [
    ("Ä", "base45: non-ASCII character"),
    ("abc", "base45: character outside the Base45 alphabet"),
    ("00_", "base45: character outside the Base45 alphabet"),
    ("0", "base45: Base45 length"),
    ("0000", "base45: Base45 length"),
    (":::", "base45: Base45 group out of range"),  # 44 + 45 * 44 + 2025 * 44 > 65535
    ("000::", "base45: Base45 group out of range"),  # a last pair of 44 + 45 * 44 > 255
], ids=["non_ascii", "lower_case", "underscore", "one", "four", "group", "pair"])
def test_base45_failures_are_named(text, detail):
    assert refusal(tokens.PREFIX_RAW + text) == ("bad_encoding", detail)
    assert refusal(tokens.PREFIX_ZLIB + text) == ("bad_encoding", detail)


# -- compression: only where it shrinks, nothing after the stream, never beyond the limit --------------------------


def compressible(length: int) -> bytes:
    """A genuinely signed COSE_Sign1 of exactly ``length`` bytes that zlib shrinks (its claims are "A"s)."""
    for size in range(length - 120, length):
        payload = payload_of_length(size, filler="A")
        data = cose(payload=payload) if payload else b""
        if len(data) == length:
            assert len(zlib.compress(data, 9)) < length
            return data
    raise AssertionError(length)


def test_compression_starts_exactly_above_the_threshold():
    threshold = tokens.ZLIB_MIN_COSE
    at, above = compressible(threshold), compressible(threshold + 1)
    # A COSE of exactly the threshold is never compressed, although zlib would shrink it
    assert verify(cc1(at)) == claims_of(cbor2.loads(at).value[2])
    assert refusal(cz1(at)) == ("non_canonical", "needless_compression")
    # One byte longer, it must be
    assert verify(cz1(above)) == claims_of(cbor2.loads(above).value[2])
    assert refusal(cc1(above)) == ("non_canonical", "missing_compression")


def test_a_stream_as_long_as_what_it_inflates_to_is_needless():
    # Given a long signed COSE that zlib cannot shrink, only match in length (found by varying its claims)
    # (the signature is random, so each try differs; about one in ten lands on an equal length)
    for attempt in range(2000):
        payload = cbor2.dumps({**CLAIMS, -2: {"r": incompressible(8 + attempt % 16, attempt), "a": "A" * 14}})
        data = cose(payload=payload)
        packed = zlib.compress(data, 9)
        if len(data) > tokens.ZLIB_MIN_COSE and len(packed) == len(data):
            break
    else:
        raise AssertionError("no equal-length stream found")
    # Then its compressed form is refused (it does not shrink), and the plain one is the canonical spelling
    assert refusal(tokens.PREFIX_ZLIB + tokens.b45encode(packed)) == ("non_canonical", "needless_compression")
    assert verify(cc1(data)) == claims_of(payload)


def test_an_incompressible_long_token_is_never_compressed():
    data = cose(payload=payload_of_length(400))
    assert refusal(cz1(data)) == ("non_canonical", "needless_compression")
    assert verify(cc1(data)) == claims_of(cbor2.loads(data).value[2])


def test_a_short_token_is_never_compressed():
    assert refusal(cz1(cose())) == ("non_canonical", "needless_compression")


def test_the_inflate_limit_is_exact():
    # Given genuinely signed tokens inflating to exactly the limit and to one byte more
    at, beyond = compressible(tokens.MAX_INFLATED), compressible(tokens.MAX_INFLATED + 1)
    # Then the first verifies and the second is refused, without inflating it whole
    assert verify(cz1(at)) == claims_of(cbor2.loads(at).value[2])
    assert refusal(cz1(beyond)) == ("bad_encoding", "zlib: truncated or too large")


def test_a_zlib_stream_with_bytes_after_it_is_refused():
    data = compressible(400)
    packed = zlib.compress(data, 9)
    for junk in (b"\x00", b"junk", packed):
        token = tokens.PREFIX_ZLIB + tokens.b45encode(packed + junk)
        assert refusal(token) == ("non_canonical", "trailing_zlib")


def test_a_zlib_stream_cut_short_is_refused():
    packed = zlib.compress(compressible(400), 9)
    for cut in (1, 4, len(packed) // 2):
        token = tokens.PREFIX_ZLIB + tokens.b45encode(packed[:-cut])
        assert refusal(token) == ("bad_encoding", "zlib: truncated or too large")


def test_a_raw_deflate_stream_without_the_zlib_wrapper_is_refused():
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = raw.compress(compressible(400)) + raw.flush()
    reason, detail = refusal(tokens.PREFIX_ZLIB + tokens.b45encode(stream))
    assert reason == "bad_encoding" and detail.startswith("zlib: Error -3")


# -- the signature -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 96])
def test_an_es256_signature_of_another_length_is_a_bad_signature(length):
    good = sign()
    wrong = (good + good)[:length]
    assert refusal(cc1(cose(signature=wrong))) == ("bad_signature", "")


def test_low_s_is_decided_at_exactly_half_the_group_order():
    r = sign()[:32]
    # s = n/2 is still low: the signature is read, and is simply wrong
    assert refusal(cc1(cose(signature=r + HALF_N.to_bytes(32, "big")))) == ("bad_signature", "")
    # s = n/2 + 1 is high: refused as the mirror image of some signature, before any key is tried
    assert refusal(cc1(cose(signature=r + (HALF_N + 1).to_bytes(32, "big")))) == ("non_canonical", "high_s")
    # And the mirror of the real signature, which OpenSSL would accept, is refused
    good = sign()
    s = int.from_bytes(good[32:], "big")
    assert verify(cc1(cose(signature=good))) == WHOLE
    assert refusal(cc1(cose(signature=good[:32] + (P256_N - s).to_bytes(32, "big")))) == ("non_canonical", "high_s")


def test_the_signature_covers_protected_header_and_payload():
    good = sign()
    other = sign(cbor2.dumps({**CLAIMS, 2: "zzzzzzzz"}))
    assert refusal(cc1(cose(signature=other))) == ("bad_signature", "")
    # r and s swapped, or the signature of the same payload under another protected header
    assert refusal(cc1(cose(signature=good[32:] + good[:32])))[0] in {"bad_signature", "non_canonical"}
    ed = make_signer(tokens.EDDSA)
    mixed = sign(protected=ed.protected)
    assert refusal(cc1(cose(signature=mixed))) == ("bad_signature", "")


def test_an_eddsa_signature_is_not_held_to_the_ecdsa_low_s_rule():
    # Given EdDSA tokens, some of whose signatures end in a half above n/2 (half of them, by chance)
    ed = make_signer(tokens.EDDSA)
    keyring = tokens.TrustList(keys=[trusted(ed)])
    high = []
    for number in range(64):
        token = tokens.encode(signer=ed, issuer="CC", sub=f"abcd{number:04d}", code_type="city", iat=NOW,
                              exp=NOW + 300, cti=b"cti-0001")
        signature = cbor2.loads(tokens.b45decode(token[4:])).value[3]
        if int.from_bytes(signature[32:], "big") > HALF_N:
            high.append(token)
    assert high
    # Then each verifies: the low-S rule is ES256's alone
    for token in high:
        assert verify(token, trust_list=keyring)[0] == "CC"
    # And an EdDSA signature of another length is refused as a bad signature
    payload = PAYLOAD
    signature = sign(payload, signer=ed)
    assert refusal(cc1(cose(protected=ed.protected, signature=signature[:63])), trust_list=keyring) == (
        "bad_signature", "")


def test_every_key_with_the_kid_is_tried_until_one_verifies():
    # Given a short kid shared by an impostor's key and the real one (a collision, as a DCC verifier expects)
    impostor = make_signer()
    shared = dict(kid=SIGNER.kid)
    first_wrong = tokens.TrustList(keys=[trusted(impostor, **shared), trusted(SIGNER)])
    first_right = tokens.TrustList(keys=[trusted(SIGNER), trusted(impostor, **shared)])
    broken = trusted(SIGNER)
    broken.public_key = "not a key"
    token = cc1(cose())
    # Then the real key verifies whatever its place, and a malformed entry before it is skipped
    assert verify(token, trust_list=first_wrong) == WHOLE
    assert verify(token, trust_list=first_right) == WHOLE
    assert verify(token, trust_list=tokens.TrustList(keys=[broken, trusted(SIGNER)])) == WHOLE
    # And with only the impostor's key, or only the broken entry, it is a bad signature
    assert refusal(token, trust_list=tokens.TrustList(keys=[trusted(impostor, **shared)])) == ("bad_signature", "")
    assert refusal(token, trust_list=tokens.TrustList(keys=[broken])) == ("bad_signature", "")
    # And the result names the key that verified
    assert tokens.verify(token, trust_list=first_wrong, status_lists=None, now=NOW + 10).kid == SIGNER.kid


# -- claims and times ----------------------------------------------------------------------------------------------


def signed_claims(changes):
    claims = {**CLAIMS, **changes}
    return cc1(cose(payload=cbor2.dumps(claims)))


def test_times_out_of_range_are_refused_at_exact_bounds():
    max_epoch = 253_402_300_799
    wide = tokens.TrustList(keys=[trusted(SIGNER, not_after=2**62)])
    for iat, exp in ((-1, NOW), (max_epoch, max_epoch), (max_epoch, NOW + 300), (NOW, 0), (NOW, max_epoch),
                     (NOW, -5)):
        assert refusal(signed_claims({6: iat, 4: exp}), trust_list=wide) == ("bad_encoding", "time out of range")
    # iat = 0 and exp = 1 are in range: then judged by the clock (and the key's window), never as "out of range"
    assert refusal(signed_claims({6: 0, 4: 1}), trust_list=wide) == ("expired", "")
    assert verify(signed_claims({6: 0, 4: NOW + 300}), trust_list=wide)[5] == 0
    last = signed_claims({6: NOW, 4: max_epoch - 1})
    assert verify(last, trust_list=wide)[6] == max_epoch - 1


@pytest.mark.parametrize(("header", "detail"), [
    ({1: -7}, "claims have the wrong types"),  # no kid at all
    ({1: -7, 4: 7}, "protected header: ValueError"),  # pycose refuses a kid that is not a byte string
    ({1: -7, 4: "kid-text"}, "protected header: ValueError"),
    ({4: b"kid"}, "unsupported algorithm"),  # no algorithm
    ({1: -35, 4: b"kid"}, "unsupported algorithm"),  # ES384
], ids=["no_kid", "int_kid", "text_kid", "no_alg", "es384"])
def test_a_header_without_a_usable_kid_or_algorithm_is_refused(header, detail):
    protected = cbor2.dumps(header)
    assert refusal(cc1(cose(protected=protected))) == ("bad_encoding", detail)


def test_the_clock_may_be_given_as_int_float_datetime_or_not_at_all():
    token = cc1(cose())
    at = dt.datetime.fromtimestamp(NOW + 10, dt.UTC)
    assert verify(token, now=NOW + 10) == verify(token, now=float(NOW + 10)) == verify(token, now=at) == WHOLE
    assert refusal(token, now=dt.datetime.fromtimestamp(NOW + 300, dt.UTC)) == ("expired", "")
    assert refusal(token, now=float(NOW + 300)) == ("expired", "")
    assert refusal(token, now=float(NOW - 61)) == ("not_yet_valid", "")
    assert verify(token, now=float(NOW - 60)) == WHOLE
    # Without a clock the real one is read: this token is issued in 2030, so it is not valid yet
    assert refusal(token, now=None) == ("not_yet_valid", "")


def test_the_reader_returns_each_member_exactly_as_written():
    # Given a canonical envelope and its compressed twin (a long one)
    signature = sign()
    for token, payload in ((cc1(cose(signature=signature)), PAYLOAD), (cz1(compressible(400)), None)):
        message = tokens._decode_message(token)
        data = cbor2.loads(zlib.decompress(tokens.b45decode(token[4:])) if payload is None
                           else tokens.b45decode(token[4:])).value
        # Then protected header, payload and signature are the bytes written, and the bytes signed are rebuilt
        assert (message.protected, message.payload, message.signature) == (data[0], data[2], data[3])
        assert message.protected == SIGNER.protected
        assert (message.alg, message.kid) == (tokens.ES256, SIGNER.kid.encode())
        assert message.to_be_signed() == tokens.sig_structure(SIGNER.protected, data[2])


# -- properties: the reader inverts the writer, and only the writer ------------------------------------------------

members = st.binary(max_size=300)


@deterministic
@given(members, members, members)
def test_the_reader_returns_exactly_what_the_writer_wrote(protected, payload, signature):
    # Given any three members written by the issuer's envelope writer (minimal heads)
    data = tokens.envelope(protected, payload, signature)
    # Then the reader returns them unchanged
    assert tokens._parse_envelope(data) == (protected, payload, signature)
    # And any bytes after the envelope are refused
    with pytest.raises(VerificationFailed) as failure:
        tokens._parse_envelope(data + b"\x00")
    assert (failure.value.reason, failure.value.detail) == ("non_canonical", "trailing_bytes")


@deterministic
@given(members, members, members, st.sampled_from([0, 1, 2]), st.sampled_from([2, 3]))
def test_a_longer_head_on_any_member_is_never_read(protected, payload, signature, which, size):
    # Given the same members with one of them behind a head longer than the minimal one
    parts = [protected, payload, signature]
    if len(tokens._bstr(parts[which])) - len(parts[which]) >= size:
        size = 3 if size == 2 else 5  # already that long: take the next longer head
    spelled = [bstr(part, size if number == which else None) for number, part in enumerate(parts)]
    data = b"\xd2\x84" + spelled[0] + b"\xa0" + spelled[1] + spelled[2]
    # Then it is refused: as a non-minimal length, or (a four-byte head) as too long; never read
    with pytest.raises(VerificationFailed) as failure:
        tokens._parse_envelope(data)
    assert (failure.value.reason, failure.value.detail) in {
        ("non_canonical", "non_minimal_length"), ("bad_encoding", "COSE_Sign1 member too long")}


@deterministic
@given(members, members, members, st.data())
def test_a_cut_envelope_is_never_read(protected, payload, signature, data):
    whole = tokens.envelope(protected, payload, signature)
    cut = data.draw(st.integers(min_value=0, max_value=len(whole) - 1))
    with pytest.raises(VerificationFailed) as failure:
        tokens._parse_envelope(whole[:cut])
    assert failure.value.reason == "bad_encoding"
