"""A tenant's brand colour made safe to use: text on it and it on the page keep WCAG AA contrast."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_BRAND = "#1f5f8b"
RGB = tuple[int, int, int]
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# The two surfaces (page and card) of each colour scheme: brand colours must work on both.
LIGHT_SURFACES = ("#ffffff", "#f6f6f3")
DARK_SURFACES = ("#1f2227", "#15171a")


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


def _min_contrast(rgb: tuple[int, int, int], surfaces: list[tuple[int, int, int]]) -> float:
    return min(contrast(rgb, surface) for surface in surfaces)


def _away(rgb: RGB, target: RGB, done: Callable[[RGB], bool]) -> RGB:
    """Mix ``rgb`` toward ``target`` in small steps until ``done`` holds (at the latest at ``target`` itself)."""
    colour, step = rgb, 0.0
    while not done(colour) and step < 1:
        step = min(1.0, step + 0.02)
        colour = _mix(rgb, target, step)
    return colour


@dataclass(frozen=True)
class BrandColours:
    """CSS colours derived from one brand colour, each with AA contrast where it is used."""

    fill: str  # button and selected-answer background (light scheme)
    on_fill: str  # text on ``fill``
    ink: str  # brand-coloured text, borders and focus rings on the light page and card
    fill_dark: str  # the same three for the dark scheme (prefers-color-scheme: dark)
    on_fill_dark: str
    ink_dark: str


_WHITE = (255, 255, 255)
_NEAR_BLACK = (17, 17, 17)


def _scheme(base: tuple[int, int, int], surface_hex: tuple[str, ...], dark: bool) -> tuple[str, str, str]:
    surfaces = [parse_hex(value) for value in surface_hex]
    target = _WHITE if dark else (0, 0, 0)  # away from the surfaces
    far_text = _NEAR_BLACK if dark else _WHITE  # the text colour that gains contrast as the fill moves away
    fill = _away(base, target, lambda c: _min_contrast(c, surfaces) >= 3.0)  # a control stands out (1.4.11)
    text = next((t for t in (_WHITE, _NEAR_BLACK) if contrast(fill, t) >= 4.5), None)
    if text is None:  # neither reads yet: keep moving until the far text colour does (1.4.3)
        fill = _away(fill, target, lambda c: contrast(c, far_text) >= 4.5)
        text = far_text
    ink = _away(base, target, lambda c: _min_contrast(c, surfaces) >= 4.5)
    return to_hex(fill), to_hex(text), to_hex(ink)


def brand_colours(value: str | None) -> BrandColours:
    """Derive the page's brand colours from a tenant's hex colour."""
    base = parse_hex(value)
    fill, on_fill, ink = _scheme(base, LIGHT_SURFACES, dark=False)
    fill_dark, on_fill_dark, ink_dark = _scheme(base, DARK_SURFACES, dark=True)
    return BrandColours(fill, on_fill, ink, fill_dark, on_fill_dark, ink_dark)
