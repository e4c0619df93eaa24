"""The language filter of responses: the list and an export cover only the languages asked for."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from pejling.core.surveys.models import Response
from pejling.graphql.relay_ids import encode_id

from .conftest import Chain, Jobs, gql
from .helpers import stored_response
from .test_exports import finished, path_of, start
from .test_responses_connection import RESPONSES, all_pages


async def test_the_list_covers_only_the_languages_asked_for(api: httpx.AsyncClient, chain: Chain) -> None:
    base = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    danish = await stored_response(chain, submitted_at=base, language="da")
    swedish = await stored_response(chain, submitted_at=base + timedelta(hours=1), language="sv", comment="Bra")
    english = await stored_response(chain, submitted_at=base + timedelta(hours=2), language="en")

    def ids(*rows: Response) -> list[str]:
        return [encode_id("Response", r.id) for r in rows]

    assert await all_pages(api, chain.owner, 2, {"languages": ["sv"]}) == ids(swedish)
    assert await all_pages(api, chain.owner, 2, {"languages": ["da", "en"]}) == ids(english, danish)
    assert await all_pages(api, chain.owner, 2, {"languages": ["sv"], "hasComment": False}) == []
    assert await all_pages(api, chain.owner, 2, {"languages": []}) == ids(english, swedish, danish)


async def test_an_unknown_language_is_a_clear_error(api: httpx.AsyncClient, chain: Chain) -> None:
    for languages in (["fi"], ["da"] * 21):
        body = await gql(api, chain.owner, RESPONSES, filter={"languages": languages})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "INVALID", languages
        assert error["extensions"]["field"] == "languages"


async def test_an_export_keeps_the_language_filter(api: httpx.AsyncClient, chain: Chain, jobs: Jobs) -> None:
    base = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    await stored_response(chain, submitted_at=base, language="da")
    swedish = await stored_response(chain, submitted_at=base + timedelta(minutes=1), language="sv")
    started = await start(api, chain.owner, "CSV", filter={"languages": ["sv"]})
    assert started["errors"] == []
    export = await finished(api, chain.owner, jobs, started["export"]["id"])
    assert export["status"] == "SUCCEEDED" and export["rowsTotal"] == 1
    reply = await api.get(path_of(export["downloadUrl"]), headers=chain.owner.headers)
    assert reply.status_code == 200, reply.text
    table = list(csv.DictReader(io.StringIO(reply.text)))
    assert [(r["id"], r["language"]) for r in table] == [(str(swedish.id), "sv")]
