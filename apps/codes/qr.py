"""QR images of token text, with the ``qrcode`` package, in alphanumeric mode.

Tokens are pure Base45 (upper case, digits, space and ``$%*+-./:``), which is exactly QR's alphanumeric
alphabet (5.5 bits a character instead of 8 in byte mode). Error correction M on screens, Q for printed
codes. Images are cached per (text, level, kind) in-process (LRU), since a device asks for the same
code again until it rotates.
"""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
import qrcode.image.svg
from qrcode.util import MODE_ALPHA_NUM, QRData

_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def _code(text: str, error: str, border: int, box_size: int, image_factory=None) -> qrcode.QRCode:
    if error not in _LEVELS:
        raise ValueError(f"error correction must be one of {sorted(_LEVELS)}")
    code = qrcode.QRCode(error_correction=_LEVELS[error], border=border, box_size=box_size,
                         image_factory=image_factory)
    if set(text) <= _ALPHANUMERIC:
        code.add_data(QRData(text.encode("ascii"), mode=MODE_ALPHA_NUM))
    else:  # not a token (e.g. a URL): let the library choose
        code.add_data(text)
    code.make(fit=True)
    return code


def matrix(text: str, *, error: str = "M") -> list[list[bool]]:
    """The module matrix without border (for tests and device-side drawing)."""
    return _code(text, error, 0, 1).get_matrix()


@lru_cache(maxsize=2048)
def render_svg(text: str, *, error: str = "M", border: int = 4) -> str:
    """An SVG (one path, scalable, viewBox in modules) of the text's QR code."""
    code = _code(text, error, border, 10, qrcode.image.svg.SvgPathImage)
    return code.make_image().to_string(encoding="unicode")


@lru_cache(maxsize=512)
def render_png(text: str, *, error: str = "M", box_size: int = 8, border: int = 4) -> bytes:
    """A PNG of the text's QR code (black on white, ``box_size`` pixels a module)."""
    image = _code(text, error, border, box_size).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
