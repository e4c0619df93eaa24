"""Short survey codes (``/q/<code>``): a printed QR code that opens the survey of a store, or of one of its zones.

A code is :data:`CODE_LENGTH` characters of :data:`ALPHABET` (no 0/O, 1/I/L: a person can read one off a poster and
type it), unique across tenants because the short URL names no tenant. A campaign is a label on a code. Each visit
of ``/q/<code>`` is counted with one atomic ``UPDATE`` (``scans = scans + 1``), retired codes included; the visit is
redirected to the survey page with ``ch=qr`` and ``code=<code>``, which the qr channel reads back into the response.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from pejling.core.contracts import InvitationTarget
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.models import SurveyCode
from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.scope import all_tenants, tenant_scope

if TYPE_CHECKING:
    from pejling.core.plugin_manager import Plugins

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Upper-case letters and digits without the look-alikes 0/O and 1/I/L."""
CODE_LENGTH = 8
"""31⁸ ≈ 8.5·10¹¹ codes: a guessed code names a real one with odds of about one in a billion per code issued."""
MAX_CAMPAIGN = 80
QR_CHANNEL = "qr"
_ATTEMPTS = 5

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "CodeRefused",
    "ScannedCode",
    "code_url",
    "create_code",
    "new_code",
    "normalise_code",
    "retire_code",
    "scan_code",
    "survey_path",
]


class CodeRefused(ValueError):
    """Bad input for a new code; ``field`` names the argument (``campaign``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ScannedCode:
    """A code found by a scan, with what the redirect and the retired page need."""

    code: SurveyCode
    tenant: Tenant
    store: Store
    zone: Zone | None

    @property
    def retired(self) -> bool:
        return self.code.retired_at is not None


def new_code() -> str:
    """A fresh random code (not yet checked for uniqueness)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The code as stored (upper case), or ``None`` when ``text`` cannot be one (so it is not looked up)."""
    code = text.strip().upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def code_url(base_url: str, code: str) -> str:
    """The URL a printed code carries: ``<base>/q/<code>``."""
    return f"{base_url.rstrip('/')}/q/{code}"


async def create_code(store: Store, zone: Zone | None = None, campaign: str = "") -> SurveyCode:
    """A new code of the current tenant for ``store`` (or one of its ``zone``\\ s), with a campaign label.

    Raises :class:`CodeRefused` for a campaign label that is too long or has control characters. A random code that
    is already taken (anywhere) is drawn again.
    """
    label = " ".join(campaign.split())
    if len(label) > MAX_CAMPAIGN or any(not c.isprintable() for c in label):
        raise CodeRefused("campaign", f"A campaign label is at most {MAX_CAMPAIGN} printable characters.")
    if zone is not None and zone.store_id != store.id:
        raise CodeRefused("zoneId", "The zone is not in this store.")
    for attempt in range(_ATTEMPTS):
        try:
            return await SurveyCode.create(store_id=store.id, zone_id=zone.id if zone else None, campaign=label,
                                           code=new_code())
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def retire_code(code: SurveyCode) -> SurveyCode:
    """Retire ``code`` (it keeps resolving, to a friendly page, and keeps being counted). Retiring twice keeps the
    first time."""
    if code.retired_at is None:
        code.retired_at = datetime.now(UTC)
        await code.save(update_fields=["retired_at"])
    return code


async def scan_code(text: str) -> ScannedCode | None:
    """Count a visit of ``/q/<text>`` and return the code with its tenant, store and zone; ``None`` when no tenant
    has such a code (nothing is counted)."""
    value = normalise_code(text)
    if value is None:
        return None
    with all_tenants():
        code = await SurveyCode.get_or_none(code=value)
        if code is None:
            return None
        tenant = await Tenant.get(id=code.tenant_id)
    with tenant_scope(code.tenant_id):
        await SurveyCode.filter(id=code.id).update(scans=F("scans") + 1)
        store = await Store.get(id=code.store_id)
        zone = await Zone.get_or_none(id=code.zone_id) if code.zone_id else None
    code.scans += 1
    return ScannedCode(code, tenant, store, zone)


def survey_path(scanned: ScannedCode, plugins: Plugins | None) -> str:
    """The survey page a scan leads to: ``/s/<tenant>/<store>?zone=<uuid>&ch=qr&code=<code>``.

    Built by the qr channel's :meth:`~pejling.core.contracts.Channel.invitation_url` when it is installed, so a
    channel that changes its links changes the redirect too.
    """
    survey_url = f"/s/{scanned.tenant.slug}/{scanned.store.slug}"
    if scanned.zone is not None:
        survey_url += "?" + urlencode({"zone": str(scanned.zone.id)})
    channel = channel_registry(plugins).channel(QR_CHANNEL)
    if channel is None:
        joiner = "&" if "?" in survey_url else "?"
        return survey_url + joiner + urlencode({"ch": QR_CHANNEL, "code": scanned.code.code})
    return channel.invitation_url(InvitationTarget(survey_url, extra={"code": scanned.code.code}))
