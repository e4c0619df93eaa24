"""What the thank-you screen says, per language: what happens with the answers, and the receipt code.

"You told us …; we …": when the store has logged a change (``insights.StoreChange``: store, optional zone, date,
description) dated within the last :data:`CHANGE_MONTHS` months of the response and not after it, for the whole
store or for the zone the shopper answered in, the body says so instead of the generic text. A change records no
goal, so "what shoppers asked for" is read as: the store acted on its insights, which are its shoppers' answers;
the latest such change is the one shown. The description is the retailer's own words in one language, so it is
quoted inside a frame in the shopper's language with the month (Babel's month names).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from babel.dates import format_date
from tortoise.expressions import Q

from pejling.core.insights.models import StoreChange
from pejling.tenants.models import Tenant

#: How old a logged change may be to be told on the thank-you screen.
CHANGE_MONTHS = 6
#: How long a store's latest change (and its tenant's slug) is remembered in this process, in seconds.
CACHE_SECONDS = 60.0

CHANGE_FRAME = {
    "da": "I fortalte os, hvad vi skulle gøre bedre – i {month} gjorde vi dette: »{change}«. "
    "Dine svar afgør, hvad der kommer næste gang.",
    "nb": "Dere fortalte oss hva vi burde gjøre bedre – i {month} gjorde vi dette: «{change}». "
    "Svarene dine avgjør hva som kommer neste gang.",
    "sv": "Ni berättade vad vi borde göra bättre – i {month} gjorde vi det här: ”{change}”. "
    "Dina svar avgör vad som kommer härnäst.",
    "en": "You told us what to do better; in {month} we did this: “{change}”. Your answers decide what comes next.",
}

THANK_YOU: dict[str, dict[str, str]] = {
    "da": {
        "headline": "Tak for din tid!",
        "body": "Dine svar går direkte til butikkens team. De læser dem hver uge og bruger dem til at beslutte, "
        "hvad der skal forbedres først.",
        "receipt_note": "Din kvitteringskode er {code}. Med den kan du se, hente eller slette dine svar.",
    },
    "nb": {
        "headline": "Takk for at du tok deg tid!",
        "body": "Svarene dine går rett til butikkens team. De leser dem hver uke og bruker dem til å bestemme "
        "hva som skal forbedres først.",
        "receipt_note": "Kvitteringskoden din er {code}. Med den kan du se, laste ned eller slette svarene dine.",
    },
    "sv": {
        "headline": "Tack för din tid!",
        "body": "Dina svar går direkt till butikens personal. De läser dem varje vecka och använder dem för att "
        "bestämma vad som ska förbättras först.",
        "receipt_note": "Din kvittokod är {code}. Med den kan du se, ladda ner eller radera dina svar.",
    },
    "en": {
        "headline": "Thank you for your time!",
        "body": "Your answers go straight to the store team. They read them every week to decide what to change first.",
        "receipt_note": "Your receipt code is {code}. With it you can see, download or delete your answers.",
    },
}


def thank_you(language: str, receipt_code: str) -> dict[str, str]:
    """The thank-you texts in ``language`` (English when unknown): headline, body and receipt_note."""
    texts = THANK_YOU.get(language, THANK_YOU["en"])
    return {
        "headline": texts["headline"],
        "body": texts["body"],
        "receipt_note": texts["receipt_note"].format(code=receipt_code),
    }


@dataclass(frozen=True)
class LoggedChange:
    """What the thank-you screen tells of a store change: its description and date."""

    description: str
    date: date


def change_text(language: str, change: LoggedChange, today: date) -> str:
    """The "you told us …; we …" body in ``language`` for ``change`` (the year only when not ``today``'s)."""
    locale = language if language in CHANGE_FRAME else "en"
    month = format_date(change.date, "LLLL" if change.date.year == today.year else "LLLL y", locale=locale)
    description = " ".join(change.description.split()).rstrip(".")
    return CHANGE_FRAME[locale].format(month=month, change=description)


async def latest_change(store_id: UUID, zone_id: UUID | None, day: date) -> LoggedChange | None:
    """The store's latest change for the whole store or this zone, dated within :data:`CHANGE_MONTHS` before ``day``
    (in the current tenant scope)."""
    earliest = day - timedelta(days=round(CHANGE_MONTHS * 30.5))
    where = Q(zone_id=None) | Q(zone_id=zone_id) if zone_id else Q(zone_id=None)
    row = await (StoreChange.filter(where, store_id=store_id, date__gte=earliest, date__lte=day)
                 .order_by("-date", "-created_at").first())
    return LoggedChange(row.description, row.date) if row is not None and row.description.strip() else None


_cache: dict[tuple[Any, ...], tuple[float, str | None, LoggedChange | None]] = {}
_reading: dict[tuple[Any, ...], asyncio.Future[tuple[str | None, LoggedChange | None]]] = {}


async def _context(response: Any, day: date) -> tuple[str | None, LoggedChange | None]:
    key = (response.tenant_id, response.store_id, response.zone_id, day)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1], hit[2]
    reading = _reading.get(key)
    if reading is not None:  # the same context is being read for a response stored at the same time: share it
        return await asyncio.shield(reading)
    reading = _reading[key] = asyncio.get_running_loop().create_future()
    try:
        tenant = await Tenant.get_or_none(id=response.tenant_id)
        change = await latest_change(response.store_id, response.zone_id, day)
    except BaseException as exc:
        if isinstance(exc, Exception):
            reading.set_exception(exc)
            reading.exception()  # retrieved: no "never retrieved" warning when nobody else waited
        else:
            reading.cancel()
        raise
    finally:
        del _reading[key]
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[key] = (now + CACHE_SECONDS, tenant.slug if tenant else None, change)
    reading.set_result((tenant.slug if tenant else None, change))
    return (tenant.slug if tenant else None), change


def forget_changes() -> None:
    """Drop the remembered changes (tests, or after logging a change in this process)."""
    _cache.clear()


async def thank_you_for(response: Any) -> dict[str, str]:
    """The thank-you texts of a stored response: :func:`thank_you`, the "you told us …; we …" body when its store
    logged a change, and ``receipt_url``, the receipt page (``/r/<tenant slug>/<code>``). In its tenant's scope."""
    texts = thank_you(response.language, response.receipt_code)
    day = response.submitted_at.date()
    slug, change = await _context(response, day)
    if slug:
        texts["receipt_url"] = f"/r/{slug}/{response.receipt_code}"
    if change is not None:
        texts["body"] = change_text(response.language, change, day)
    return texts
