"""Cross-origin calls: only configured origins, only /graphql, never with the session cookie (core/cors.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from pejling.core.app import create_app
from pejling.core.followups import use_settings as use_followup_settings
from pejling.core.settings import Settings
from tests.support.tenancy import make_tenant

INTEGRATOR = "https://app.integrator.example"
PREFLIGHT = {"Origin": INTEGRATOR, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization,content-type"}


@pytest.fixture
def app_with(database: Settings) -> Iterator[Callable[..., Starlette]]:
    yield lambda **changes: create_app(database.model_copy(update=changes), manage_database=False)
    use_followup_settings(database)


@pytest.fixture
async def api(app_with: Callable[..., Starlette]) -> AsyncIterator[httpx.AsyncClient]:
    app = app_with(cors_origins=[INTEGRATOR])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def test_a_configured_origin_calls_graphql_with_a_token(api: httpx.AsyncClient) -> None:
    shop = await make_tenant(stores=1)
    preflight = await api.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == INTEGRATOR
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    answer = await api.post("/graphql", json={"query": "{ stores { edges { node { name } } } }"},
                            headers={**shop.headers, "Origin": INTEGRATOR})
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    assert answer.headers["access-control-allow-origin"] == INTEGRATOR
    assert "access-control-allow-credentials" not in answer.headers


async def test_another_origin_and_other_paths_get_no_cors_headers(api: httpx.AsyncClient) -> None:
    other = await api.options("/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    answer = await api.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers
    # Only the API is opened: the portal, the shopper pages and the live feed stay same-origin.
    for path in ("/login", "/healthz", "/api/live/responses"):
        assert "access-control-allow-origin" not in (await api.get(path, headers={"Origin": INTEGRATOR})).headers


async def test_no_origin_is_allowed_by_default(app_with: Callable[..., Starlette]) -> None:
    transport = httpx.ASGITransport(app=app_with())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        preflight = await client.options("/graphql", headers=PREFLIGHT)
        answer = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": INTEGRATOR})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("written", ["*", "https://*.example.com", "https://app.example.com/path", "ftp://x",
                                     "https://user@app.example.com"])
def test_a_wrong_origin_setting_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, written: str) -> None:
    from pydantic import ValidationError

    from pejling.core.settings import settings_problem

    monkeypatch.setenv("PEJLING_CORS_ORIGINS", f"{INTEGRATOR},{written}")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert settings_problem(refused.value).startswith(f"PEJLING_CORS_ORIGINS: {written!r} is not a web origin")


def test_origins_are_read_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEJLING_CORS_ORIGINS", "https://App.Example.com:443/, http://localhost:5173")
    assert Settings().cors_origins == ["https://app.example.com", "http://localhost:5173"]
