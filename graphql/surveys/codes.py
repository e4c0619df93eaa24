"""Survey codes for QR posters (owners and admins): make one per store, zone or campaign, list them with their scans,
retire one, and the download URLs of its SVG, PNG and poster PDFs (``/api/survey-codes/<id>/…``, for members)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from pejling.core.settings import Settings, shopper_base_url
from pejling.core.surveys.code_routes import download_path
from pejling.core.surveys.codes import MAX_CAMPAIGN, CodeRefused, code_url, create_code, retire_code
from pejling.core.surveys.models import SurveyCode
from pejling.graphql.context import Info
from pejling.graphql.errors import ApiError, UserError, invalid, not_found
from pejling.graphql.permissions import mutation_guard, require_tenant
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.graphql.surveys.places import store_and_zone
from pejling.tenants.models import Store

MAX_CODES = 500
"""``surveyCodes`` lists at most this many (newest first)."""


@strawberry.type(name="SurveyCode", description="A short code printed as a QR code: it opens the survey of a store, "
                 "or of one of its zones. Scans counts every visit, retired or not.")
class SurveyCodeType(relay.Node):
    id: relay.NodeID[str]
    code: str = strawberry.field(description="8 characters, no look-alikes (0/O, 1/I/L).")
    url: str = strawberry.field(description="What the QR code carries: <base>/q/<code>.")
    store_id: strawberry.ID
    zone_id: strawberry.ID | None
    campaign: str = strawberry.field(description="Your label for the poster or campaign ('' for none).")
    created_at: datetime
    retired_at: datetime | None = strawberry.field(description="Set once retired: scans then show a friendly page.")
    scans: int
    svg_url: str = strawberry.field(description="The code as SVG (members of the tenant; send your credentials).")
    png_url: str = strawberry.field(description="The code as PNG, 16 px a module.")
    poster_a4_url: str = strawberry.field(description="A printable A4 poster PDF in the store's language.")
    poster_a5_url: str = strawberry.field(description="A printable A5 poster PDF (for a counter).")

    @classmethod
    def from_model(cls, code: SurveyCode, settings: Settings) -> SurveyCodeType:
        """The code as the API shows it: its scan link on the shopper origin, its downloads on the portal's."""
        base = settings.base_url.rstrip("/")

        def file(name: str) -> str:
            return base + download_path(code.id, name)

        return cls(
            id=str(code.id), code=code.code, url=code_url(shopper_base_url(settings), code.code),
            store_id=strawberry.ID(encode_id("Store", code.store_id)),
            zone_id=strawberry.ID(encode_id("Zone", code.zone_id)) if code.zone_id else None,
            campaign=code.campaign, created_at=code.created_at, retired_at=code.retired_at, scans=code.scans,
            svg_url=file("qr.svg"), png_url=file("qr.png"), poster_a4_url=file("poster-a4.pdf"),
            poster_a5_url=file("poster-a5.pdf"),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        """``node(id:)`` of a code: owners and admins only, like ``surveyCodes``; null for anyone else."""
        ids = list(node_ids)
        actor = info.context.actor
        if info.context.tenant is None or not actor.is_admin:
            return [None for _ in ids]
        uuids = [u for u in (_uuid(i) for i in ids) if u is not None]
        found = {str(c.id): c for c in await SurveyCode.filter(id__in=uuids)}
        settings = info.context.settings
        return [cls.from_model(found[i], settings) if i in found else None for i in ids]


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@strawberry.type
class SurveyCodePayload:
    survey_code: SurveyCodeType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _store(store_id: str) -> Store | None:
    value = decode_id(store_id, "Store")
    return await Store.get_or_none(id=value) if value else None


async def _code(code_id: str) -> SurveyCode | None:
    value = decode_id(code_id, "SurveyCode")
    return await SurveyCode.get_or_none(id=value) if value else None


@strawberry.type
class SurveyCodeQuery:
    @strawberry.field(description=f"Your survey codes with their scans, newest first, at most {MAX_CODES} (owners "
                      "and admins); only a store's when storeId is given.")
    async def survey_codes(self, info: Info, store_id: strawberry.ID | None = None,
                           include_retired: bool = True) -> list[SurveyCodeType]:
        _, actor = require_tenant(info)
        if not actor.is_admin:
            raise ApiError("Only owners and admins can manage survey codes.", "FORBIDDEN")
        query = SurveyCode.all()
        if store_id is not None:
            value = decode_id(str(store_id), "Store")
            if value is None:
                return []
            query = query.filter(store_id=value)
        if not include_retired:
            query = query.filter(retired_at__isnull=True)
        rows = await query.order_by("-created_at", "id").limit(MAX_CODES)
        return [SurveyCodeType.from_model(row, info.context.settings) for row in rows]


@strawberry.type
class SurveyCodeMutation:
    @strawberry.mutation(description="Make a survey code (a QR code) for a store, or one of its zones, with an "
                         f"optional campaign label of up to {MAX_CAMPAIGN} characters (owners and admins).")
    async def create_survey_code(self, info: Info, store_id: strawberry.ID, zone_id: strawberry.ID | None = None,
                                 campaign: str | None = None) -> SurveyCodePayload:
        _, error = mutation_guard(info)
        if error:
            return SurveyCodePayload(errors=[error])
        store, zone, missing = await store_and_zone(store_id, zone_id)
        if missing is not None or store is None:
            return SurveyCodePayload(errors=[missing] if missing else [])
        try:
            code = await create_code(store, zone, campaign or "")
        except CodeRefused as exc:
            return SurveyCodePayload(errors=[invalid(exc.field, exc.message)])
        return SurveyCodePayload(survey_code=SurveyCodeType.from_model(code, info.context.settings))

    @strawberry.mutation(description="Retire a survey code (owners and admins): a scan then shows a friendly page "
                         "in the shopper's language and is still counted. Retiring twice keeps the first time.")
    async def retire_survey_code(self, info: Info, id: strawberry.ID) -> SurveyCodePayload:
        _, error = mutation_guard(info)
        if error:
            return SurveyCodePayload(errors=[error])
        code = await _code(str(id))
        if code is None:
            return SurveyCodePayload(errors=[not_found("id", "No survey code of yours has this id.")])
        await retire_code(code)
        return SurveyCodePayload(survey_code=SurveyCodeType.from_model(code, info.context.settings))

