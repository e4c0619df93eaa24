"""The ``pejling`` command: serve, migrate, demo, worker, plugins, create-tenant."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise import Tortoise

from pejling.core.database import migrate, tortoise_config
from pejling.core.logs import configure_logging
from pejling.core.settings import Settings, get_settings


async def _with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


def serve_options(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's options for ``pejling serve``.

    * ``X-Forwarded-For/Proto`` are believed only from ``PEJLING_TRUSTED_PROXIES`` (none: proxy headers off,
      whatever ``FORWARDED_ALLOW_IPS`` says).
    * No uvicorn access log: it prints client addresses and full query strings. ``pejling.access``
      (:mod:`pejling.core.logs`) logs each request without either.
    * No ``server: uvicorn`` header.
    """
    trusted = [proxy.strip() for proxy in settings.trusted_proxies if proxy.strip()]
    return {
        "factory": True,
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
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


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    refused = _refuse_without_mail(settings)
    if refused is not None:
        return refused
    uvicorn.run("pejling.core.app:create_app", **serve_options(settings, args))
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(migrate(settings))
    print(f"Database is up to date ({_describe(settings)}).")
    return 0


def _describe(settings: Settings) -> str:
    url = settings.resolved_database_url
    return url.split("@")[-1] if "@" in url else url


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from pejling.tenants.demo import seed_demo

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
            print("Demo logins (also in var/demo-logins.json):")
            for login in logins:
                print(f"  {login.role:<14} {login.email:<36} {login.password}")

    asyncio.run(_with_database(settings, work))
    return 0


def cmd_create_tenant(settings: Settings, args: argparse.Namespace) -> int:
    from pejling.tenants.signup import SignupRefused, create_tenant_with_owner

    password = args.password or (getpass.getpass("Owner password: ") if sys.stdin.isatty() else "")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(14)

    async def work() -> int:
        try:
            tenant, user = await create_tenant_with_owner(
                tenant_name=args.name, tenant_slug=args.slug, email=args.owner_email, password=password,
                language=args.language,
            )
        except SignupRefused as exc:
            print(f"error: {exc.field}: {exc.message}", file=sys.stderr)
            return 2
        print(f"Created tenant {tenant.name} ({tenant.slug}) with owner {user.email}.")
        if generated:
            print(f"Owner password: {password}")
        return 0

    return int(asyncio.run(_with_database(settings, work)))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from pejling.core.jobs.worker import run_worker_forever

    if args.concurrency < 1:
        print("error: --concurrency must be at least 1", file=sys.stderr)
        return 2
    refused = _refuse_without_mail(settings)
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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="pejling", description="Pejling: in-store customer-experience feedback.")
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web app and GraphQL API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    sub.add_parser("demo", help="create the demo tenant unless it exists").set_defaults(run=cmd_demo)
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
    create.add_argument("--password", help="owner password (prompted, or generated and printed, when omitted)")
    create.add_argument("--language", default="en", choices=["da", "nb", "sv", "en"])
    create.set_defaults(run=cmd_create_tenant)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    return int(args.run(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
