"""NDEF URI records (NFC Forum RTD URI 1.0): the bytes to write on an NFC tag so that a phone opens a link.

A URI record is one well-known record of type ``U`` whose payload is a prefix code (``0x04`` stands for
``https://``, ``0x02`` for ``https://www.`` …) followed by the rest of the URI in UTF-8. On an NTAG 424 DNA the NDEF
file holds a two-byte length (NLEN) and then the message; :func:`file_offset` tells where a part of the link lands in
that file (the SDM mirror offsets of a SUN tag).
"""

from __future__ import annotations

#: The URI identifier codes of RTD URI 1.0 that a store link can use, longest first.
PREFIXES: tuple[tuple[str, int], ...] = (
    ("https://www.", 0x02),
    ("http://www.", 0x01),
    ("https://", 0x04),
    ("http://", 0x03),
)
TNF_WELL_KNOWN = 0x01
MB, ME, SR = 0x80, 0x40, 0x10


def _split(uri: str) -> tuple[int, bytes]:
    for prefix, code in PREFIXES:
        if uri.startswith(prefix):
            return code, uri[len(prefix):].encode()
    return 0x00, uri.encode()


def uri_record(uri: str) -> bytes:
    """The NDEF message of one URI record for ``uri`` (a short record when the payload fits in 255 bytes)."""
    code, rest = _split(uri)
    payload = bytes([code]) + rest
    if len(payload) < 256:
        header = bytes([MB | ME | SR | TNF_WELL_KNOWN, 1, len(payload)])
    else:
        header = bytes([MB | ME | TNF_WELL_KNOWN, 1]) + len(payload).to_bytes(4, "big")
    return header + b"U" + payload


def ndef_file(uri: str) -> bytes:
    """The content of a Type 4 tag's NDEF file: NLEN (2 bytes, big-endian) and the message."""
    message = uri_record(uri)
    return len(message).to_bytes(2, "big") + message


def file_offset(uri: str, part: str) -> int:
    """Where the first ``part`` of ``uri`` starts in :func:`ndef_file` (``ValueError`` when it is not there)."""
    code, rest = _split(uri)
    index = rest.find(part.encode())
    if index < 0:
        raise ValueError(f"{part!r} is not in the URI after its prefix")
    message = uri_record(uri)
    header = len(message) - (len(rest) + 1)  # flags, type length, payload length(s), type
    return 2 + header + 1 + index
