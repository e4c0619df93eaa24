"""The ``pejling`` command: serve, migrate, demo, worker, plugins, create-tenant."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from pydantic_settings.exceptions import SettingsError
from tortoise import Tortoise

from pejling.core.database import migrate, tortoise_config
from pejling.core.logs import configure_logging
from pejling.core.settings import Settings, get_settings, settings_problem, shopper_base_url


async def _with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


#: How long uvicorn's supervisor waits for a worker to answer (see :func:`serve_options`).
WORKER_HEALTHCHECK_SECONDS = 60
#: How long a stopping server waits for open requests before cancelling them: a live feed
#: (``/api/live/responses``) never ends by itself soon, and its browser reconnects to another process.
GRACEFUL_SHUTDOWN_SECONDS = 10


def serve_options(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's options for ``pejling serve``.

    * ``X-Forwarded-For/Proto`` are believed only from ``PEJLING_TRUSTED_PROXIES`` (none: proxy headers off,
      whatever ``FORWARDED_ALLOW_IPS`` says).
    * No uvicorn access log: it prints client addresses and full query strings. ``pejling.access``
      (:mod:`pejling.core.logs`) logs each request without either.
    * No ``server: uvicorn`` header.
    * HTTP parsed by httptools, which refuses requests whose length is ambiguous (not h11, see below).
    * ``--workers N`` runs N app processes on the one port (uvicorn's supervisor restarts one that dies); each
      process has its own database pool, so N x the pool size must fit PostgreSQL's ``max_connections``.
    """
    trusted = [proxy.strip() for proxy in settings.trusted_proxies if proxy.strip()]
    return {
        "factory": True,
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "workers": getattr(args, "workers", None) or 1,
        # uvicorn's supervisor kills a worker that has not answered its ping for this long, and a worker only
        # answers once it has imported the app; its 5 s default is too short on a busy machine (workers were
        # killed and restarted in a loop at a load of 10 on 2 cores).
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
        # uvloop when installed (it is in the locks): /healthz 1.5-4x with httptools (docs/deployment.md).
        "loop": "auto",
        # httptools (a dependency), never uvicorn's fallback h11: h11 reads a request with both Content-Length and
        # Transfer-Encoding by the latter and keeps the connection, so bytes after its last chunk are answered as a
        # second request (request smuggling, ASVS V4.2.1; tests/edge/test_edge_smuggling.py). httptools refuses it.
        "http": "httptools",
        "access_log": False,
        "server_header": False,
        "log_config": None,
    }


def _refuse_without_mail(settings: Settings) -> int | None:
    from pejling.core.mail import mail_problem

    problem = mail_problem(settings)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return None


def _refuse_in_production(settings: Settings) -> int | None:
    """Every command connects to the database (and may reach Redis and SMTP): in production, not in plain to another
    machine, not with a default password, not with an example secret key (:mod:`pejling.core.start_checks`)."""
    from pejling.core.start_checks import production_problems

    problems = production_problems(settings)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if problems else None


