"""Persisted queries (Apollo's automatic persisted queries, and the allow-list mode of a portal build's manifest)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from pejling.core.settings import Settings
from pejling.graphql.persisted_queries import ManifestError, PersistedQueries, QueryStore, load_manifest
from pejling.tenants.models import Store
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import make_tenant


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str | None, digest: str, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}, **more}
    if query is not None:
        body["query"] = query
    return body


def fresh_query() -> str:
    """A document no other test registered (an alias makes it unique)."""
    return f"query Probe {{ t{secrets.token_hex(4)}: __typename }}"


def create_store(name: str) -> str:
    return f'mutation {{ createStore(input: {{name: "{name}", slug: "{secrets.token_hex(4)}"}}) {{ store {{ id }} }} }}'


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_an_unknown_hash_is_not_found_then_registered_by_sending_the_document(client: httpx.AsyncClient) -> None:
    query = fresh_query()
    digest = sha(query)
    first = await client.post("/graphql", json=persisted(None, digest))
    assert first.status_code == 200
    assert code(first) == "PERSISTED_QUERY_NOT_FOUND" and first.json()["errors"][0]["message"] == \
        "PersistedQueryNotFound"
    assert first.json().get("data") is None

    registered = await client.post("/graphql", json=persisted(query, digest))
    assert registered.status_code == 200 and registered.json()["data"] == {query.split()[3][:-1]: "Query"}

    by_hash = await client.post("/graphql", json=persisted(None, digest.upper()))
    assert by_hash.json() == registered.json()


async def test_a_hash_that_is_not_the_documents_sha256_runs_nothing_and_stores_nothing(
        client: httpx.AsyncClient) -> None:
    query = fresh_query()
    wrong = sha(query + " ")
    response = await client.post("/graphql", json=persisted(query, wrong))
    assert code(response) == "PERSISTED_QUERY_HASH_MISMATCH" and response.json().get("data") is None
    assert code(await client.post("/graphql", json=persisted(None, wrong))) == "PERSISTED_QUERY_NOT_FOUND"

    a = await make_tenant()
    mutation = create_store("Hacked")
    refused = await client.post("/graphql", json=persisted(mutation, sha("{ __typename }")), headers=a.headers)
    assert code(refused) == "PERSISTED_QUERY_HASH_MISMATCH"
    with tenant_scope(a.tenant.id):
        assert not await Store.filter(name="Hacked").exists()


@pytest.mark.parametrize("version, digest", [(2, "a" * 64), (1, "a" * 63), (1, "g" * 64), (1, None)])
async def test_a_malformed_persisted_query_is_a_clear_error(client: httpx.AsyncClient, version: int,
                                                            digest: str | None) -> None:
    body = {"query": "{ __typename }", "extensions": {"persistedQuery": {"version": version, "sha256Hash": digest}}}
    response = await client.post("/graphql", json=body)
    assert code(response) == "PERSISTED_QUERY_INVALID" and response.json().get("data") is None


async def test_documents_that_do_not_validate_or_break_the_limits_are_not_stored(client: httpx.AsyncClient) -> None:
    invalid = f"{{ noSuchField{secrets.token_hex(4)} }}"
    aliases = " ".join(f"a{i}: __typename" for i in range(16)) + f" x{secrets.token_hex(2)}: __typename"
    too_many = f"{{ {aliases} }}"
    for query in (invalid, too_many):
        digest = sha(query)
        response = await client.post("/graphql", json=persisted(query, digest))
        assert response.json().get("data") is None and response.json()["errors"]
        again = await client.post("/graphql", json=persisted(None, digest))
        assert code(again) == "PERSISTED_QUERY_NOT_FOUND", query
    aliased = await client.post("/graphql", json=persisted(too_many, sha(too_many)))
    assert "aliases" in aliased.json()["errors"][0]["message"]


async def test_a_persisted_query_runs_over_get_but_never_a_mutation(client: httpx.AsyncClient) -> None:
    a = await make_tenant()
    query = f"query Stores {{ stores {{ edges {{ node {{ name }} }} }} k{secrets.token_hex(3)}: __typename }}"
    digest = sha(query)
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    missing = await client.get("/graphql", params={"extensions": extensions}, headers=a.headers)
    assert code(missing) == "PERSISTED_QUERY_NOT_FOUND"
    registered = await client.get("/graphql", params={"query": query, "extensions": extensions}, headers=a.headers)
    assert registered.status_code == 200, registered.text
    assert registered.json()["data"]["stores"]["edges"] == [{"node": {"name": "Store 0"}}]
    by_hash = await client.get("/graphql", params={"extensions": extensions}, headers=a.headers)
    assert by_hash.json() == registered.json()

    plain = await client.get("/graphql", params={"query": "{ __typename }"}, headers=a.headers)
    assert plain.status_code == 400  # GET without a persisted query stays for GraphiQL only

    mutation = create_store("By GET")
    m_extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha(mutation)}})
    over_get = await client.get("/graphql", params={"query": mutation, "extensions": m_extensions},
                                headers=a.headers)
    assert over_get.status_code == 400
    assert code(await client.get("/graphql", params={"extensions": m_extensions}, headers=a.headers)) == \
        "PERSISTED_QUERY_NOT_FOUND"
    with tenant_scope(a.tenant.id):
        assert not await Store.filter(name="By GET").exists()
    # The same mutation, persisted by POST, still does not run over GET.
    posted = await client.post("/graphql", json=persisted(mutation, sha(mutation)), headers=a.headers)
    assert posted.json()["data"]["createStore"]["store"]["id"]
    again = await client.get("/graphql", params={"extensions": m_extensions}, headers=a.headers)
    assert again.status_code == 400
    with tenant_scope(a.tenant.id):
        assert await Store.filter(name="By GET").count() == 1


@pytest.mark.parametrize("name", ["query", "variables", "extensions", "operationName"])
async def test_a_repeated_get_parameter_is_refused_and_nothing_runs(client: httpx.AsyncClient, name: str) -> None:
    """HTTP parameter pollution (ASVS V15.3.7): strawberry would read the last of two values, a cache or a proxy in
    front may read the first. Each parameter comes once or the request is a 400, whichever the value."""
    a = await make_tenant()
    query = f"query Stores {{ stores {{ edges {{ node {{ name }} }} }} p{secrets.token_hex(3)}: __typename }}"
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha(query)}})
    params = [("query", query), ("extensions", extensions), ("variables", "{}"), ("operationName", "Stores")]
    registered = await client.get("/graphql", params=params, headers=a.headers)
    assert registered.status_code == 200 and registered.json()["data"]["stores"], registered.text
    value = dict(params)[name]
    for second in (value, query if name != "query" else "{ __typename }"):
        twice = await client.get("/graphql", params=[*params, (name, second)], headers=a.headers)
        assert twice.status_code == 400, twice.text
        assert f"'{name}' is given more than once" in twice.text
        assert "data" not in twice.text
    # A persisted query by hash alone, its extensions given twice: refused before the hash is looked up.
    by_hash = await client.get("/graphql", params=[("extensions", extensions), ("extensions", extensions)],
                               headers={**a.headers, "Accept": "text/html"})
    assert by_hash.status_code == 400 and "'extensions' is given more than once" in by_hash.text


async def test_a_key_given_twice_in_a_posted_body_is_refused_and_nothing_runs(client: httpx.AsyncClient) -> None:
    """The same rule for a JSON body: two ``query`` members (a proxy or a log may read the first, strawberry the
    last) or a variable twice is a 400, and neither document runs."""
    a = await make_tenant()
    rename = 'mutation { updateTenant(input: {name: "Renamed twice"}) { tenant { name } } }'
    quoted = json.dumps(rename)
    bodies = ['{"query": "{ __typename }", "query": ' + quoted + "}",
              '{"query": ' + quoted + ', "variables": {"name": "a", "name": "b"}}']
    for body in bodies:
        refused = await client.post("/graphql", content=body,
                                    headers={**a.headers, "Content-Type": "application/json"})
        assert refused.status_code == 400, refused.text
        assert "is given more than once in a JSON object" in refused.text and "data" not in refused.text
    name = (await client.post("/graphql", json={"query": "{ tenant { name } }"}, headers=a.headers)).json()
    assert name["data"]["tenant"]["name"] != "Renamed twice"
    ok = await client.post("/graphql", content='{"query": "{ __typename }", "variables": {"a": {"b": 1}, "b": 2}}',
                           headers={**a.headers, "Content-Type": "application/json"})
    assert ok.json()["data"] == {"__typename": "Query"}  # the same key in different objects is fine


def test_the_store_is_bounded_by_the_length_of_what_it_keeps() -> None:
    store = QueryStore(max_chars=100, max_query_chars=40)
    assert not store.put("big", "x" * 41) and store.get("big") is None
    for number in range(5):
        assert store.put(f"q{number}", str(number) * 30)
    assert store.stored_chars <= 100 and len(store) == 3
    assert store.get("q0") is None and store.get("q1") is None
    assert store.get("q2") == "2" * 30  # used: q3 goes first next
    store.put("q5", "5" * 30)
    assert store.get("q3") is None and store.get("q2") is not None


def manifest(path: Path, *documents: str, broken: bool = False) -> Path:
    operations = [{"id": sha(doc) if not broken else sha(doc + "!"), "name": f"Op{n}", "type": "query", "body": doc}
                  for n, doc in enumerate(documents)]
    path.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}))
    return path


ALLOWED = "query PortalProbe { __typename }"


@pytest.fixture
async def allow_list_app(database: Settings, tmp_path: Path) -> AsyncIterator[Any]:
    from pejling.core.app import create_app

    settings = database.model_copy(update={"graphql_persisted_queries": "allow-list",
                                           "graphql_persisted_queries_manifest": manifest(tmp_path / "m.json",
                                                                                          ALLOWED)})
    application = create_app(settings, manage_database=False)
    async with LifespanManager(application) as manager:
        yield manager.app


async def test_allow_list_mode_runs_only_the_manifest_for_everyone_but_api_tokens(allow_list_app: Any) -> None:
    transport = httpx.ASGITransport(app=allow_list_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        by_hash = await client.post("/graphql", json=persisted(None, sha(ALLOWED)))
        assert by_hash.json()["data"] == {"__typename": "Query"}
        as_text = await client.post("/graphql", json={"query": ALLOWED})
        assert as_text.json()["data"] == {"__typename": "Query"}
        other = fresh_query()
        for body in ({"query": other}, persisted(other, sha(other)), persisted(None, sha(other))):
            refused = await client.post("/graphql", json=body)
            assert code(refused) == "PERSISTED_QUERY_NOT_ALLOWED" and refused.json().get("data") is None, body
        a = await make_tenant()
        integrator = await client.post("/graphql", json={"query": "{ stores { edges { node { name } } } }"},
                                       headers=a.headers)
        assert integrator.json()["data"]["stores"]["edges"] == [{"node": {"name": "Store 0"}}]


def test_a_manifest_that_does_not_fit_is_refused_at_start(database: Settings, tmp_path: Path) -> None:
    path = manifest(tmp_path / "bad.json", ALLOWED, broken=True)
    with pytest.raises(ManifestError, match="not the sha256"):
        load_manifest(path)
    (tmp_path / "format.json").write_text(json.dumps({"operations": []}))
    with pytest.raises(ManifestError, match="format"):
        load_manifest(tmp_path / "format.json")
    with pytest.raises(ManifestError, match="needs"):
        PersistedQueries(database.model_copy(update={"graphql_persisted_queries": "allow-list"}))
    from pejling.core.app import create_app
    from pejling.graphql.api import app_started

    application = create_app(database.model_copy(update={"graphql_persisted_queries_manifest": path}),
                             manage_database=False)
    with pytest.raises(ManifestError):
        app_started(application, plugins=_NoPlugins())


class _NoPlugins:
    def graphql_types(self) -> list[Any]:
        return []


REDIS_URL = os.environ.get("PEJLING_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def test_with_redis_a_document_registered_in_one_process_is_known_in_another(database: Settings) -> None:
    import redis.asyncio as redis

    probe = redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except Exception:  # noqa: BLE001
        pytest.skip(f"no Redis at {REDIS_URL}")
    finally:
        await probe.aclose()
    from pejling.core.auth.actor import ANONYMOUS

    settings = database.model_copy(update={"redis_url": REDIS_URL})
    one, other = PersistedQueries(settings), PersistedQueries(settings)
    query = fresh_query()
    digest = sha(query)
    assert (await other.lookup(None, persisted(None, digest)["extensions"], ANONYMOUS)).error is not None
    await one.register(await one.lookup(query, persisted(None, digest)["extensions"], ANONYMOUS))
    try:
        found = await other.lookup(None, persisted(None, digest)["extensions"], ANONYMOUS)
        assert found.error is None and found.query == query
        assert other.store.get(digest) == query
    finally:
        cleanup = redis.from_url(REDIS_URL)
        await cleanup.delete(f"pejling:apq:{digest}")
        await cleanup.aclose()
