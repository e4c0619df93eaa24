"""Demo survey data generated from a known model, so that insights on the demo tenant show something true.

The generating model (also in docs/surveys.md) per store ``s``, goal ``g`` and respondent ``i``:

* experience ``x_ig = level[s][g] + zone_shift[s][zone][g] + halo_i + e_ig`` with ``halo_i ~ N(0, HALO_SD)``
  and ``e_ig ~ N(0, ITEM_SD)``; the answer is ``clip(round(x_ig), 1, 5)`` (reversed as ``6 - value`` for a
  statement of polarity -1);
* outcome (0-10) ``clip(round(INTERCEPT[s] + sum_g weight[s][g] * (x_ig - 3) + N(0, OUTCOME_SD)), 0, 10)``;
* reaction times log-normal per respondent: ``ln RT = base_i + 0.35 - 0.18 * |value - 3| + N(0, 0.3)`` with
  ``base_i ~ N(ln 1100, 0.25)`` (warm-ups: ``base_i - 0.1``), so stronger convictions are faster;
* about 3 % bots (all 5s, taps under 300 ms: flagged ``fast_taps`` and ``straight_line``) and about 1 % with a wrong
  device clock (submitted before started: ``impossible_duration``), flagged by the real quality checks.

The truth is in :data:`DEMO_TRUTH`: in Copenhagen, ease is both the most important goal for the outcome and the weakest
(worst at the checkout zone), so it is the first place to optimise there.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from pejling.core.insights.rollups import recompute_rollups
from pejling.core.surveys.bank import BankStatement
from pejling.core.surveys.models import Answer, Response
from pejling.core.surveys.quality import TapForQuality, quality_flags
from pejling.core.surveys.receipts import new_receipt_code
from pejling.core.surveys.survey import active_survey, statements_of
from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.scope import tenant_scope


@dataclass(frozen=True)
class GoalTruth:
    """The true mean experience of a goal on the 1-5 scale and its true weight on the outcome (NPS points per point)."""

    level: float
    weight: float


#: store slug -> goal -> truth. Copenhagen: ease is the most important goal and the weakest one.
DEMO_TRUTH: Mapping[str, Mapping[str, GoalTruth]] = {
    "copenhagen": {
        "security": GoalTruth(4.0, 0.30),
        "ease": GoalTruth(2.4, 1.20),
        "autonomy": GoalTruth(3.8, 0.15),
        "recognition": GoalTruth(3.4, 0.35),
        "enjoyment": GoalTruth(3.9, 0.25),
        "discovery": GoalTruth(3.6, 0.10),
        "value": GoalTruth(3.5, 0.40),
    },
    "oslo": {
        "security": GoalTruth(4.1, 0.25),
        "ease": GoalTruth(3.9, 0.35),
        "autonomy": GoalTruth(3.7, 0.15),
        "recognition": GoalTruth(2.8, 0.90),
        "enjoyment": GoalTruth(3.8, 0.30),
        "discovery": GoalTruth(3.3, 0.15),
        "value": GoalTruth(3.6, 0.45),
    },
    "stockholm": {
        "security": GoalTruth(4.2, 0.20),
        "ease": GoalTruth(4.0, 0.30),
        "autonomy": GoalTruth(3.9, 0.20),
        "recognition": GoalTruth(3.6, 0.30),
        "enjoyment": GoalTruth(3.0, 0.50),
        "discovery": GoalTruth(2.6, 0.80),
        "value": GoalTruth(3.2, 0.55),
    },
}
#: store slug -> zone kind -> goal -> shift of the level in that zone.
ZONE_SHIFT: Mapping[str, Mapping[str, Mapping[str, float]]] = {
    "copenhagen": {"checkout": {"ease": -0.6}, "entrance": {"ease": 0.2}},
    "oslo": {"fitting_room": {"recognition": -0.4}},
    "stockholm": {},
}
INTERCEPT: Mapping[str, float] = {"copenhagen": 7.2, "oslo": 7.4, "stockholm": 7.6}
RESPONSES_PER_STORE: Mapping[str, int] = {"copenhagen": 1200, "oslo": 1000, "stockholm": 800}
HALO_SD = 0.4
ITEM_SD = 0.7
OUTCOME_SD = 1.2
BOT_SHARE = 0.03
BAD_CLOCK_SHARE = 0.01
DAYS = 90
SEED = 2026

COMMENTS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "da": (
        ("Venlig hjælp ved prøverummet.", "Dejlig stemning i dag."),
        ("Lang kø ved kassen.", "Svært at finde rundt."),
    ),
    "nb": (("Hyggelig betjening.", "Fant alt jeg trengte."), ("Ingen hilste da jeg kom inn.", "Lang kø i kassen.")),
    "sv": (("Trevlig personal.", "Snabbt i kassan."), ("Inget nytt sedan förra gången.", "Lite dyrt.")),
    "en": (("Friendly staff.", "Easy to find things."), ("Long queue at the tills.", "Hard to find help.")),
}


def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, int(round(value))))


async def seed_demo_survey(tenant: Tenant, *, now: datetime | None = None) -> int:
    """Give the demo tenant its survey and a few thousand responses; returns how many were created (0 if present)."""
    now = now or datetime.now(UTC)
    rng = random.Random(SEED)
    with tenant_scope(tenant.id):
        current = await active_survey()
        assert current is not None
        if await Response.filter(via="demo").exists():
            return 0
        statements = await statements_of(current.version)
        stores = {s.slug: s for s in await Store.all()}
        zones: dict[str, list[Zone]] = {}
        for zone in await Zone.all():
            zones.setdefault(str(zone.store_id), []).append(zone)
        used_codes: set[str] = set()
        responses: list[Response] = []
        answers: list[Answer] = []
        for slug, count in RESPONSES_PER_STORE.items():
            store = stores.get(slug)
            if store is None:
                continue
            for _ in range(count):
                response, taps = _one_response(
                    rng, store, zones.get(str(store.id), []), statements, current.version.id, now, used_codes
                )
                responses.append(response)
                answers.extend(taps)
        async with in_transaction():
            await Response.bulk_create(responses, batch_size=500)
            await Answer.bulk_create(answers, batch_size=2000)
        await recompute_rollups(tenant.id)
    return len(responses)


def _one_response(
    rng: random.Random,
    store: Store,
    zones: list[Zone],
    statements: list[BankStatement],
    version_id: uuid.UUID,
    now: datetime,
    used_codes: set[str],
) -> tuple[Response, list[Answer]]:
    slug = store.slug
    truth = DEMO_TRUTH[slug]
    zone = rng.choice(zones) if zones and rng.random() < 0.9 else None
    shifts = ZONE_SHIFT.get(slug, {}).get(zone.kind, {}) if zone is not None else {}
    bot = rng.random() < BOT_SHARE
    bad_clock = not bot and rng.random() < BAD_CLOCK_SHARE
    halo = rng.gauss(0, HALO_SD)
    base = rng.gauss(math.log(1100), 0.25)
    experience = {g: t.level + shifts.get(g, 0.0) + halo + rng.gauss(0, ITEM_SD) for g, t in truth.items()}

    response_id = uuid.uuid4()
    local = ZoneInfo(store.timezone)
    day = (now - timedelta(days=rng.uniform(0, DAYS))).astimezone(local)
    started = day.replace(hour=rng.randint(9, 19), minute=rng.randint(0, 59), second=rng.randint(0, 59))
    started = min(started.astimezone(UTC), now - timedelta(minutes=5))

    language = store.default_language if rng.random() < 0.82 else rng.choice(["en", "en", "da", "nb", "sv"])
    scored = [s for s in statements if not s.warmup]
    rng.shuffle(scored)
    order = [s for s in statements if s.warmup] + scored
    answers: list[Answer] = []
    quality: list[TapForQuality] = []
    for position, statement in enumerate(order):
        if statement.warmup:
            value = 5 if rng.random() < 0.95 else 4
            rt = math.exp(base - 0.1 + rng.gauss(0, 0.2))
        else:
            value = _clip(experience[statement.goal], 1, 5)
            if statement.polarity == -1:
                value = 6 - value
            rt = math.exp(base + 0.35 - 0.18 * abs(value - 3) + rng.gauss(0, 0.3))
        if bot:
            value, rt = 5, rng.uniform(140, 280)
        reaction_ms = int(min(max(rt, 120.0), 20_000.0))
        quality.append(TapForQuality(value, reaction_ms, statement.warmup))
        answers.append(
            Answer(
                tenant_id=store.tenant_id,
                response_id=response_id,
                store_id=store.id,
                statement_id=statement.id,
                goal=statement.goal,
                polarity=statement.polarity,
                value=value,
                position=position,
                reaction_ms=reaction_ms,
                warmup=statement.warmup,
            )
        )
    taps_ms = sum(t.reaction_ms or 0 for t in quality)
    # Reading time between taps, then the outcome question and sometimes a comment.
    duration_ms = taps_ms + len(order) * rng.randint(250, 700) + rng.randint(4_000, 12_000)
    submitted = started + timedelta(milliseconds=duration_ms)
    if bad_clock:
        started, submitted = submitted, started
    for answer in answers:
        answer.submitted_at = submitted
    outcome_latent = INTERCEPT[slug] + sum(t.weight * (experience[g] - 3.0) for g, t in truth.items())
    outcome: int | None = _clip(outcome_latent + rng.gauss(0, OUTCOME_SD), 0, 10)
    if bot:
        outcome = 10
    elif rng.random() < 0.04:
        outcome = None  # skipped
    comment = ""
    if not bot and rng.random() < 0.18:
        good, bad = COMMENTS[language]
        comment = rng.choice(good if (outcome or 0) >= 8 else bad)
    code = new_receipt_code()
    while code in used_codes:
        code = new_receipt_code()
    used_codes.add(code)
    channel = rng.choices(["qr", "nfc", "email", "kiosk"], weights=[60, 20, 15, 5])[0]
    device = "tablet" if channel == "kiosk" else rng.choices(["phone", "tablet", "desktop"], weights=[88, 8, 4])[0]
    response = Response(
        id=response_id,
        tenant_id=store.tenant_id,
        store_id=store.id,
        zone_id=zone.id if zone is not None else None,
        survey_version_id=version_id,
        channel=channel,
        via="demo",
        language=language,
        device_class=device,
        started_at=started,
        submitted_at=submitted,
        duration_ms=int((submitted - started).total_seconds() * 1000),
        outcome=outcome,
        comment=comment,
        quality_flags=quality_flags(quality, started, submitted),
        receipt_code=code,
        client_key=uuid.UUID(int=rng.getrandbits(128)).hex,
    )
    return response, answers