def _refuse_dev_switches(settings: Settings) -> int | None:
    """Exit status 2, with the one-line reason, when production would start with a dev- or test-only switch on."""
    from pejling.core.dev_only import DevOnlyInProduction, check_production
    from pejling.core.plugin_manager import PluginError, register_plugins

    if settings.environment != "production" or settings.demo_instance:
        return None  # nothing to refuse: the plugins are not imported for it
    try:
        check_production(settings, register_plugins(settings).dev_switches())
    except (DevOnlyInProduction, PluginError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return None


APP_FACTORY = "pejling.core.app:create_app"


def run_server(settings: Settings, args: argparse.Namespace, app_factory: str = APP_FACTORY) -> int:
    """Serve ``app_factory`` (an import string, called once per worker process) with :func:`serve_options`."""
    import uvicorn

    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    refused = _refuse_without_mail(settings) or _refuse_dev_switches(settings)
    if refused is not None:
        return refused
    # uvicorn stops gracefully on SIGTERM, then raises it again with the earlier handler back in place, which ends the
    # process without its exit handlers: this one first sends the last log lines to the collector.
    previous = signal.signal(signal.SIGTERM, _ship_logs_then_end)
    try:
        uvicorn.run(app_factory, **serve_options(settings, args))
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _ship_logs_then_end(signum: int, frame: object) -> None:
    """Drain the log shipping (pejling.core.log_shipping), then end as SIGTERM does (the same exit status)."""
    from pejling.core.log_shipping import stop_shipping

    stop_shipping()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    return run_server(settings, args)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(migrate(settings))
    print(f"Database is up to date ({_describe(settings)}).")
    return 0


def _describe(settings: Settings) -> str:
    url = settings.resolved_database_url
    return url.split("@")[-1] if "@" in url else url


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from pejling.core.dev_only import demo_refusal
    from pejling.tenants.demo import seed_demo

    refused = demo_refusal(settings)
    if refused is not None:  # before the database is touched: nothing is created or written
        print(f"error: {refused}", file=sys.stderr)
        return 2

    async def work() -> None:
        tenant, logins, created = await seed_demo(settings.var_dir)
        print(f"Demo tenant '{tenant.name}' (slug {tenant.slug}) {'created' if created else 'already exists'}.")
        from pejling.core.surveys.demo import seed_demo_survey

        responses = await seed_demo_survey(tenant)
        print(f"Demo survey responses: {responses} created." if responses else "Demo survey responses already exist.")
        from pejling.core.followups.demo import seed_demo_alerts

        follow_ups = await seed_demo_alerts(tenant)
        print("Demo alert rules already exist." if follow_ups is None
              else f"Demo alert rules created, {follow_ups} follow-ups opened.")
        if logins:
            # Demo data for local runs: printed again on every run, so never marked to change or expire
            # (docs/security.md, "Generated first passwords"). Never seed a production database.
            print("Demo logins (also in var/demo-logins.json; local demo data: they do not expire):")
            for login in logins:
                print(f"  {login.role:<14} {login.email:<36} {login.password}")

    asyncio.run(_with_database(settings, work))
    return 0


def cmd_create_tenant(settings: Settings, args: argparse.Namespace) -> int:
    """Create a tenant and its owner. Without ``--password`` (and no terminal to ask on) the owner's password is
    generated, printed once and marked: it must be changed at the first login and stops working after
    ``LIFETIME`` (core/auth/generated_passwords.py). A password the operator typed is the owner's as it is."""
    from pejling.core.auth.generated_passwords import LIFETIME, generate_password
    from pejling.tenants.signup import SignupRefused, create_tenant_with_owner

    password = args.password or (getpass.getpass("Owner password: ") if sys.stdin.isatty() else "")
    generated = not password
    if generated:
        password = generate_password()

    async def work() -> int:
        try:
            tenant, user = await create_tenant_with_owner(
                tenant_name=args.name, tenant_slug=args.slug, email=args.owner_email, password=password,
                language=args.language, password_generated=generated,
            )
        except SignupRefused as exc:
            print(f"error: {exc.field}: {exc.message}", file=sys.stderr)
            return 2
        print(f"Created tenant {tenant.name} ({tenant.slug}) with owner {user.email}.")
        if generated:
            hours = int(LIFETIME.total_seconds() // 3600)
            print(f"Owner password: {password}")
            print(f"It must be changed at the first login and stops working after {hours} hours "
                  f"({user.generated_password_expires_at:%Y-%m-%d %H:%M} UTC); after that, the owner resets it by "
                  "email (\"Forgot your password?\").")
        return 0

    return int(asyncio.run(_with_database(settings, work)))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from pejling.core.jobs.worker import run_worker_forever

    if args.concurrency < 1:
        print("error: --concurrency must be at least 1", file=sys.stderr)
        return 2
    refused = _refuse_without_mail(settings) or _refuse_dev_switches(settings)
    if refused is not None:
        return refused
    asyncio.run(run_worker_forever(settings, concurrency=args.concurrency))
    return 0


def cmd_plugins(settings: Settings, args: argparse.Namespace) -> int:
    from pejling.core.plugin_manager import PluginError, describe_plugins, load_plugins

    async def work() -> int:
        try:
            lines = await describe_plugins(await load_plugins(settings), tenant_slug=args.tenant)
        except PluginError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for line in lines:
            print(line)
        return 0

    return int(asyncio.run(_with_database(settings, work)))


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from pejling.core.plugin_manager import load_plugins
    from pejling.core.surveys.invitation_import import ImportRefused, import_invitations

    async def work() -> int:
        try:
            batch = await import_invitations(
                await load_plugins(settings), tenant_slug=args.tenant, store_slug=args.store, path=Path(args.csv),
                base_url=shopper_base_url(settings), channel=args.channel, column=args.column, zone_name=args.zone,
                language=args.language,
            )
        except ImportRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"Invited {batch.sent}; {batch.suppressed} on the suppression list; {len(batch.refused)} refused.")
        for address, code in batch.refused:
            print(f"refused: {address}: {code}", file=sys.stderr)
        return 0

    return int(asyncio.run(_with_database(settings, work)))


def cmd_import_responses(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from pejling.core.plugin_manager import load_plugins
    from pejling.core.surveys.invitation_import import ImportRefused
    from pejling.core.surveys.response_csv import import_response_file, summary

    async def work() -> int:
        try:
            results = await import_response_file(await load_plugins(settings), tenant_slug=args.tenant,
                                                 store_slug=args.store, path=Path(args.csv), zone_name=args.zone)
        except ImportRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(summary(results))
        return 1 if any(r.status == "invalid" for r in results) else 0

    return int(asyncio.run(_with_database(settings, work)))


def cmd_recompute_rollups(settings: Settings, args: argparse.Namespace) -> int:
    """Rebuild the insight rollups from the stored responses (the repair), one tenant or all, with a progress bar."""
    from pejling.core.insights.rollups import recompute_rollups
    from pejling.core.surveys.models import Response
    from pejling.tenants.models import Tenant
    from pejling.tenants.scope import all_tenants, tenant_scope

    async def work() -> int:
        with all_tenants():
            tenants = await (Tenant.filter(slug=args.tenant) if args.tenant else Tenant.all().order_by("slug"))
        if not tenants:
            print(f"error: no tenant {args.tenant!r}", file=sys.stderr)
            return 2
        for tenant in tenants:
            with tenant_scope(tenant.id):
                total = await Response.all().count()

            def bar(done: int, tenant: Any = tenant, total: int = total) -> None:
                filled = 30 * done // max(total, 1)
                print(f"\r{tenant.slug}: [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="",
                      file=sys.stderr, flush=True)

            bar(0)
            count = await recompute_rollups(tenant.id, progress=bar)
            print(f"\r{tenant.slug}: rollups recomputed from {count} responses.{' ' * 30}", file=sys.stderr)
        return 0

    return int(asyncio.run(_with_database(settings, work)))


def cmd_rotate_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Reseal every stored secret under the newest key of PEJLING_ENCRYPTION_KEYS (docs/security.md)."""
    from pejling.core.key_rotation import rotate_keys
    from pejling.tenants.models import Tenant
    from pejling.tenants.scope import all_tenants

    async def work() -> int:
        tenant_ids = None
        if args.tenant:
            with all_tenants():
                tenant = await Tenant.get_or_none(slug=args.tenant)
            if tenant is None:
                print(f"error: no tenant {args.tenant!r}", file=sys.stderr)
                return 2
            tenant_ids = [tenant.id]
        report = await rotate_keys(settings, tenant_ids)
        for place, count in sorted(report.resealed.items()):
            print(f"{place}: {count} resealed")
        for place in report.unreadable:
            print(f"error: {place} does not open with any configured key (left as it is)", file=sys.stderr)
        print(f"{report.total} secrets resealed under the newest key; {len(report.unreadable)} unreadable.")
        return 1 if report.unreadable else 0

    return int(asyncio.run(_with_database(settings, work)))


def cmd_billing(settings: Settings, args: argparse.Namespace) -> int:
    """Hand the action to the billing plugin's ``run_command`` (core never imports a plugin by name)."""
    from pejling.core.plugin_manager import load_plugins

    async def work() -> int:
        plugin = (await load_plugins(settings)).pm.get_plugin("billing")
        run = getattr(plugin, "run_command", None)
        if run is None:
            print("error: the billing plugin is not loaded (PEJLING_PLUGINS_DISABLED?)", file=sys.stderr)
            return 2
        return int(await run(settings, args.action))

    return int(asyncio.run(_with_database(settings, work)))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="pejling", description="Pejling: in-store customer-experience feedback.")
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web app and GraphQL API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1,
                       help="app processes on the port (production: one per core, see docs/deployment.md)")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    sub.add_parser("demo", help="create the demo tenant unless it exists (not in production, unless "
                   "PEJLING_DEMO_INSTANCE=true)").set_defaults(run=cmd_demo)
    recompute = sub.add_parser("recompute-rollups", help="rebuild the insight rollups from the stored responses")
    recompute.add_argument("--tenant", help="only this tenant slug (default: every tenant)")
    recompute.set_defaults(run=cmd_recompute_rollups)
    rotate = sub.add_parser("rotate-keys", help="reseal every stored secret under the newest PEJLING_ENCRYPTION_KEYS "
                            "key (then the old keys can go)")
    rotate.add_argument("--tenant", help="only this tenant slug (default: every tenant)")
    rotate.set_defaults(run=cmd_rotate_keys)
    worker = sub.add_parser("worker", help="run a job worker on its own")
    worker.add_argument("--concurrency", type=int, default=4)
    worker.set_defaults(run=cmd_worker)
    plugins = sub.add_parser("plugins", help="list installed plugins and where they are enabled")
    plugins.add_argument("--tenant", help="show enablement for this tenant slug")
    plugins.set_defaults(run=cmd_plugins)
    create = sub.add_parser("create-tenant", help="create a tenant and its owner")
    create.add_argument("--name", required=True)
    create.add_argument("--slug", required=True)
    create.add_argument("--owner-email", required=True)
    create.add_argument("--password", help="owner password (prompted, or generated and printed, when omitted; a "
                        "generated one must be changed at the first login and stops working after 72 hours)")
    create.add_argument("--language", default="en", choices=["da", "nb", "sv", "en"])
    create.set_defaults(run=cmd_create_tenant)
    invite = sub.add_parser("invite", help="invite the shoppers of a CSV file to a store's survey (email)")
    invite.add_argument("--tenant", required=True, help="tenant slug")
    invite.add_argument("--store", required=True, help="store slug")
    invite.add_argument("--csv", required=True, help="UTF-8 CSV file with the addresses")
    invite.add_argument("--column", default="email", help="the column of the addresses (default: email)")
    invite.add_argument("--zone", help="zone name (optional)")
    invite.add_argument("--channel", default="email", help="a personal channel (default: email)")
    invite.add_argument("--language", choices=["da", "nb", "sv", "en"], help="default: the store's language")
    invite.set_defaults(run=cmd_invite)
    responses = sub.add_parser("import-responses", help="import historical responses of a CSV file into a store "
                               "(docs/surveys.md, 'Importing historical responses')")
    responses.add_argument("--tenant", required=True, help="tenant slug")
    responses.add_argument("--store", required=True, help="store slug")
    responses.add_argument("--csv", required=True, help="UTF-8 CSV file: id, submitted_at, … and a column per "
                           "statement id")
    responses.add_argument("--zone", help="zone name (optional)")
    responses.set_defaults(run=cmd_import_responses)
    billing = sub.add_parser("billing", help="Stripe billing of the billing plugin (docs/billing.md)")
    billing.add_argument("action", choices=["sync"], help="sync: create or update the plans' Stripe prices")
    billing.set_defaults(run=cmd_billing)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
    except (ValidationError, SettingsError) as error:
        print(f"The configuration is not valid:\n{settings_problem(error)}", file=sys.stderr)
        return 2
    refused = _refuse_in_production(settings)
    if refused is not None:
        return refused
    configure_logging(settings)
    return int(args.run(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
