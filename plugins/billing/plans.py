"""The plans of Pejling's billing, read from ``plans.toml`` next to this module.

A plan has a price per store per month and limits on stores, monthly responses, users and which plugins a tenant may
switch on. ``pilot`` is the free plan every tenant starts on (:data:`PILOT`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

PILOT = "pilot"
"""The plan a tenant lands on at signup: one store, free for ``trial_days``, no card."""


@dataclass(frozen=True)
class Plan:
    """One plan. A limit of ``None`` is unlimited; ``plugins`` containing ``"*"`` allows every plugin."""

    key: str
    name: str
    description: str
    price_per_store: int
    currency: str
    trial_days: int | None
    stores: int | None
    monthly_responses: int | None
    users: int | None
    plugins: tuple[str, ...]

    @property
    def paid(self) -> bool:
        return self.price_per_store > 0

    def allows_plugin(self, name: str) -> bool:
        return "*" in self.plugins or name in self.plugins

    @property
    def lookup_key(self) -> str:
        """The Stripe price (plan) id: it changes with the amount, so a new price never rewrites an old one."""
        return f"pejling-{self.key}-{self.currency}-{self.price_per_store}-month"

    @property
    def product_id(self) -> str:
        return f"pejling-{self.key}"


def _plan(key: str, raw: dict[str, object]) -> Plan:
    def limit(name: str) -> int | None:
        value = raw.get(name)
        return int(value) if isinstance(value, int) else None

    return Plan(
        key=key, name=str(raw["name"]), description=str(raw.get("description", "")),
        price_per_store=int(raw.get("price_per_store", 0)),  # type: ignore[call-overload]
        currency=str(raw.get("currency", "eur")), trial_days=limit("trial_days"), stores=limit("stores"),
        monthly_responses=limit("monthly_responses"), users=limit("users"),
        plugins=tuple(str(p) for p in raw.get("plugins", ())),  # type: ignore[attr-defined]
    )


@lru_cache(maxsize=1)
def plans() -> dict[str, Plan]:
    """Every plan by key, in the order of the file (cheapest first)."""
    data = tomllib.loads(files(__package__).joinpath("plans.toml").read_text(encoding="utf-8"))
    found = {key: _plan(key, raw) for key, raw in data["plans"].items()}
    if PILOT not in found:
        raise RuntimeError("plans.toml must define the pilot plan")
    return found


def plan(key: str) -> Plan:
    """The plan ``key``; raises ``KeyError`` for an unknown key."""
    return plans()[key]


def plan_by_price(price_id: str) -> Plan | None:
    """The plan whose Stripe price (plan) id is ``price_id``, or ``None``."""
    return next((p for p in plans().values() if p.lookup_key == price_id), None)


def first_plan_allowing(*, stores: int | None = None, users: int | None = None, plugin: str | None = None
                        ) -> Plan | None:
    """The cheapest paid plan that allows ``stores`` stores, ``users`` seats and ``plugin``, or ``None``."""
    for candidate in plans().values():
        if not candidate.paid:
            continue
        if stores is not None and candidate.stores is not None and stores > candidate.stores:
            continue
        if users is not None and candidate.users is not None and users > candidate.users:
            continue
        if plugin is not None and not candidate.allows_plugin(plugin):
            continue
        return candidate
    return None
