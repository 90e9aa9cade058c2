"""QR images of token text, with the ``qrcode`` package, in alphanumeric mode.

Tokens are pure Base45 (upper case, digits, space and ``$%*+-./:``), which is exactly QR's alphanumeric
alphabet (5.5 bits a character instead of 8 in byte mode). Error correction M on screens, Q for printed
codes. Images are cached per (text, level, kind) in-process (LRU), since a device asks for the same
code again until it rotates.

Speed: choosing the mask by the standard's penalty score builds the symbol eight times (about 18 ms in pure
Python for a city code). On screens, where codes rotate every few minutes, we use one fixed mask (the
standard lets an encoder use any of the eight; decoders read all of them), and draw the SVG path directly
instead of through an XML tree: about 3 ms. Printed codes (level Q) keep the penalty-chosen mask.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Literal, cast

import qrcode
from qrcode.util import MODE_ALPHA_NUM, QRData

_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
# The stubs type the mode constants as int and QRData's mode as Literal[1, 2, 4].
_MODE_ALPHA_NUM = cast(Literal[1, 2, 4], MODE_ALPHA_NUM)
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


_SCREEN_MASK = 2  # vertical stripes: cheap to evaluate, reads well on phone screens


def _code(text: str, error: str, border: int, box_size: int, image_factory=None) -> qrcode.QRCode:
    if error not in _LEVELS:
        raise ValueError(f"error correction must be one of {sorted(_LEVELS)}")
    mask = None if error in ("Q", "H") else _SCREEN_MASK
    code = qrcode.QRCode(error_correction=_LEVELS[error], border=border, box_size=box_size,
                         image_factory=image_factory, mask_pattern=mask)
    if set(text) <= _ALPHANUMERIC:
        code.add_data(QRData(text.encode("ascii"), mode=_MODE_ALPHA_NUM))
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
    rows = _code(text, error, border, 1).get_matrix()  # includes the quiet-zone border
    size = len(rows)
    runs = []
    for y, row in enumerate(rows):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


@lru_cache(maxsize=512)
def render_png(text: str, *, error: str = "M", box_size: int = 8, border: int = 4) -> bytes:
    """A PNG of the text's QR code (black on white, ``box_size`` pixels a module)."""
    image = _code(text, error, border, box_size).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
