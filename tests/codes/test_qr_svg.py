import re

import zxingcpp
from PIL import Image, ImageDraw

from apps.codes import qr

TOKEN = "CC1:" + "6BFK%2S/*4" * 18


def rasterize(svg: str, scale: int = 6) -> Image.Image:
    """Draw the SVG's run-length path (M x y h w v1 h-w z) onto a bitmap, as a renderer would."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, width = int(x), int(y), int(width)
        draw.rectangle([x * scale, y * scale, (x + width) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def test_the_screen_svg_decodes_back_to_the_token():
    # Given a token rendered as the server's SVG (fixed screen mask)
    svg = qr.render_svg.__wrapped__(TOKEN, error="M")
    # When a real decoder reads the drawn image
    results = zxingcpp.read_barcodes(rasterize(svg))
    # Then it reads exactly the token, from an alphanumeric-mode QR code
    assert [r.text for r in results] == [TOKEN]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_the_printed_svg_with_level_q_decodes_too():
    svg = qr.render_svg.__wrapped__(TOKEN, error="Q")
    assert [r.text for r in zxingcpp.read_barcodes(rasterize(svg))] == [TOKEN]
