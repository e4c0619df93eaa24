"""The survey page rendered once and compressed once, then served to every shopper of the same page.

``GET /s/<tenant>/<store>`` is the page every QR code and NFC tag opens, so it must cost little more than the
request itself. Rendering it (Jinja) and compressing it (gzip) each took about as long as all the rest, so both are
done once per *page copy* and kept in this process:

* **What a copy is keyed by**: the loaded :class:`~pejling.core.surveys.page_data.SurveyPage` itself with its
  statements in a canonical order (every text, the survey version, the statements and their scales, the branding,
  the store and zone names, the channel and its parameters, the language), the page's address with its query
  (the language links are built from it) and the template. The page is still loaded from the database on every
  request, so any change a writer makes (a new survey version, a renamed store or zone, another brand colour or
  logo, a plugin switched off) changes the key and the next request renders a new copy: no writer has to remember
  to invalidate anything, in this process or another.
* **What stays per request**: the response id, the start time, the CSP nonce and the statements' shuffled order
  (with each statement's position and "statement n of m" label). The copy is rendered with marked slots for them
  (:class:`Slots`), split there, and the parts between the slots are deflated once each. A request fills the slots
  and joins the parts: the plain page for a client without gzip, else a gzip member made of the pre-deflated parts
  and the slot values as stored deflate blocks. Each statement's parts are also joined once per position it can
take (:class:`_Block`), and the CRC-32 of the whole is continued over every literal part and block by a table of
its length (:class:`_Shift`), so a request reads only its slot values, never the page. The result is
  byte for byte the page a fresh render would give for the same response id, start time, nonce and order.

The copies live in a bounded least-recently-used map (:data:`MAX_COPIES`), as the key holds the query string.
"""

from __future__ import annotations

import dataclasses
import re
import struct
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from starlette.requests import Request

#: Page copies kept per process (each about 90 KB: the plain and the deflated parts, the statement blocks; the CRC
#: tables, 4 KB per length, are shared, at most 1 024 of them).
MAX_COPIES = 256

_MARK = re.compile("\ue000([a-z_]+)\ue001")
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no time, unknown OS
_FINAL_BLOCK = b"\x03\x00"  # an empty final block with fixed codes: ends the deflate stream


def _mark(name: str) -> str:
    return f"\ue000{name}\ue001"


class Slots:
    """The per-request places of the page, as marks the template renders in place of the values."""

    statement_begin = _mark("statement_begin")
    statement_end = _mark("statement_end")
    n = _mark("n")
    position = _mark("position")
    order = _mark("order")
    response_id = _mark("response_id")
    started_at = _mark("started_at")
    nonce = _mark("nonce")


class _Shift:
    """Continues a CRC-32 over ``size`` bytes known in advance: ``crc32(data, crc) == shift(crc) ^ crc32(data)``
    for every ``data`` of that length, at four table look-ups instead of reading the bytes.

    The CRC register after ``size`` more bytes is linear in the register before (over GF(2)), and the bytes' own
    share is their CRC from an empty start: the columns of that linear map are ``crc32(zeros, 1 << bit) ^
    crc32(zeros)``, kept as one table per byte of the register."""

    __slots__ = ("_tables",)

    def __init__(self, size: int) -> None:
        zeros = bytes(size)
        empty = zlib.crc32(zeros)
        columns = [zlib.crc32(zeros, 1 << bit) ^ empty for bit in range(32)]
        tables = []
        for byte in range(4):
            table = [0] * 256
            for value in range(1, 256):
                low = value & -value
                table[value] = table[value ^ low] ^ columns[8 * byte + low.bit_length() - 1]
            tables.append(array("I", table))
        self._tables = tuple(tables)

    def __call__(self, crc: int) -> int:
        first, second, third, fourth = self._tables
        return first[crc & 0xFF] ^ second[(crc >> 8) & 0xFF] ^ third[(crc >> 16) & 0xFF] ^ fourth[crc >> 24]


@lru_cache(maxsize=1024)
def _shift(size: int) -> _Shift:
    """The :class:`_Shift` of ``size`` bytes (4 KB each; parts of one length share one)."""
    return _Shift(size)


@dataclasses.dataclass(frozen=True)
class _Part:
    """Literal page text (plain and deflated on its own, with the CRC-32 of the plain bytes and the :class:`_Shift`
    of their length) or, when ``slot`` is set, a per-request value."""

    plain: bytes = b""
    deflated: bytes = b""
    slot: str = ""
    crc: int = 0
    shift: _Shift | None = None


def _deflated(data: bytes) -> bytes:
    """``data`` as raw deflate blocks that start from an empty window and end byte-aligned, not final."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored(data: bytes) -> bytes:
    """``data`` as stored (uncompressed) deflate blocks: how a slot's value joins the pre-deflated parts."""
    out = []
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start:start + 0xFFFF]
        out.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(out)


def _parts(text: str) -> list[_Part]:
    pieces = _MARK.split(text)
    parts = []
    for index, piece in enumerate(pieces):
        if index % 2:
            parts.append(_Part(slot=piece))
        elif piece:
            plain = piece.encode("utf-8")
            parts.append(_Part(plain, _deflated(plain), crc=zlib.crc32(plain), shift=_shift(len(plain))))
    return parts


