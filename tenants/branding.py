"""A tenant's look on the shopper pages: brand colour and logo (stored in the database, served by us,
so shoppers' phones never contact a third party)."""

from __future__ import annotations

import base64
import binascii
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pejling.tenants.logo_pixels import LogoRefused, redrawn_logo
from pejling.tenants.models import Tenant
from pejling.tenants.scope import all_tenants

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LOGO_BYTES = 24 * 1024
#: Raster formats only: an SVG can carry script, and a logo needs none.
LOGO_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/webp": b"RIFF"}
DATA_URL = re.compile(r"^data:(?P<type>image/[a-z]+);base64,(?P<data>[A-Za-z0-9+/=\s]+)$")


class BrandingRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def check_colour(value: str) -> str:
    if not COLOUR.match(value):
        raise BrandingRefused("brandColour", "Use a colour like #1f5f8b.")
    return value.lower()


def decode_logo(data_url: str) -> tuple[bytes, str]:
    """The logo to store for a ``data:image/…;base64,…`` URL, and its type; raises :class:`BrandingRefused`.

    The bytes are the image encoded afresh from its pixels (``tenants/logo_pixels.py``), never the upload itself."""
    match = DATA_URL.match(data_url.strip()) if len(data_url) < MAX_LOGO_BYTES * 2 else None
    if match is None or match["type"] not in LOGO_TYPES:
        raise BrandingRefused("logo", "Send a PNG, JPEG or WebP image as a data: URL.")
    try:
        image = base64.b64decode(match["data"], validate=False)
    except (binascii.Error, ValueError):
        raise BrandingRefused("logo", "The image data is not valid base64.") from None
    if len(image) > MAX_LOGO_BYTES:
        raise BrandingRefused("logo", f"Keep the logo under {MAX_LOGO_BYTES // 1024} KB; it loads on shoppers' phones.")
    if not image.startswith(LOGO_TYPES[match["type"]]) or (match["type"] == "image/webp" and image[8:12] != b"WEBP"):
        raise BrandingRefused("logo", "The image data does not match its type.")
    try:
        return redrawn_logo(image, match["type"], MAX_LOGO_BYTES), match["type"]
    except LogoRefused as exc:
        raise BrandingRefused("logo", str(exc)) from None


async def serve_logo(request: Request) -> Response:
    """``GET /s/{tenant}/logo``: the tenant's logo, cacheable for a year (the URL carries its version)."""
    with all_tenants():
        tenant = await Tenant.get_or_none(slug=request.path_params["tenant"][:63])
    if tenant is None or not tenant.logo_type or not tenant.logo:
        return Response(status_code=404)
    return Response(bytes(tenant.logo), media_type=tenant.logo_type, headers={
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    })


def branding_routes() -> list[Route]:
    return [Route("/s/{tenant}/logo", serve_logo, methods=["GET"])]
