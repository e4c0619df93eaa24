"""The ``pejling`` command as an operator runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pejling.core.settings import Settings
from pejling.tenants.models import Membership, Role, Tenant, User
from pejling.tenants.scope import tenant_scope
from tests.conftest import unique
from tests.support.cli import pejling


async def test_migrate_is_idempotent(database: Settings, tmp_path: Path) -> None:
    code, out, err = await pejling(database, tmp_path, "migrate")
    assert code == 0, err
    assert "up to date" in out


async def test_create_tenant_makes_tenant_and_owner_and_refuses_bad_input(database: Settings, tmp_path: Path) -> None:
    slug = unique("cli")
    code, out, err = await pejling(database, tmp_path, "create-tenant", "--name", "Fjord Sko", "--slug", slug,
                                   "--owner-email", f"{slug}@example.com", "--language", "nb")
    assert code == 0, err
    assert "Owner password: " in out  # generated and shown once, as none was given
    tenant = await Tenant.get(slug=slug)
    assert (tenant.name, tenant.default_language) == ("Fjord Sko", "nb")
    owner = await User.get(email=f"{slug}@example.com")
    with tenant_scope(tenant.id):
        assert (await Membership.get(user_id=owner.id)).role == Role.OWNER

    code, _, err = await pejling(database, tmp_path, "create-tenant", "--name", "Again", "--slug", slug,
                                 "--owner-email", f"other-{slug}@example.com", "--password", "long enough pass")
    assert code == 2 and "tenantSlug" in err
    code, _, err = await pejling(database, tmp_path, "create-tenant", "--name", "X", "--slug", "Bad Slug",
                                 "--owner-email", "not-an-email", "--password", "long enough pass")
    assert code == 2 and "error:" in err
    assert not await Tenant.exists(name="X")


@pytest.mark.once
async def test_demo_seeds_once_and_prints_the_logins_again(tmp_path: Path) -> None:
    assert (await pejling(None, tmp_path, "migrate"))[0] == 0
    code, first, err = await pejling(None, tmp_path, "demo")
    assert code == 0, err
    assert "created" in first and "owner@demo-retail.example" in first
    code, second, err = await pejling(None, tmp_path, "demo")
    assert code == 0, err
    assert "already exists" in second
    password = next(line.split()[-1] for line in first.splitlines() if "owner@demo-retail.example" in line)
    assert password in second
    assert (tmp_path / "demo-logins.json").stat().st_mode & 0o077 == 0  # only the owner may read the passwords
