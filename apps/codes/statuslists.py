"""Status-list bitstrings: setting a bit, and the published (compressed) form.

Bit ``i`` lives in byte ``i // 8`` at bit ``i % 8``, least significant first (as in the IETF Token Status
List draft). The published payload is::

    {"type": "citycode-status-list", "iss": "CC", "id": "<code type>", "version": 7, "size": <bits>,
     "updated_at": <epoch seconds>, "lst": base64url(zlib(bitstring))}

A reader builds :class:`apps.codes.tokens.StatusList` from it with ``StatusList.from_json``.
"""

from __future__ import annotations

import zlib
from typing import Any

from .tokens import b64u


def with_bit(bits: bytes, index: int, value: bool) -> bytes:
    byte = index >> 3
    data = bytearray(bits)
    if byte >= len(data):
        data.extend(b"\x00" * (byte + 1 - len(data)))
    if value:
        data[byte] |= 1 << (index & 7)
    else:
        data[byte] &= ~(1 << (index & 7)) & 0xFF
    return bytes(data)


def payload(*, issuer: str, list_id: str, bits: bytes, size: int, version: int, updated_at: int) -> dict[str, Any]:
    padded = bits + b"\x00" * max(0, (size + 7) // 8 - len(bits))
    return {
        "type": "citycode-status-list",
        "iss": issuer,
        "id": list_id,
        "version": version,
        "size": max(size, len(padded) * 8),
        "updated_at": updated_at,
        "lst": b64u(zlib.compress(padded, 9)),
    }
