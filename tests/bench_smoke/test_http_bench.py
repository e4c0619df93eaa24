"""The HTTP bench's parts work (no timing is asserted): wrk's ingest script sends submissions the server stores, the
bench app's routes answer a logged-in browser, and a result file carries every field and a chart.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pejling.core.auth.csrf import CSRF_COOKIE, csrf_token_for
from pejling.core.auth.sessions import SESSION_COOKIE, start_session
from pejling.core.settings import Settings
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.models import Membership
from pejling.tenants.scope import tenant_scope
from tests.bench import http_bench
from tests.bench.http_bench import RESULT_FIELDS, RUN_NAMES, Run, Site
from tests.surveys.conftest import make_shop

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make test installs it)")


def test_a_result_file_has_every_field_and_a_chart(tmp_path: Path) -> None:
    runs = {name: Run(requests=100 * (index + 1), seconds=2.0, p50_ms=1.5, p99_ms=9.0, bytes=1000 * (index + 1))
            for index, name in enumerate(RUN_NAMES)}
    result = http_bench.build_result(runs, server="uvicorn, 2 workers", ingest_stored=210, page_body_bytes=900)
    json_path, png_path = http_bench.write_result(result, tmp_path)

    written = json.loads(json_path.read_text())
    assert tuple(written) == RESULT_FIELDS
    assert set(written["runs"]) == set(RUN_NAMES)
    assert written["ingest_over_ping"] == pytest.approx(200 / 100)  # ingest is the second run: 200 requests
    assert written["ingest_over_database"] == pytest.approx(200 / 300)
    assert written["graphql_over_plain"] == pytest.approx(400 / 500)
    assert written["page_bytes"] == pytest.approx(6000 / 600)
    assert png_path.read_bytes().startswith(b"\x89PNG")
    printed = http_bench.table(written)
    assert "ingest_over_ping" in printed and "graphql_over_plain" in printed


def test_a_wrk_report_without_its_line_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        http_bench.parse_wrk_report("Running 1s test @ http://127.0.0.1:1/\n")


@needs_wrk
async def test_the_wrk_scripts_drive_the_real_server(database: Settings, tmp_path: Path) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        owner = await Membership.get(tenant_id=shop.tenant.id, role="owner")
    session, secret = await start_session(database, owner.user_id)
    env = {
        **http_bench.server_environment(database.resolved_database_url, tmp_path,
                                        database.secret_key.get_secret_value()),
        "PEJLING_ENVIRONMENT": "test", "PEJLING_LOG_LEVEL": "WARNING",
    }
    with http_bench.running_server(env, workers=1, log=tmp_path / "server.log") as base:
        site = Site(
            base=base, tenant_slug=shop.tenant.slug, store_slug=shop.store.slug, version_id=shop.version_id,
            zone_id=str(shop.zone.id), warmup_ids=shop.warmup_ids, statement_ids=shop.statement_ids,
            session_cookie=f"{SESSION_COOKIE}={secret}; {CSRF_COOKIE}={csrf_token_for(database, session.id)}",
        )
        ingest = http_bench.run_wrk(base + site.ingest_path, "ingest.lua", connections=2, seconds=1,
                                    args=http_bench.ingest_args(site))
        http_bench.check_site(site)  # GraphQL and the plain route both answer the session
        page = http_bench.run_wrk(base + site.page_path, "get.lua", connections=1, seconds=1,
                                  headers=("Accept-Encoding: gzip",))

    assert ingest.requests > 0 and ingest.errors == 0  # every submission answered 2xx
    assert page.requests > 0 and page.errors == 0
    with tenant_scope(shop.tenant.id):
        responses = await Response.filter(store_id=shop.store.id).values_list("client_key", flat=True)
        answers = await Answer.filter(store_id=shop.store.id).count()
    # Requests still in flight when wrk stopped may have been stored too, never fewer than wrk counted.
    assert len(responses) >= ingest.requests
    assert answers == len(responses) * (len(shop.warmup_ids) + len(shop.statement_ids))
    assert len(set(responses)) == len(responses)  # each request came from its own client address

