"""Attempts to get past the controls are counted and logged as aggregated security events (ASVS V16.3.3).

Each refusal point counts its refusal; one ``security_event`` line per kind is written when the counts are flushed
(every ``PEJLING_SECURITY_EVENT_SECONDS`` and at shutdown; the test run's interval is a day, so these tests flush
themselves or shut their app down). The lines carry counts and client hashes, never addresses, tokens or cookies.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from pejling.core import security_events
from pejling.core.auth.sessions import session_cookie_name
from pejling.core.logs import client_hash
from pejling.core.request_limits import MAX_BODY_BYTES
from pejling.core.security_events import KINDS, MAX_CLIENTS, MAX_DETAILS, SECURITY_LOGGER, TOP_CLIENTS, SecurityEvents
from pejling.core.settings import Settings
from tests.support.tenancy import PASSWORD, make_tenant

LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { me { csrfToken } errors { code } }
}"""
CREATE_TOKEN = """mutation { createApiToken(input: {name: "ci", scopes: [READ]}) { secret errors { code } } }"""
WRONG = "wrong-password-" + secrets.token_hex(4)
RESETS = "mutation($e: String!) { " + " ".join(f"a{i}: requestPasswordReset(email: $e) {{ ok }}" for i in range(11)) \
    + " }"


def fresh_address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


