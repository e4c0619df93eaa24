"""Simulated shoppers from a KNOWN model, stored as real responses (imported by the insights tests)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import numpy as np

from pejling.core.insights.rollups import recompute_rollups, record_response
from pejling.core.loaded_plugins import Plugins
from pejling.core.plugin_manager import load_plugins
from pejling.core.settings import get_settings
from pejling.core.surveys.bank import GOALS
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.survey import active_survey
from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.scope import tenant_scope
from pejling.tenants.signup import create_tenant_with_owner

_PLUGINS: list[Plugins] = []


async def suite_plugins() -> Plugins:
    """The plugins of the test run, loaded once (what an app process holds as ``app.state.plugins``)."""
    if not _PLUGINS:
        _PLUGINS.append(await load_plugins(get_settings()))
    return _PLUGINS[0]


#: Receipt codes are unique per tenant: a counter, where random codes collided at simulation volumes.
RECEIPTS = itertools.count()

STATEMENTS = {
    "security": "security.prices-clear",
    "ease": "ease.found-without-asking",
    "autonomy": "autonomy.own-pace",
    "recognition": "recognition.felt-welcome",
    "enjoyment": "enjoyment.liked-being-there",
    "discovery": "discovery.something-new",
    "value": "value.worth-the-money",
}
WARMUP = "warmup.visited-today"
PASSWORD = "correct horse battery staple"


@dataclass
class StoreModel:
    """True goal means (1..5) and driver weights of one store."""

    means: dict[str, float]
    weights: dict[str, float]


@dataclass
class World:
    tenant: Tenant
    owner_id: UUID
    stores: list[Store]
    zones: dict[UUID, list[Zone]] = field(default_factory=dict)


async def make_world(n_stores: int = 4, zones_per_store: int = 1) -> World:
    slug = f"ins-{secrets.token_hex(4)}"
    tenant, owner = await create_tenant_with_owner(
        tenant_name=f"Insights {slug}", tenant_slug=slug, email=f"{slug}@example.com", password=PASSWORD
    )
    stores: list[Store] = []
    zones: dict[UUID, list[Zone]] = {}
    with tenant_scope(tenant.id):
        for i in range(n_stores):
            store = await Store.create(name=f"Store {i}", slug=f"s{i}", timezone="Europe/Copenhagen")
            stores.append(store)
            zones[store.id] = [await Zone.create(store=store, name=f"Zone {k}") for k in range(zones_per_store)]
    return World(tenant, owner.id, stores, zones)


def default_model() -> StoreModel:
    return StoreModel({g: 3.6 for g in GOALS}, {g: 0.4 for g in GOALS})


def draw(rng: np.random.Generator, model: StoreModel) -> tuple[dict[str, int], int, dict[str, int]]:
    """One shopper: answers per goal (1..5), outcome (0..10) and reaction times."""
    answers: dict[str, int] = {}
    latent = 0.0
    for g in GOALS:
        x = rng.normal(model.means[g], 0.9)
        v = int(np.clip(round(x), 1, 5))
        answers[g] = v
        latent += model.weights[g] * (v - 3.0)
    outcome = int(np.clip(round(6.5 + latent + rng.normal(0, 0.8)), 0, 10))
    rts = {g: int(rng.lognormal(np.log(1200), 0.35)) + 300 for g in GOALS}
    return answers, outcome, rts


async def add_responses(
    world: World, store: Store, model: StoreModel, count: int, *, rng: np.random.Generator, start: date,
    days: int = 28, incremental: bool = False, channel: str | Sequence[str] = "qr", outcome_shift: float = 0.0,
) -> list[Response]:
    """Store ``count`` simulated responses of ``store`` spread over ``days`` from ``start``.

    ``incremental`` adds each to the rollups as the ingest does; otherwise call :func:`recompute_rollups` after.
    """
    channels = [channel] if isinstance(channel, str) else list(channel)
    with tenant_scope(world.tenant.id):
        version = (await active_survey()).version  # type: ignore[union-attr]
        responses: list[Response] = []
        answers: list[Answer] = []
        for _ in range(count):
            values, outcome, rts = draw(rng, model)
            if outcome_shift:
                outcome = int(np.clip(round(outcome + outcome_shift), 0, 10))
            moment = datetime.combine(start, datetime.min.time(), UTC) + timedelta(
                days=int(rng.integers(0, days)), hours=int(rng.integers(8, 18))
            )
            zone_list = world.zones.get(store.id) or []
            zone = zone_list[int(rng.integers(0, len(zone_list)))] if zone_list else None
            response = Response(
                id=uuid4(), tenant_id=world.tenant.id, store_id=store.id, zone_id=zone.id if zone else None,
                survey_version_id=version.id, channel=channels[int(rng.integers(0, len(channels)))], via="json",
                language="en", started_at=moment - timedelta(seconds=40), submitted_at=moment, duration_ms=40000,
                outcome=outcome, quality_flags=[], receipt_code=f"S{next(RECEIPTS):07X}",
            )
            responses.append(response)
            taps = [Answer(id=uuid4(), tenant_id=world.tenant.id, response_id=response.id, store_id=store.id,
                           submitted_at=moment, statement_id=WARMUP,
                           goal="warmup", polarity=1, value=5, position=0, reaction_ms=int(rng.integers(700, 1400)),
                           warmup=True)]
            for k, g in enumerate(GOALS):
                taps.append(Answer(id=uuid4(), tenant_id=world.tenant.id, response_id=response.id,
                                   store_id=store.id, submitted_at=moment, statement_id=STATEMENTS[g], goal=g,
                                   polarity=1,
                                   value=values[g], position=k + 1,
                                   reaction_ms=rts[g], warmup=False))
            answers.extend(taps)
            response._taps = taps  # type: ignore[attr-defined]
        await Response.bulk_create(responses, batch_size=500)
        await Answer.bulk_create(answers, batch_size=2000)
        if incremental:
            for response in responses:
                await record_response(response, response._taps, timezone=store.timezone,  # type: ignore[attr-defined]
                                      plugins=await suite_plugins())
    return responses


async def recompute(world: World) -> int:
    return await recompute_rollups(world.tenant.id)
