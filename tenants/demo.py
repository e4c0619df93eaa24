"""The demo tenant "Demo Retail": three stores with zones and one user per role."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

from pejling.core.auth.passwords import hash_password
from pejling.tenants.models import Membership, Role, Store, Tenant, User, Zone
from pejling.tenants.scope import all_tenants, tenant_scope

DEMO_SLUG = "demo-retail"
STORES = [
    ("Copenhagen Strøget", "copenhagen", "Amagertorv 1, 1160 København K", "Europe/Copenhagen", "da"),
    ("Oslo Karl Johan", "oslo", "Karl Johans gate 20, 0159 Oslo", "Europe/Oslo", "nb"),
    ("Stockholm Drottninggatan", "stockholm", "Drottninggatan 50, 111 21 Stockholm", "Europe/Stockholm", "sv"),
]
ZONES = [("Entrance", "entrance"), ("Fitting rooms", "fitting_room"), ("Checkout", "checkout")]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


async def seed_demo(var_dir: Path) -> tuple[Tenant, list[DemoLogin], bool]:
    """Create the demo tenant unless it exists. Returns it, its logins and whether it was created now.

    The generated passwords are kept in ``var/demo-logins.json`` (mode 600) so that a second run can
    print them again; they are never written anywhere else.
    """
    logins_file = var_dir / "demo-logins.json"
    with all_tenants():
        tenant = await Tenant.get_or_none(slug=DEMO_SLUG)
    if tenant is not None:
        saved = json.loads(logins_file.read_text()) if logins_file.exists() else []
        return tenant, [DemoLogin(**row) for row in saved], False

    logins = [
        DemoLogin(role.value, f"{role.value.replace('_', '-')}@demo-retail.example", secrets.token_urlsafe(16))
        for role in Role
    ]
    async with in_transaction():
        with all_tenants():
            tenant = await Tenant.create(name="Demo Retail", slug=DEMO_SLUG, default_language="da")
        with tenant_scope(tenant.id):
            stores = []
            for name, slug, address, tz, language in STORES:
                store = await Store.create(
                    name=name, slug=slug, address=address, timezone=tz, default_language=language
                )
                stores.append(store)
                for zone_name, kind in ZONES:
                    await Zone.create(store=store, name=zone_name, kind=kind)
            for login in logins:
                with all_tenants():
                    user = await User.get_or_none(email=login.email)
                    if user is None:
                        user = await User.create(
                            email=login.email, name=f"Demo {login.role}", password_hash=hash_password(login.password)
                        )
                    else:
                        user.password_hash = hash_password(login.password)
                        await user.save()
                role = Role(login.role)
                await Membership.create(
                    user=user, role=role, store_ids=[str(stores[0].id)] if role is Role.STORE_MANAGER else []
                )
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.write_text(json.dumps([login.__dict__ for login in logins], indent=2))
    logins_file.chmod(0o600)
    return tenant, logins, True
