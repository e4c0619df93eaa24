"""A tenant's logo redrawn from its pixels (ASVS V5.4.3, files from untrusted sources).

No antivirus scans the logos (its signature database needs the network at run time). Instead every uploaded logo
is decoded by Pillow and encoded afresh, and only the new file is stored, so nothing of the upload but its pixels
reaches a shopper's phone: no data after the image's end (a PNG that is also a ZIP or an HTML page), no EXIF (a
phone photo's GPS position), XMP, ICC profile, text chunk or comment. Refused, with :class:`LogoRefused`:

* what Pillow cannot decode as the type it claims (only that type's decoder is tried), truncated data included;
* more than :data:`MAX_LOGO_PIXELS` pixels or a side longer than :data:`MAX_LOGO_SIDE`, checked from the header
  before any pixel is decoded, and Pillow's own decompression-bomb warning turned into a refusal;
* an animated PNG or WebP: a logo stands still on the survey page and the poster, and keeping only the first frame
  would store something other than what the admin sent without telling them. A JPEG's extra pictures (an MPO's
  second view or depth map from a phone camera) are not animation: its first, main picture is kept;
* an encoded result over ``max_bytes`` (the same limit as the upload: what a shopper's phone loads).

The new file has the type the upload claimed: PNG stays lossless (palette, transparency and alpha kept); JPEG is
encoded with the upload's own quantisation tables and subsampling, so its size and quality stay about the same;
WebP is encoded lossless when that fits, else at quality 90 (alpha kept).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from PIL import Image, JpegImagePlugin

#: A logo's largest side and pixel count: a wide logo of 4096 × 1024 fits, a 24 KB bomb declaring 20 000 × 20 000
#: (1.6 GB of RGBA) does not.
MAX_LOGO_SIDE = 4096
MAX_LOGO_PIXELS = 4 * 1024 * 1024

#: The Pillow format of each accepted type (``tenants/branding.py`` ``LOGO_TYPES``).
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
#: The name of each type in a refusal's message.
_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP"}
#: The formats Pillow may report for each type: a JPEG with several pictures opens as an MPO.
_DECODED_AS = {"image/png": {"PNG"}, "image/jpeg": {"JPEG", "MPO"}, "image/webp": {"WEBP"}}
#: The pixel modes each format is written in as they are; any other mode is converted to the last one.
_MODES = {"PNG": ("1", "L", "LA", "P", "RGB", "RGBA"), "JPEG": ("L", "RGB"), "WEBP": ("RGB", "RGBA")}


class LogoRefused(ValueError):
    """The upload is not a logo we store; the message says why, for the admin."""


def redrawn_logo(data: bytes, media_type: str, max_bytes: int) -> bytes:
    """The logo in ``data`` (of type ``media_type``, one of :data:`FORMATS`) encoded afresh from its pixels alone.

    Raises :class:`LogoRefused` for anything that is not one still image of that type within the limits."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _decoded(data, media_type)
    encoded = _encoded(image, FORMATS[media_type], _options(image, FORMATS[media_type]), max_bytes)
    if encoded is None:
        raise LogoRefused(f"Once cleaned, the logo is over {max_bytes // 1024} KB; save it smaller.")
    return encoded


def _decoded(data: bytes, media_type: str) -> Image.Image:
    """The loaded first picture of ``data``; refuses what is not one still image of its type within the limits."""
    name = _NAMES[media_type]
    try:
        image = Image.open(io.BytesIO(data), formats=[FORMATS[media_type]])
        width, height = image.size
        if not (0 < width <= MAX_LOGO_SIDE and 0 < height <= MAX_LOGO_SIDE and width * height <= MAX_LOGO_PIXELS):
            raise LogoRefused(f"Keep the logo within {MAX_LOGO_SIDE} pixels a side and "
                              f"{MAX_LOGO_PIXELS // (1024 * 1024)} megapixels.")
        if image.format not in _DECODED_AS[media_type]:
            raise LogoRefused(f"The image data is not a {name} image.")
        if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
            raise LogoRefused("Send a still image; an animated logo is not accepted.")
        image.load()  # the first picture only (an MPO's main one)
    except LogoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoRefused(f"Keep the logo within {MAX_LOGO_SIDE} pixels a side.") from None
    except Exception:  # noqa: BLE001 - Pillow raises many kinds (OSError, SyntaxError, ValueError, struct.error…)
        raise LogoRefused(f"The image data cannot be read as a {name} image.") from None
    return image


def _options(image: Image.Image, fmt: str) -> list[dict[str, Any]]:
    """What to encode ``image`` with in ``fmt``, tried in turn until the result fits."""
    if fmt == "PNG":
        transparency = image.info.get("transparency")  # a palette's or a colour's, kept; alpha is in the pixels
        return [{"optimize": True, **({"transparency": transparency} if transparency is not None else {})}]
    if fmt == "JPEG":
        if isinstance(image, JpegImagePlugin.JpegImageFile) and image.quantization:
            return [{"qtables": image.quantization, "subsampling": JpegImagePlugin.get_sampling(image)},
                    {"quality": 85}]
        return [{"quality": 85}]
    return [{"lossless": True}, {"quality": 90}]


def _encoded(image: Image.Image, fmt: str, options: list[dict[str, Any]], max_bytes: int) -> bytes | None:
    """``image``'s pixels alone (a new image: no info, text, EXIF or profile of the upload) encoded in ``fmt``; the
    first of ``options`` whose file fits ``max_bytes``, or None."""
    if image.mode.startswith("I"):  # a 16-bit grey PNG: scaled to 8 bits (a plain conversion would clip it white)
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode not in _MODES[fmt]:
        image = image.convert(_MODES[fmt][-1])
    pixels = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        pixels.putpalette(image.getpalette() or [])
    for option in options:
        buffer = io.BytesIO()
        pixels.save(buffer, fmt, **option)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    return None
