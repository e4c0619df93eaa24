"""A tenant's brand colour made safe to use: text on it and it on the page keep WCAG AA contrast."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_BRAND = "#1f5f8b"
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# The lighter of the two surfaces (page and card) of each scheme: brand-coloured text must read on both.
LIGHT_PAGE = "#ffffff"
DARK_PAGE = "#1f2227"


def parse_hex(value: str | None) -> tuple[int, int, int]:
    """``#rgb`` or ``#rrggbb`` as an RGB triple; anything else is the default brand colour."""
    match = _HEX.match((value or "").strip())
    digits = match.group(1) if match else DEFAULT_BRAND[1:]
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1–21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(rgb: tuple[int, int, int], target: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return (
        round(rgb[0] + (target[0] - rgb[0]) * amount),
        round(rgb[1] + (target[1] - rgb[1]) * amount),
        round(rgb[2] + (target[2] - rgb[2]) * amount),
    )


def _until_contrast(rgb: tuple[int, int, int], page: tuple[int, int, int], ratio: float) -> tuple[int, int, int]:
    """Move ``rgb`` toward black or white (away from ``page``) until it reaches ``ratio`` against ``page``."""
    target = (0, 0, 0) if luminance(page) > 0.2 else (255, 255, 255)
    step = 0.0
    colour = rgb
    while contrast(colour, page) < ratio and step < 1:
        step += 0.04
        colour = _mix(rgb, target, min(step, 1.0))
    return colour


@dataclass(frozen=True)
class BrandColours:
    """CSS colours derived from one brand colour, each with AA contrast where it is used."""

    fill: str  # button and selected-answer background (light page)
    on_fill: str  # text on ``fill``
    ink: str  # brand-coloured text, borders and focus rings on the light page
    fill_dark: str  # the same three for the dark page (prefers-color-scheme: dark)
    on_fill_dark: str
    ink_dark: str


def brand_colours(value: str | None) -> BrandColours:
    """Derive the page's brand colours from a tenant's hex colour."""
    base = parse_hex(value)
    light_page, dark_page = parse_hex(LIGHT_PAGE), parse_hex(DARK_PAGE)
    white, near_black = (255, 255, 255), (17, 17, 17)

    def fill_for(page: tuple[int, int, int]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        fill = _until_contrast(base, page, 3.0)  # a control must stand out from the page (1.4.11)
        text = white if contrast(fill, white) >= contrast(fill, near_black) else near_black
        if contrast(fill, text) < 4.5:  # nudge the fill away from its text colour until the text reads (1.4.3)
            fill = _until_contrast(fill, text, 4.5)
        return fill, text

    fill, on_fill = fill_for(light_page)
    fill_dark, on_fill_dark = fill_for(dark_page)
    return BrandColours(
        fill=to_hex(fill),
        on_fill=to_hex(on_fill),
        ink=to_hex(_until_contrast(base, light_page, 4.5)),
        fill_dark=to_hex(fill_dark),
        on_fill_dark=to_hex(on_fill_dark),
        ink_dark=to_hex(_until_contrast(base, dark_page, 4.5)),
    )