class Lines(logging.Handler):
    """The records of the ``pejling.security`` logger, whatever the root logger's handlers are meanwhile."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def by_kind(self) -> dict[str, logging.LogRecord]:
        found: dict[str, logging.LogRecord] = {}
        for record in self.records:
            kind = getattr(record, "kind")
            assert kind not in found, f"two lines of {kind}"
            found[kind] = record
        return found


@pytest.fixture
def lines() -> Iterator[Lines]:
    security_events.flush()  # what earlier tests left counted is not this test's
    handler = Lines()
    logger = logging.getLogger(SECURITY_LOGGER)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """The root logger's handlers as they were, after a test that makes an app of its own (which sets them)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def browser(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_every_kind_of_refusal_is_counted_and_written_once_per_kind_at_shutdown(
    database: Settings, lines: Lines, monkeypatch: pytest.MonkeyPatch, root_handlers: None
) -> None:
    from pejling.core.app import create_app

    address, other = fresh_address(), fresh_address()
    shop, stranger = await make_tenant(stores=0), await make_tenant(stores=0)
    unknown_token = "pjl_" + secrets.token_urlsafe(32)
    stale_cookie = secrets.token_urlsafe(32)
    application = create_app(database.model_copy(update={"api_rate_limits": True}), manage_database=False)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60) as manager:
        app = manager.app
        async with browser(app, address) as client, browser(app, other) as second:
            # invalid_token (twice, from two clients), invalid_session, tenant_refused, body_too_large
            assert (await client.post("/graphql", json={"query": "{ me { email } }"},
                                      headers={"Authorization": f"Bearer {unknown_token}"})).status_code == 401
            nonsense = await second.get("/api/audit-log.csv", headers={"Authorization": "Bearer nonsense"})
            assert nonsense.status_code == 401
            client.cookies.set(session_cookie_name(False), stale_cookie)
            assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
            client.cookies.clear()
            refused = await client.post("/graphql", json={"query": "{ me { email } }"},
                                        headers={**shop.headers, "X-Pejling-Tenant": stranger.tenant.slug})
            assert refused.status_code == 404
            assert (await client.post("/graphql", content=b"x" * (MAX_BODY_BYTES + 1),
                                      headers={"Content-Type": "application/json"})).status_code == 413
            # csrf_failed and cross_site, with a logged-in browser
            login = await client.post("/graphql", json={"query": LOGIN, "variables": {"email": shop.owner.email,
                                                                                       "password": PASSWORD}})
            csrf = login.json()["data"]["login"]["me"]["csrfToken"]
            assert (await client.post("/graphql", json={"query": CREATE_TOKEN})).status_code == 403
            assert (await client.post("/graphql", json={"query": CREATE_TOKEN}, headers={
                "X-CSRF-Token": csrf, "Origin": "https://evil.example"})).status_code == 403
            client.cookies.clear()
            # login_throttled: the email's allowance spent (5 failures), the next try is paused
            for _ in range(database.login_max_failures + 1):
                answer = await second.post("/graphql", json={"query": LOGIN, "variables": {
                    "email": stranger.owner.email, "password": WRONG}})
            assert answer.json()["data"]["login"]["errors"] == [{"code": "throttled"}]
            # rate_limited: eleven password resets in one operation, over the budget of ten
            over = await client.post("/graphql", json={"query": RESETS, "variables": {"e": "x@example.com"}})
            assert over.status_code == 429
            # webhook_signature: a Stripe event signed with someone else's secret
            monkeypatch.setenv("PEJLING_STRIPE_WEBHOOK_SECRET", "whsec_ours")
            forged = await second.post("/webhooks/stripe", content=b'{"id": "evt_1"}',
                                       headers={"Stripe-Signature": "t=1,v1=" + "0" * 64})
            assert forged.status_code == 400
            async with browser(app, "127.0.0.1") as local:
                metrics = (await local.get("/metrics")).text

        assert lines.records == []  # counting writes nothing
    # The app has shut down, which flushed the counts.
    written = lines.by_kind()
    assert set(written) == {"invalid_token", "invalid_session", "tenant_refused", "body_too_large", "csrf_failed",
                            "cross_site", "login_throttled", "rate_limited", "webhook_signature"}
    assert set(written) <= set(KINDS)
    counts = {kind: (getattr(r, "count"), getattr(r, "clients"), getattr(r, "details")) for kind, r in written.items()}
    assert counts["invalid_token"] == (2, 2, {})
    assert counts["tenant_refused"] == (1, 1, {})
    assert counts["rate_limited"] == (1, 1, {"requestPasswordReset": 1})
    assert counts["login_throttled"] == (1, 1, {"login": 1})
    assert counts["webhook_signature"] == (1, 1, {"stripe": 1})
    day = datetime.now(UTC).date().isoformat()
    key = database.secret_bytes()
    assert written["csrf_failed"].__dict__["top_clients"] == [{"client": client_hash(key, day, address), "count": 1}]
    assert written["webhook_signature"].__dict__["top_clients"][0]["client"] == client_hash(key, day, other)
    for record in written.values():
        assert record.levelno == logging.WARNING and getattr(record, "event") == "security_event"
        text = str(record.__dict__)
        for secret in (address, other, unknown_token, stale_cookie, csrf, WRONG, shop.token):
            assert secret not in text
    assert 'pejling_security_events_total{detail="requestPasswordReset",kind="rate_limited"}' in metrics or \
        'pejling_security_events_total{kind="rate_limited",detail="requestPasswordReset"}' in metrics
    assert 'pejling_security_events_total{kind="cross_site",detail=""}' in metrics or \
        'pejling_security_events_total{detail="",kind="cross_site"}' in metrics


def test_a_flood_is_counted_in_bounded_memory(database: Settings, lines: Lines) -> None:
    events = SecurityEvents()
    events.configure(database)
    for _ in range(7):
        events.refused_address("rate_limited", "192.0.2.7", "submission")
    for number in range(MAX_CLIENTS + 50):
        events.refused_address("rate_limited", f"10.1.{number // 250}.{number % 250}", "submission")
    for number in range(MAX_DETAILS + 3):
        events.refused_address("rate_limited", None, f"field{number}")
    [line] = events.flush()
    assert line["count"] == 7 + MAX_CLIENTS + 50 + MAX_DETAILS + 3
    assert line["clients"] == MAX_CLIENTS and line["clients_capped"] is True
    assert len(line["top_clients"]) == TOP_CLIENTS and line["top_clients"][0]["count"] == 7
    assert len(line["details"]) == MAX_DETAILS and line["details"]["submission"] == 7 + MAX_CLIENTS + 50
    assert line["details"]["other"] == 5  # beyond "submission", field0 … field29 and "other" itself
    assert [r.name for r in lines.records] == [SECURITY_LOGGER]
    assert events.flush() == []  # a quiet interval writes nothing
    with pytest.raises(ValueError, match="unknown security event kind"):
        events.refused_address("something", None)
