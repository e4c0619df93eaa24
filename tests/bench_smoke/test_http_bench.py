"""The HTTP bench's parts work (no timing is asserted): wrk's ingest script sends submissions the server stores, the
bench app's routes answer a logged-in browser, and a result file carries every field and a chart.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pejling.core.auth.csrf import CSRF_COOKIE, csrf_token_for
from pejling.core.auth.sessions import SESSION_COOKIE, start_session
from pejling.core.settings import Settings
from pejling.core.surveys.models import Answer, Response
from pejling.tenants.models import Membership
from pejling.tenants.scope import tenant_scope
from tests.bench import http_bench, results
from tests.bench.http_bench import RESULT_FIELDS, RUN_NAMES, Run, Site
from tests.bench.load import paced_interval_ms
from tests.surveys.conftest import make_shop

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make test installs it)")


def test_a_result_file_has_every_field_and_a_chart(tmp_path: Path) -> None:
    runs = {name: Run(requests=100 * (index + 1), seconds=2.0, p50_ms=1.5, p99_ms=9.0, bytes=1000 * (index + 1))
            for index, name in enumerate(RUN_NAMES)}
    result = http_bench.build_result(runs, server="uvicorn, 2 workers", ingest_stored=210, page_body_bytes=900,
                                     submit_graphql_stored=500, ingest_half_target_per_s=50.0)
    json_path, png_path = results.record("http", result, http_bench.figures(result), folder=tmp_path)

    written = json.loads(json_path.read_text())["sections"]["http"]
    assert tuple(written) == RESULT_FIELDS
    assert set(written["runs"]) == set(RUN_NAMES)
    per_s = {name: 50 * (index + 1) for index, name in enumerate(RUN_NAMES)}
    assert written["ingest_over_ping"] == pytest.approx(per_s["ingest"] / per_s["ping"])
    assert written["ingest_over_database"] == pytest.approx(per_s["ingest"] / per_s["database"])
    assert written["submit_graphql_over_ingest"] == pytest.approx(per_s["submit_graphql"] / per_s["ingest"])
    assert written["graphql_over_plain"] == pytest.approx(per_s["graphql"] / per_s["plain"])
    assert written["dashboard_over_plain"] == pytest.approx(per_s["dashboard_graphql"] / per_s["dashboard_plain"])
    assert written["page_bytes"] == pytest.approx(1000 * len(RUN_NAMES) / (100 * len(RUN_NAMES)))
    assert png_path.read_bytes().startswith(b"\x89PNG")
    printed = results.table(json.loads(json_path.read_text()))
    for ratio in ("ingest ÷ ping", "graphql ÷ plain", "submit_graphql ÷ ingest", "dashboard ÷ plain"):
        assert ratio in printed
    assert "ingest p99 at half the rate, ms" in printed and "target ≤ 50: met" in printed  # p99 9 ms


def test_paired_runs_keep_their_median_round() -> None:
    def rate(per_s: int) -> Run:
        return Run(requests=per_s, seconds=1.0, p50_ms=1.0, p99_ms=2.0)

    assert http_bench.median_run([rate(300), rate(100), rate(200)]).per_second == 200
    assert http_bench.median_run([rate(300), rate(100)]).per_second == 100  # the lower middle of an even number
    assert http_bench.median_run([rate(50)]).per_second == 50


def test_sections_of_one_run_share_one_file(tmp_path: Path) -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = results.record("insights", {"responses": 10, "timings": {"engine_cold": {"p50_ms": 60.0, "p99_ms": 90.0}}},
                           [results.figure("engine_cold_p50_ms", "engine cold p50", 60.0, target=50.0, at_most=True)],
                           folder=tmp_path, started=started)
    second = results.record("growth", {"points": [{"responses": 10, "insights_p50_ms": 5.0, "ingest_per_s": 9.0}]},
                            [results.figure("insights_growth", "insights p50 100k ÷ 10k", 1.1, ".2f")],
                            folder=tmp_path, started=started)

    assert first == second and sorted(path.name for path in tmp_path.iterdir()) == [
        "2026-01-02T03-04-05Z.json", "2026-01-02T03-04-05Z.png"]
    written = json.loads(first[0].read_text())
    assert set(written["sections"]) == set(written["figures"]) == {"insights", "growth"}
    printed = results.table(written)
    assert "missed (1.20 x)" in printed and "insights p50 100k ÷ 10k" in printed


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
            tenant_id=str(shop.tenant.id), store_id=str(shop.store.id),
            session_cookie=f"{SESSION_COOKIE}={secret}; {CSRF_COOKIE}={csrf_token_for(database, session.id)}",
        )
        ingest = http_bench.run_wrk(base + site.ingest_path, "ingest.lua", connections=2, seconds=1,
                                    args=http_bench.ingest_args(site))
        rate = 10.0  # in all, over both connections: far below what the server takes
        paced = http_bench.run_wrk(base + site.ingest_path, "ingest_paced.lua", connections=2, seconds=2,
                                   args=(*http_bench.ingest_args(site), str(paced_interval_ms(rate, 2))))
        submitted = http_bench.run_wrk(base + "/graphql", "submit_graphql.lua", connections=2, seconds=1,
                                       args=(*http_bench.ingest_args(site), site.tenant_slug, site.store_slug))
        # GraphQL, the plain routes (typename and the dashboard's insights) and one submitResponse all answer
        http_bench.check_site(site)
        page = http_bench.run_wrk(base + site.page_path, "get.lua", connections=1, seconds=1,
                                  headers=("Accept-Encoding: gzip",))

    for run in (ingest, paced, submitted, page):
        assert run.requests > 0 and run.errors == 0  # every request answered 2xx
    # The paced script keeps to its rate: each connection's first request is sent at once, then one per slot.
    assert paced.requests <= rate * paced.seconds * 1.5 + 2
    with tenant_scope(shop.tenant.id):
        responses = await Response.filter(store_id=shop.store.id).values_list("client_key", "via")
        answers = await Answer.filter(store_id=shop.store.id).count()
    # Requests still in flight when wrk stopped may have been stored too, never fewer than wrk counted.
    assert sum(via == "json" for _, via in responses) >= ingest.requests + paced.requests
    assert sum(via == "graphql" for _, via in responses) >= submitted.requests + 1  # the check's one too
    assert answers == len(responses) * (len(shop.warmup_ids) + len(shop.statement_ids))
    keys = [key for key, _ in responses]
    assert len(set(keys)) == len(keys)  # each request came from its own client address
