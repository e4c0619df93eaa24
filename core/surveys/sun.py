"""NTAG 424 DNA "Secure Unique NFC" (SUN) messages: decrypt the PICC data and check the MAC of one tap (NXP AN12196).

Each tap of a tag configured for SDM makes the tag write into its URL

* the encrypted PICC data (``picc_data`` or ``e``, 32 hex digits): ``PICCDataTag || UID (7) || SDMReadCtr (3, least
  significant byte first) || padding``, encrypted with AES-128-CBC under the SDM meta-read key and a zero IV;
* the truncated SDM MAC (``cmac`` or ``c``, 16 hex digits): AES-CMAC under a session key
  ``CMAC(K_SDMFileRead, 3C C3 00 01 00 80 || UID || SDMReadCtr)`` of the MAC input (empty when the MAC input offset
  is the MAC offset, the usual configuration), of which the tag keeps the 8 odd-numbered bytes (1, 3, …, 15).

The counter grows by one per tap, so a tap's message is accepted once: the caller keeps the highest counter seen
(:func:`pejling.core.surveys.channel_devices.advance_counter`). Keys and PICC data are secrets: nothing here logs.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

KEY_HEX = re.compile(r"^[0-9A-Fa-f]{32}$")
PICC_HEX = re.compile(r"^[0-9A-Fa-f]{32}$")
MAC_HEX = re.compile(r"^[0-9A-Fa-f]{16}$")
#: PICCDataTag bits: UID mirrored (bit 7), SDMReadCtr mirrored (bit 6), UID length in the low nibble.
UID_MIRRORED = 0x80
COUNTER_MIRRORED = 0x40
UID_LENGTH = 7
SV2_PREFIX = bytes.fromhex("3CC300010080")
SV1_PREFIX = bytes.fromhex("C33C00010080")
MAX_COUNTER = 0xFFFFFF


class SunInvalid(ValueError):
    """The SUN message does not hold up: malformed, not decryptable with the tag's key, or a wrong MAC."""


@dataclass(frozen=True)
class SunTap:
    """One verified tap: the tag's UID (hex, upper case) and its read counter."""

    uid: str
    counter: int


def parse_key(value: str) -> bytes:
    """An AES-128 key from 32 hex digits; ``ValueError`` otherwise."""
    if not isinstance(value, str) or not KEY_HEX.match(value):
        raise ValueError("a key is 32 hex digits (16 bytes)")
    return bytes.fromhex(value)


def aes_cmac(key: bytes, message: bytes) -> bytes:
    """The full 16-byte AES-CMAC (RFC 4493) of ``message`` under ``key``."""
    mac = CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()


def _session_vector(prefix: bytes, uid: bytes, counter: int) -> bytes:
    vector = prefix + uid + counter.to_bytes(3, "little")
    return vector + bytes((-len(vector)) % 16)


def session_mac_key(file_read_key: bytes, uid: bytes, counter: int) -> bytes:
    """KSesSDMFileReadMAC = CMAC(K_SDMFileRead, SV2) with SV2 = 3C C3 00 01 00 80 || UID || SDMReadCtr."""
    return aes_cmac(file_read_key, _session_vector(SV2_PREFIX, uid, counter))


def session_enc_key(file_read_key: bytes, uid: bytes, counter: int) -> bytes:
    """KSesSDMFileReadENC = CMAC(K_SDMFileRead, SV1) (for encrypted file data; checked against AN12196 only)."""
    return aes_cmac(file_read_key, _session_vector(SV1_PREFIX, uid, counter))


def truncate_mac(full: bytes) -> bytes:
    """The 8 bytes of a CMAC the tag sends: the odd-numbered ones (1, 3, …, 15)."""
    return full[1::2]


def sdm_mac(file_read_key: bytes, uid: bytes, counter: int, mac_input: bytes = b"") -> bytes:
    """The truncated SDM MAC of one tap (8 bytes)."""
    return truncate_mac(aes_cmac(session_mac_key(file_read_key, uid, counter), mac_input))


def _aes_cbc(key: bytes, data: bytes, *, decrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(bytes(16)))
    work = cipher.decryptor() if decrypt else cipher.encryptor()
    return work.update(data) + work.finalize()


def decrypt_picc(meta_read_key: bytes, picc_hex: str) -> SunTap:
    """The UID and read counter of encrypted PICC data; :class:`SunInvalid` when it is not a UID + counter mirror."""
    if not isinstance(picc_hex, str) or not PICC_HEX.match(picc_hex):
        raise SunInvalid("picc data is 32 hex digits")
    plain = _aes_cbc(meta_read_key, bytes.fromhex(picc_hex), decrypt=True)
    tag = plain[0]
    if not (tag & UID_MIRRORED and tag & COUNTER_MIRRORED and tag & 0x0F == UID_LENGTH):
        raise SunInvalid("picc data does not decrypt to a UID and a counter")
    uid = plain[1:1 + UID_LENGTH]
    counter = int.from_bytes(plain[1 + UID_LENGTH:4 + UID_LENGTH], "little")
    return SunTap(uid.hex().upper(), counter)


def verify_sun(meta_read_key: bytes, file_read_key: bytes, picc_hex: str, mac_hex: str) -> SunTap:
    """The tap of a SUN message once its MAC holds; :class:`SunInvalid` otherwise (compared in constant time)."""
    if not isinstance(mac_hex, str) or not MAC_HEX.match(mac_hex):
        raise SunInvalid("the MAC is 16 hex digits")
    tap = decrypt_picc(meta_read_key, picc_hex)
    expected = sdm_mac(file_read_key, bytes.fromhex(tap.uid), tap.counter)
    if not hmac.compare_digest(expected, bytes.fromhex(mac_hex)):
        raise SunInvalid("the MAC does not match")
    return tap


def sun_message(meta_read_key: bytes, file_read_key: bytes, uid: bytes, counter: int) -> tuple[str, str]:
    """The ``(picc_data, cmac)`` a tag with these keys writes for a tap (what a tag does; for tests and demos).

    The padding of the PICC data is zeros here (a tag pads with random bytes; the reader ignores them).
    """
    if len(uid) != UID_LENGTH or not 0 <= counter <= MAX_COUNTER:
        raise ValueError("a 7-byte UID and a 24-bit counter")
    plain = bytes([UID_MIRRORED | COUNTER_MIRRORED | UID_LENGTH]) + uid + counter.to_bytes(3, "little")
    plain += bytes(16 - len(plain))
    picc = _aes_cbc(meta_read_key, plain, decrypt=False)
    return picc.hex().upper(), sdm_mac(file_read_key, uid, counter).hex().upper()
