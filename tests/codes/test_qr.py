"""QR rendering: alphanumeric mode, decodes back to the same text with a real decoder (zxing-cpp)."""

import datetime as dt
import io

import pytest
import zxingcpp
from PIL import Image

from apps.codes import qr, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_token(make_citizen):
    return services.token_issue(citizen=make_citizen(), code_type="city", lifetime=dt.timedelta(minutes=5)).token


@pytest.mark.parametrize("error", ["M", "Q"])
def test_png_decodes_back_to_the_token(city_token, error):
    # Given the PNG of a city code
    png = qr.render_png(city_token, error=error)
    # When zxing-cpp reads it
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    # Then it finds exactly the token, in a QR code
    assert [result.text for result in results] == [city_token]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].ec_level == error


def test_token_uses_alphanumeric_mode_so_the_symbol_is_small(city_token):
    # Given a ~190-character token: at level M byte mode needs version 10 (213 bytes), alphanumeric 8 (221 chars)
    size = len(qr.matrix(city_token, error="M"))
    # Then the symbol is version 8 or smaller (17 + 4 * version modules a side)
    assert (size - 17) // 4 <= 8
    # And the library chose alphanumeric mode for the whole text
    code = qr._code(city_token, "M", 0, 1)
    assert {chunk.mode for chunk in code.data_list} == {qr.MODE_ALPHA_NUM}


def test_svg_is_cached_and_well_formed(city_token):
    svg = qr.render_svg(city_token)
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    assert "<path" in svg
    assert qr.render_svg(city_token) is svg  # the second call is served from the cache
    with pytest.raises(ValueError):
        qr.render_svg(city_token, error="X")
