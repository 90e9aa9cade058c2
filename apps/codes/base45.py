"""Base45 (RFC 9285), vectorised over Python big integers; output identical to the `base45` package (tests compare
them byte for byte)."""

from __future__ import annotations

B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_ASCII = bytes(range(256)).translate(bytes.maketrans(bytes(range(45)), B45_ALPHABET.encode("ascii")))
# Encoding does the per-group arithmetic on all groups at once ("SIMD within a register" on one big int):
# each 16-bit group sits in its own 40-bit field; x // 45 is (x * _B45_M) >> _B45_SHIFT, exact for every
# x < 65536, and the fields never carry into each other. A Python loop per group cost more than the signature.
_B45_FIELD = 5  # bytes per field
_B45_SHIFT = 22
_B45_M = -(-(1 << _B45_SHIFT) // 45)
_b45_masks: dict[int, int] = {}
_b45_decode_masks: dict[int, tuple[int, int]] = {}
# Each character maps to its value; every other byte to 0xFF, found with one bytes.find.
_B45_VALUES = bytes(B45_ALPHABET.index(chr(c)) if chr(c) in B45_ALPHABET else 0xFF for c in range(256))


def b45encode(data: bytes) -> str:
    """RFC 9285 Base45 of ``data`` (identical to ``base45.b45encode(data).decode()``)."""
    groups = len(data) // 2
    width = _B45_FIELD * groups
    fields = bytearray(width)
    fields[0::_B45_FIELD] = data[1 : 2 * groups : 2]  # little-endian field: low byte first
    fields[1::_B45_FIELD] = data[0 : 2 * groups : 2]
    words = int.from_bytes(fields, "little")
    mask = _b45_masks.get(groups)
    if mask is None:
        mask = _b45_masks[groups] = int.from_bytes(((1 << 17) - 1).to_bytes(_B45_FIELD, "little") * groups, "little")
    quotient = ((words * _B45_M) >> _B45_SHIFT) & mask  # x // 45 per field
    third = ((quotient * _B45_M) >> _B45_SHIFT) & mask  # x // 2025
    digits = (words - 45 * quotient + ((quotient - 45 * third) << 8) + (third << 16)).to_bytes(width, "little")
    out = bytearray(3 * groups)
    out[0::3] = digits[0::_B45_FIELD]
    out[1::3] = digits[1::_B45_FIELD]
    out[2::3] = digits[2::_B45_FIELD]
    text = out.translate(_B45_ASCII).decode("ascii")
    if len(data) & 1:
        last = data[-1]
        text += B45_ALPHABET[last % 45] + B45_ALPHABET[last // 45]
    return text


def b45decode(text: str) -> bytes:
    """Decode RFC 9285 Base45; raises ValueError on any character or group outside the alphabet's range."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("non-ASCII character") from None
    values = raw.translate(_B45_VALUES)
    if values.find(b"\xff") != -1:
        raise ValueError("character outside the Base45 alphabet")
    size = len(values)
    tail = size % 3
    if tail == 1:
        raise ValueError("Base45 length")
    groups = size // 3
    # The translated characters already are 3-byte little-endian fields (c, d, e) per group: no copying.
    # c + 45 d + 2025 e <= 91124 < 2**24, so each group's value stays inside its own field.
    masks = _b45_decode_masks.get(groups)
    if masks is None:
        masks = _b45_decode_masks[groups] = (
            int.from_bytes(b"\xff\x00\x00" * groups, "little"),
            int.from_bytes(b"\x00\x00\xff" * groups, "little"))
    byte_mask, overflow_mask = masks
    digits = int.from_bytes(values[: 3 * groups], "little")
    words = (digits & byte_mask) + 45 * ((digits >> 8) & byte_mask) + 2025 * ((digits >> 16) & byte_mask)
    if words & overflow_mask:
        raise ValueError("Base45 group out of range")
    packed = words.to_bytes(3 * groups, "little")
    pairs = bytearray(2 * groups)
    pairs[0::2] = packed[1::3]
    pairs[1::2] = packed[0::3]
    out = bytes(pairs)
    if tail:
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise ValueError("Base45 group out of range")
        out += bytes((last,))
    return out
