"""Read a code from a photo or screenshot a verifier uploads (the /verify/ page).

Decoded on the server with zxing-cpp rather than in the browser: browsers have no built-in QR reader that
works everywhere (the BarcodeDetector API is missing from desktop Chromium on Linux and from Firefox), so a
browser decoder would be a second JavaScript library to vendor and keep tested; zxing-cpp ships as a wheel
and is one code path the test suite exercises. The upload is bounded in bytes and pixels first.
"""

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from apps.codes.errors import CodesErrorCode
from citycode.errors import DomainError

MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_PIXELS = 16_000_000  # a 4000x4000 photo; a decompression bomb is refused before decoding


def token_from_image(upload) -> str:
    """The text of the first QR code in the uploaded image; DomainError with a reason code otherwise."""
    import zxingcpp  # imported on use: only the verifier page needs the native decoder

    if upload.size > MAX_IMAGE_BYTES:
        raise DomainError(CodesErrorCode.IMAGE_TOO_LARGE, _("The image is larger than 4 MB."))
    try:
        with Image.open(upload) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise DomainError(CodesErrorCode.IMAGE_TOO_LARGE, _("The image has too many pixels."))
            image = opened.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise DomainError(CodesErrorCode.BAD_IMAGE, _("The file is not an image.")) from None
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        if barcode.valid and barcode.text:
            return barcode.text.strip()
    raise DomainError(CodesErrorCode.NO_CODE_IN_IMAGE, _("No QR code was found in the image."))
