"""``/metrics``: Prometheus only. With PEJLING_METRICS_TOKEN, the bearer token; without, only direct loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from pejling.core.app import create_app
from pejling.core.followups import use_settings as use_followup_settings
from pejling.core.settings import Settings

COUNTER = 'pejling_http_requests_total{method="GET",route="/healthz",status="200"}'


@pytest.fixture
def app_with(database: Settings) -> Iterator[Callable[..., Starlette]]:
    """An app on the run's database with some settings changed (no lifespan needed for these requests).

    create_app hands its settings to the follow-up jobs process-wide; the run's settings are put back afterwards.
    """
    yield lambda **changes: create_app(database.model_copy(update=changes), manage_database=False)
    use_followup_settings(database)


def _client(app: object, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://test")


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
async def test_without_a_token_this_machine_may_read_the_metrics(app: object, address: str) -> None:
    async with _client(app, address) as local:
        await local.get("/healthz")
        response = await local.get("/metrics")
    assert response.status_code == 200
    assert COUNTER in response.text
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        ("203.0.113.7", {}),
        ("10.0.0.8", {}),
        # A reverse proxy on the same machine: the peer is loopback, but the request came from elsewhere.
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}),
        ("127.0.0.1", {"X-Real-IP": "203.0.113.7"}),
    ],
)
async def test_without_a_token_nobody_else_sees_them(app: object, address: str, headers: dict[str, str]) -> None:
    async with _client(app, address) as outsider:
        response = await outsider.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "pejling_http_requests_total" not in response.text


async def test_a_trusted_proxy_on_this_machine_does_not_count_as_local(app_with: Callable[..., Starlette]) -> None:
    app = app_with(trusted_proxies=["127.0.0.1"])
    async with _client(app, "127.0.0.1") as proxy:
        assert (await proxy.get("/metrics")).status_code == 404


async def test_with_a_token_only_its_bearer_reads_the_metrics(app_with: Callable[..., Starlette]) -> None:
    token = "metrics-secret-" + "z" * 24
    app = app_with(metrics_token=SecretStr(token))
    async with _client(app, "203.0.113.7") as prometheus:
        await prometheus.get("/healthz")
        allowed = await prometheus.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200 and COUNTER in allowed.text
        assert allowed.headers["cache-control"] == "no-store"
    for address in ("203.0.113.7", "127.0.0.1"):  # with a token configured, loopback needs it too
        async with _client(app, address) as client:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"},
                            {"Authorization": f"Bearer {token}x"}):
                refused = await client.get("/metrics", headers=headers)
                assert refused.status_code == 401, (address, headers)
                assert refused.headers["www-authenticate"].startswith("Bearer")
                assert "pejling_http_requests_total" not in refused.text
