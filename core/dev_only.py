"""What only development and tests may switch on, and the refusal to run it in production (ASVS V15.2.3).

The package that runs in production is the one developers run, so what is meant for a developer's machine or the
test suite is in it too. Each such thing is off unless a setting turns it on, and in production
(``PEJLING_ENVIRONMENT=production``) nothing turns it on by accident:

* ``pejling demo`` (a tenant with known logins, written to ``var/demo-logins.json``) refuses to seed (exit 2);
* ``pejling serve``, ``pejling worker`` and :func:`pejling.core.app.create_app` refuse to start while a
  :class:`DevSwitch` is on: core's (:func:`core_switches`) and those the plugins name (``register_dev_switches``).

Unless ``PEJLING_DEMO_INSTANCE=true`` says the operator means this production instance to be a demo (or a
benchmark) on purpose. What stays dev-only without a switch (anonymous introspection, a secret key kept in a file,
readable log lines) follows ``environment`` itself; docs/security.md "Dev-only features" lists all of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pejling.core.settings import Settings

#: The setting that lets a production instance be a demo on purpose.
DEMO_INSTANCE = "PEJLING_DEMO_INSTANCE=true"

DEMO_REFUSED = (
    "pejling demo is for development: it makes a tenant with known logins, and this is production "
    f"(PEJLING_ENVIRONMENT=production); set {DEMO_INSTANCE} if this instance is a demo on purpose."
)


@dataclass(frozen=True)
class DevSwitch:
    """A switch meant for development or tests: the setting that turns it on, what it does, and whether it is on."""

    setting: str
    """As an operator would write it, e.g. ``PEJLING_WEBHOOKS_ALLOW_PRIVATE=true``."""
    what: str
    on: bool


class DevOnlyInProduction(RuntimeError):
    """A production process was asked to run with something meant for development or tests switched on."""


def core_switches(settings: Settings) -> list[DevSwitch]:
    """Core's dev- and test-only switches and whether each is on in ``settings`` (and the process environment)."""
    from pejling.core.auth.sso.sso_settings import get_sso_settings

    sso = get_sso_settings()
    return [
        DevSwitch("PEJLING_API_RATE_LIMITS=false", "no GraphQL budgets per caller (for the test suite and benches)",
                  not settings.api_rate_limits),
        DevSwitch("PEJLING_SSO_ALLOW_HTTP_ISSUERS=true", "identity providers over plain http",
                  sso.allow_http_issuers),
        DevSwitch("PEJLING_SSO_ALLOW_PRIVATE_ISSUERS=true", "identity providers at internal addresses",
                  sso.allow_private_issuers),
    ]


def demo_refusal(settings: Settings) -> str | None:
    """Why ``pejling demo`` may not seed with these settings (production, not a demo instance), or None."""
    if settings.environment == "production" and not settings.demo_instance:
        return DEMO_REFUSED
    return None


def production_refusal(settings: Settings, switches: Iterable[DevSwitch]) -> str | None:
    """The one-line reason a process with these settings and ``switches`` may not start, or None.

    Only production refuses, and not a demo instance (``PEJLING_DEMO_INSTANCE=true``).
    """
    if settings.environment != "production" or settings.demo_instance:
        return None
    on = [switch for switch in switches if switch.on]
    if not on:
        return None
    named = "; ".join(f"{switch.setting} ({switch.what})" for switch in on)
    return (f"in production, switches meant for development and tests are on: {named}. Unset them, or set "
            f"{DEMO_INSTANCE} if this instance is a demo on purpose.")


def check_production(settings: Settings, plugin_switches: Iterable[DevSwitch]) -> None:
    """Raise :class:`DevOnlyInProduction` when :func:`production_refusal` refuses core's and the plugins' switches."""
    refusal = production_refusal(settings, [*core_switches(settings), *plugin_switches])
    if refusal is not None:
        raise DevOnlyInProduction(refusal)
