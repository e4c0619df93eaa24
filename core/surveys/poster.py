"""The printed QR code of a survey code: SVG and PNG (segno) and a poster PDF, A4 or A5 (fpdf2).

The poster has the tenant's logo and brand colour, the call to action in the store's language, the code, a line
saying it takes under a minute and what the answers change, and the short URL for those who type it.

How large the code is: :data:`CODE_SIDE_MM`. A shopper's phone is at about 1.5 m from a poster on a wall or a stand.
The main camera of a phone sees about 70° across, so at 1.5 m its picture is about 2.1 m wide, and a scanner app
looks at frames about 1 920 pixels wide: 0.9 pixels per millimetre. A code URL of up to 42 bytes
(``https://<host>/q/XXXXXXXX``) is a version-3 code of 29 modules at error correction M; 120 mm across makes a module
4.1 mm, so about 3.8 pixels at 1.5 m, above the 2 to 3 pixels per module decoders need. The A5 poster is for a
counter (read from about 1 m): its code is 85 mm (2.9 mm modules). Around the code stay four modules of white (the
quiet zone the standard asks for); the modules are black on white whatever the brand colour, for contrast.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import segno
from fpdf import FPDF

from pejling.frontend.brand import brand_colours, parse_hex
from pejling.frontend.language import messages

log = logging.getLogger(__name__)

PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}
CODE_SIDE_MM = {"A4": 120.0, "A5": 85.0}
"""The side of the code's modules area (quiet zone not included) on each poster size; see the module docstring."""
QUIET_MODULES = 4
ERROR_LEVEL = "m"
"""15 % of the code may be dirty or glared and it still reads; segno raises it when that fits the same version."""
_GREY = (90, 90, 90)
_BLACK = (0, 0, 0)
_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "})


@dataclass(frozen=True)
class PosterText:
    """What a poster says and shows besides the code."""

    store_name: str
    language: str
    brand_colour: str | None = None
    logo: bytes | None = None
    tenant_name: str = ""


def qr_code(url: str) -> segno.QRCode:
    """The QR code of ``url`` (never a Micro QR: phones do not read those)."""
    return segno.make(url, error=ERROR_LEVEL, micro=False)


def qr_svg(url: str) -> bytes:
    """The code as a standalone SVG (scalable; 10 units a module, quiet zone included)."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="svg", scale=10, border=QUIET_MODULES, xmldecl=True, svgns=True,
                      title=url)
    return buffer.getvalue()


def qr_png(url: str, scale: int = 16) -> bytes:
    """The code as a PNG, ``scale`` pixels a module (16: 29 modules + quiet zone = 592 px), quiet zone included."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=QUIET_MODULES)
    return buffer.getvalue()


def _latin1(text: str) -> str:
    """The text in the PDF core fonts' character set (Danish, Norwegian and Swedish letters are all in it)."""
    return text.translate(_PUNCTUATION).encode("latin-1", "replace").decode("latin-1")


def _logo(pdf: FPDF, logo: bytes, centre_x: float, top: float, max_w: float, max_h: float) -> bool:
    """Place the tenant's logo (PNG, JPEG or WebP) centred at ``top``; False when it cannot be read."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(logo))
        image.load()
    except Exception:  # noqa: BLE001 - a broken logo must not stop the poster
        log.warning("poster: the tenant logo cannot be read; poster made without it")
        return False
    width, height = image.size
    if not width or not height:
        return False
    scale = min(max_w / width, max_h / height)
    w, h = width * scale, height * scale
    pdf.image(image, x=centre_x - w / 2, y=top + (max_h - h) / 2, w=w, h=h)
    return True


def _draw_code(pdf: FPDF, code: segno.QRCode, left: float, top: float, side: float) -> None:
    """The dark modules as filled rectangles (one per horizontal run): sharp at any print size."""
    matrix = code.matrix
    module = side / len(matrix)
    pdf.set_fill_color(*_BLACK)
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            pdf.rect(left + start * module, top + row * module, (column - start) * module, module, style="F")


def poster_pdf(url: str, text: PosterText, size: str = "A4") -> bytes:
    """A printable poster of the code for ``url``, ``size`` ``"A4"`` or ``"A5"`` (portrait)."""
    width, height = PAGE_SIZES_MM[size]
    s = width / PAGE_SIZES_MM["A4"][0]
    t = messages(text.language)
    colours = brand_colours(text.brand_colour)
    code = qr_code(url)
    side = CODE_SIDE_MM[size]
    quiet = QUIET_MODULES * side / len(code.matrix)

    pdf = FPDF(orientation="P", unit="mm", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(_latin1(f"{t['poster_headline']} {text.store_name}"))
    pdf.set_creator("Pejling")
    pdf.add_page()
    centre = width / 2
    margin = 14 * s

    y = margin
    if not (text.logo and _logo(pdf, text.logo, centre, y, 80 * s, 22 * s)):
        pdf.set_font("Helvetica", "B", 20 * s)
        pdf.set_text_color(*parse_hex(colours.ink))
        pdf.set_xy(margin, y)
        pdf.cell(width - 2 * margin, 22 * s, _latin1(text.tenant_name or text.store_name), align="C")
    y += 28 * s

    band = 30 * s
    pdf.set_fill_color(*parse_hex(colours.fill))
    pdf.rect(0, y, width, band, style="F")
    pdf.set_font("Helvetica", "B", 30 * s)
    pdf.set_text_color(*parse_hex(colours.on_fill))
    pdf.set_xy(margin, y)
    pdf.cell(width - 2 * margin, band, _latin1(t["poster_headline"]), align="C")
    y += band + 4 * s

    pdf.set_font("Helvetica", "", 16 * s)
    pdf.set_text_color(*parse_hex(colours.ink))
    pdf.set_xy(margin, y)
    pdf.cell(width - 2 * margin, 10 * s, _latin1(t["poster_scan"]), align="C")
    y += 10 * s + quiet

    _draw_code(pdf, code, centre - side / 2, y, side)
    y += side + quiet

    pdf.set_font("Helvetica", "", 10 * s)
    pdf.set_text_color(*_GREY)
    pdf.set_xy(margin, y)
    pdf.cell(width - 2 * margin, 6 * s, _latin1(url.split("://", 1)[-1]), align="C")
    y += 8 * s

    pdf.set_font("Helvetica", "B", 15 * s)
    pdf.set_text_color(*_BLACK)
    pdf.set_xy(margin, y)
    pdf.cell(width - 2 * margin, 8 * s, _latin1(t["poster_minute"]), align="C")
    y += 9 * s
    pdf.set_font("Helvetica", "", 13 * s)
    pdf.set_xy(margin, y)
    pdf.multi_cell(width - 2 * margin, 6.5 * s, _latin1(t["poster_changes"].replace("{store}", text.store_name)),
                   align="C")
    return bytes(pdf.output())