@dataclasses.dataclass(frozen=True)
class _Block:
    """One statement's parts joined at one position of the page: deflated (its ``n`` and ``position`` as stored
    blocks), with the CRC-32 of the plain bytes from an empty start and their length. Made once per copy for every
    position (about 30 KB for eight statements), so a gzip request joins one block per statement instead of filling
    its slots, and continues the page's CRC with its :class:`_Shift`."""

    deflated: bytes
    crc: int
    size: int
    shift: _Shift


def _blocks(parts: list[_Part], count: int) -> list[_Block]:
    blocks = []
    for position in range(count):
        own = {"n": str(position + 1).encode(), "position": str(position).encode()}
        plain = b"".join(own[part.slot] if part.slot else part.plain for part in parts)
        deflated = b"".join(_stored(own[part.slot]) if part.slot else part.deflated for part in parts)
        blocks.append(_Block(deflated, zlib.crc32(plain), len(plain), _shift(len(plain))))
    return blocks


@dataclasses.dataclass(frozen=True)
class PageCopy:
    """One rendered page split around its slots: the parts before, per statement, and after the statements (and
    each statement's parts joined once per position, :class:`_Block`)."""

    before: list[_Part]
    statements: dict[str, list[_Part]]
    after: list[_Part]
    blocks: dict[str, list[_Block]] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, text: str, statement_ids: Sequence[str]) -> PageCopy:
        """Split ``text`` (rendered with :class:`Slots`, statements in ``statement_ids`` order)."""
        head, _, rest = text.partition(Slots.statement_begin)
        blocks = [head]
        while Slots.statement_end in rest:
            block, _, rest = rest.partition(Slots.statement_end)
            blocks.append(block)
            rest = rest.removeprefix(Slots.statement_begin)
        if len(blocks) - 1 != len(statement_ids):  # the template lost its statement marks
            raise ValueError("the survey template's statement slots do not match its statements")
        statements = {sid: _parts(block) for sid, block in zip(statement_ids, blocks[1:], strict=True)}
        return cls(
            before=_parts(blocks[0]),
            statements=statements,
            after=_parts(rest),
            blocks={sid: _blocks(parts, len(statements)) for sid, parts in statements.items()},
        )

    def plain(self, values: dict[str, bytes], order: Sequence[str]) -> bytes:
        """The page as UTF-8 HTML with ``values`` in its slots and the statements in ``order``."""
        out = [values[part.slot] if part.slot else part.plain for part in self.before]
        for position, sid in enumerate(order):
            own = {"n": str(position + 1).encode(), "position": str(position).encode()}
            out.extend(own[part.slot] if part.slot else part.plain for part in self.statements[sid])
        out.extend(values[part.slot] if part.slot else part.plain for part in self.after)
        return b"".join(out)

    def gzipped(self, values: dict[str, bytes], order: Sequence[str]) -> bytes:
        """The same page as one gzip member, from the pre-deflated parts: nothing is compressed per request, and the
        CRC-32 reads only the slots' values (the literal parts and statement blocks continue it by their shift)."""
        stored = {name: _stored(value) for name, value in values.items()}
        out = [_GZIP_HEADER]
        crc = size = 0
        crc32 = zlib.crc32
        for parts in (self.before, None, self.after):
            if parts is None:
                for position, sid in enumerate(order):
                    block = self.blocks[sid][position]
                    crc = block.shift(crc) ^ block.crc
                    size += block.size
                    out.append(block.deflated)
                continue
            for part in parts:
                if part.slot:
                    value = values[part.slot]
                    crc = crc32(value, crc)
                    size += len(value)
                    out.append(stored[part.slot])
                else:
                    crc = part.shift(crc) ^ part.crc  # type: ignore[misc]
                    size += len(part.plain)
                    out.append(part.deflated)
        out.append(_FINAL_BLOCK)
        out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(out)


class PageCopies:
    """The page copies of this process, least recently used first out (:data:`MAX_COPIES`)."""

    def __init__(self, limit: int = MAX_COPIES) -> None:
        self.limit = limit
        self.renders = 0  # copies rendered so far: how the tests see a hit from a miss
        self._copies: OrderedDict[Any, PageCopy] = OrderedDict()

    def clear(self) -> None:
        """Forget every copy (the next request of each page renders it again)."""
        self._copies.clear()

    def __len__(self) -> int:
        return len(self._copies)

    def copy_for(self, request: Request, page: Any, template: str) -> PageCopy:
        """The copy of ``page`` (rendered now when this process has none for the same inputs)."""
        from pejling.core.surveys.pages import render_text, survey_context

        canonical = dataclasses.replace(page, statements=tuple(sorted(page.statements, key=lambda s: s.id)))
        key = (template, canonical, request.url.path, tuple(request.query_params.multi_items()), request.method)
        copy = self._copies.get(key)
        if copy is not None:
            self._copies.move_to_end(key)
            return copy
        context = survey_context(request, canonical, response_id=Slots.response_id, started_at=Slots.started_at)
        context.update(slots=Slots, nonce=Slots.nonce)
        copy = PageCopy.of(render_text(template, context), [s.id for s in canonical.statements])
        self.renders += 1
        self._copies[key] = copy
        while len(self._copies) > self.limit:
            self._copies.popitem(last=False)
        return copy


#: This process's copies of the survey page.
page_copies = PageCopies()
