"""Fixtures of the closed-loop tests: a tenant with stores, members with API tokens, real ingest, real SMTP, jobs."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from support.smtp import SmtpSink, smtp_server  # noqa: F401 - the fixture is used by name

from pejling.core import followups
from pejling.core.auth.api_tokens import create_api_token
from pejling.core.auth.passwords import hash_password
from pejling.core.followups.jobs import JOB_KINDS
from pejling.core.jobs.worker import Worker
from pejling.core.settings import Settings
from pejling.core.surveys.hooks import response_events_delivered
from pejling.core.surveys.survey import active_survey
from pejling.tenants.models import Membership, Role, Store, Tenant, User, Zone
from pejling.tenants.scope import tenant_scope
from pejling.tenants.signup import create_tenant_with_owner

UA_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def fresh_address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@dataclass
class Person:
    user: User
    membership: Membership
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Chain:
    """A tenant with two stores, an owner, an analyst and a store manager of the first store."""

    tenant: Tenant
    store: Store
    other_store: Store
    zone: Zone
    owner: Person
    analyst: Person
    manager: Person
    version_id: str
    statement_ids: list[str]
    warmup_ids: list[str]
    app: Any = field(repr=False, default=None)

    def payload(self, *, outcome: int | None = 8, comment: str = "", values: dict[str, int] | None = None,
                store: Store | None = None, consent_email: str | None = None,
                submitted_at: datetime | None = None) -> dict[str, Any]:
        """A valid submission; ``values`` sets the answer per goal (default 4)."""
        submitted = submitted_at or datetime.now(UTC) - timedelta(minutes=1)
        started = submitted - timedelta(seconds=40)
        answers = []
        from pejling.core.surveys.bank import current_bank

        bank = {s.id: s for s in current_bank().statements}
        for position, sid in enumerate([*self.warmup_ids, *self.statement_ids]):
            goal = bank[sid].goal if sid in bank else ""
            value = (values or {}).get(goal, 4)
            if sid in bank and bank[sid].polarity < 0:
                value = 6 - value
            answers.append({"statement_id": sid, "value": value, "position": position,
                            "reaction_ms": 900 + 131 * position})
        return {
            "id": str(uuid.uuid4()), "survey_version_id": self.version_id, "invitation": None,
            "zone_id": str(self.zone.id) if (store or self.store).id == self.store.id else None,
            "channel": "qr", "language": "da", "started_at": started.isoformat(),
            "submitted_at": submitted.isoformat(), "answers": answers, "outcome": outcome, "comment": comment,
            "consent": {"contact": consent_email is not None, "email": consent_email},
            "client": {"viewport_width": 390, "touch": True},
        }

    async def submit(self, **kwargs: Any) -> str:
        """Submit through the real ingest route (a fresh client address each time); returns the response id."""
        store = kwargs.get("store") or self.store
        payload = self.payload(**kwargs)
        transport = httpx.ASGITransport(app=self.app, client=(fresh_address(), 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            reply = await http.post(f"/s/{self.tenant.slug}/{store.slug}/responses", json=payload,
                                    headers={"user-agent": UA_PHONE})
        assert reply.status_code == 201, reply.text
        await response_events_delivered()  # the follow-up rules run after the answer (docs/ingest.md)
        return str(payload["id"])


async def _person(tenant: Tenant, role: Role, store_ids: list[str] | None = None) -> Person:
    user = await User.create(email=f"{unique('m')}@example.com", name=f"{role.value} person",
                             password_hash=hash_password(secrets.token_urlsafe(16)))
    with tenant_scope(tenant.id):
        membership = await Membership.create(tenant=tenant, user=user, role=role, store_ids=store_ids or [])
        _, token = await create_api_token(name="tests", scopes=["read", "write"], created_by=user.id)
    return Person(user, membership, token)


async def make_chain(app: Any, language: str = "da") -> Chain:
    slug = unique("loop")
    tenant, owner_user = await create_tenant_with_owner(
        tenant_name=f"Loop {slug}", tenant_slug=slug, email=f"{slug}@example.com",
        password="correct horse battery staple 42", language=language,
    )
    with tenant_scope(tenant.id):
        store = await Store.create(name="Main street", slug="main", default_language="da")
        other = await Store.create(name="Harbour", slug="harbour", default_language="da")
        zone = await Zone.create(store=store, name="Checkout", kind="checkout")
        current = await active_survey()
        assert current is not None
        owner_membership = await Membership.get(user_id=owner_user.id)
        _, owner_token = await create_api_token(name="owner", scopes=["read", "write"], created_by=owner_user.id)
    analyst = await _person(tenant, Role.ANALYST)
    manager = await _person(tenant, Role.STORE_MANAGER, [str(store.id)])
    return Chain(tenant, store, other, zone, Person(owner_user, owner_membership, owner_token), analyst, manager,
                 str(current.version.id), list(current.version.statement_ids), list(current.version.warmup_ids), app)


@pytest.fixture(scope="session")
def loop_settings(database: Settings, smtp_server: SmtpSink) -> Settings:  # noqa: F811
    return database.model_copy(update={"smtp_url": smtp_server.url, "base_url": "https://pejling.test"})


@pytest.fixture(autouse=True)
def _followup_settings(loop_settings: Settings) -> Iterator[None]:
    """Jobs of these tests mail to the local aiosmtpd server."""
    followups.use_settings(loop_settings)
    yield


@pytest.fixture
async def chain(app: Any) -> Chain:
    return await make_chain(app)


class Jobs:
    """Runs the closed-loop jobs that are due, as the worker would."""

    def __init__(self, settings: Settings) -> None:
        self.worker = Worker(settings, kinds=JOB_KINDS, concurrency=4)

    async def run(self, rounds: int = 10) -> int:
        total = 0
        for _ in range(rounds):
            ran = await self.worker.run_once()
            total += ran
            if not ran:
                break
        return total


@pytest.fixture
def jobs(loop_settings: Settings) -> Jobs:
    return Jobs(loop_settings)


@pytest.fixture
async def api(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def gql(api: httpx.AsyncClient, person: Person | None, query: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL operation; returns the JSON body (asserting it has no top-level errors unless asked)."""
    headers = person.headers if person else {}
    reply = await api.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = reply.json()
    return body
