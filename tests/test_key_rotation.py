"""Key rotation: ``pejling rotate-keys`` reseals every stored secret under the newest key, after which the old key
can go; purposes are kept, and a value no key opens is named (never shown) and left alone."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from pejling.core.auth.sso.models import SsoConfiguration
from pejling.core.key_rotation import rotate_keys, sealed_models
from pejling.core.secrets_at_rest import SealedSecretError, seal, unseal
from pejling.core.settings import Settings
from pejling.core.surveys.channel_devices import open_secret, seal_secret
from pejling.core.surveys.models import ChannelDevice
from pejling.plugins.shopify.models import ShopifyShop
from pejling.plugins.webhooks.models import WebhookEndpoint
from pejling.tenants.plugin_settings import PluginSetting
from pejling.tenants.scope import tenant_scope
from tests.support.cli import pejling
from tests.support.tenancy import TenantFixture, make_tenant

SECRET_KEY = "rotation-test-secret-key-" + "k" * 32
OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))


def keyed(*keys: str) -> Settings:
    return Settings(secret_key=SECRET_KEY, encryption_keys=[SecretStr(k) for k in keys])


def legacy_device_secret(tenant_id: Any, device_id: Any, plain: bytes) -> str:
    """A device secret as stored before keys were rotatable: AES-GCM under a key derived from the secret key."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pejling channel-device secrets v1").derive(
        keyed().secret_bytes())
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plain, f"{tenant_id.hex}:{device_id.hex}".encode())
                            ).decode()


async def _store_secrets(shop: TenantFixture, old: Settings) -> dict[str, Any]:
    """One secret of each kind, sealed under the old key (the device also in the legacy format)."""
    tenant = shop.tenant.id
    with tenant_scope(tenant):
        sso = await SsoConfiguration.create(
            issuer="https://idp.example", authorization_endpoint="https://idp.example/a",
            token_endpoint="https://idp.example/t", jwks_uri="https://idp.example/j", client_id="pejling",
            client_secret_sealed=seal("sso-secret", purpose=f"sso:{tenant}", settings=old),
            client_secret_fingerprint="…12345678")
        endpoint = await WebhookEndpoint.create(
            url="https://hooks.example/in", events=["response.created"], secret_fingerprint="…1",
            secret_sealed=seal("hook-new", purpose="hook", settings=old),
            previous_secret_sealed=seal("hook-old", purpose="hook", settings=old))
        shopify = await ShopifyShop.create(shop=f"{shop.tenant.slug}.myshopify.com", scopes="read_orders",
                                           sealed_token=seal("shpat_1", purpose="shop", settings=old),
                                           installed_at=datetime.now(UTC))
        vipps = await PluginSetting.create(plugin="vipps", config={
            "webhook_id": "w" * 20, "webhook_secret": seal("vipps-secret", purpose="vipps", settings=old),
            "nested": [{"login_client_secret": seal("login", purpose="login", settings=old)}], "plain": "kept"})
        modern = await ChannelDevice.create(channel="nfc", store_id=shop.stores[0].id, label="Door")
        await ChannelDevice.filter(id=modern.id).update(secret=seal_secret(old, tenant, modern.id, b"k" * 16))
        legacy = await ChannelDevice.create(channel="nfc", store_id=shop.stores[0].id, label="Till")
        await ChannelDevice.filter(id=legacy.id).update(secret=legacy_device_secret(tenant, legacy.id, b"L" * 16))
    return {"sso": sso.id, "endpoint": endpoint.id, "shopify": shopify.id, "vipps": vipps.id, "modern": modern.id,
            "legacy": legacy.id}


async def _opened(shop: TenantFixture, ids: dict[str, Any], settings: Settings) -> dict[str, Any]:
    tenant = shop.tenant.id
    with tenant_scope(tenant):
        sso = await SsoConfiguration.get(id=ids["sso"])
        endpoint = await WebhookEndpoint.get(id=ids["endpoint"])
        shopify = await ShopifyShop.get(id=ids["shopify"])
        vipps = (await PluginSetting.get(id=ids["vipps"])).config
        devices = {d.id: d.secret for d in await ChannelDevice.filter(id__in=[ids["modern"], ids["legacy"]])}
    return {
        "sso": unseal(sso.client_secret_sealed, purpose=f"sso:{tenant}", settings=settings),
        "hook": unseal(endpoint.secret_sealed, purpose="hook", settings=settings),
        "previous": unseal(endpoint.previous_secret_sealed, purpose="hook", settings=settings),
        "shopify": unseal(shopify.sealed_token, purpose="shop", settings=settings),
        "vipps": unseal(vipps["webhook_secret"], purpose="vipps", settings=settings),
        "login": unseal(vipps["nested"][0]["login_client_secret"], purpose="login", settings=settings),
        "plain": vipps["plain"],
        "modern": open_secret(settings, tenant, ids["modern"], devices[ids["modern"]]),
        "legacy": open_secret(settings, tenant, ids["legacy"], devices[ids["legacy"]]),
    }


EXPECTED = {"sso": "sso-secret", "hook": "hook-new", "previous": "hook-old", "shopify": "shpat_1",
            "vipps": "vipps-secret", "login": "login", "plain": "kept", "modern": b"k" * 16, "legacy": b"L" * 16}


async def test_every_model_with_sealed_columns_is_found(database: Settings) -> None:
    tables = {m._meta.db_table for m in sealed_models()}
    assert {"sso_configuration", "webhook_endpoint", "shopify_shop", "shopify_order"} <= tables


async def test_rotation_reseals_everything_so_the_old_key_can_go(database: Settings) -> None:
    shop = await make_tenant()
    ids = await _store_secrets(shop, keyed(OLD))
    assert await _opened(shop, ids, keyed(NEW, OLD)) == EXPECTED, "both keys configured: everything opens"
    with pytest.raises(SealedSecretError):
        await _opened(shop, ids, keyed(NEW))

    report = await rotate_keys(keyed(NEW, OLD), [shop.tenant.id])

    assert report.unreadable == []
    for place in ("sso_configuration.client_secret_sealed", "webhook_endpoint.secret_sealed",
                  "webhook_endpoint.previous_secret_sealed", "shopify_shop.sealed_token",
                  "plugin_setting.config[vipps]", "channel_device.secret"):
        assert report.resealed.get(place, 0) >= 1, place
    assert await _opened(shop, ids, keyed(NEW)) == EXPECTED, "the old key is no longer needed"
    with tenant_scope(shop.tenant.id):
        endpoint = await WebhookEndpoint.get(id=ids["endpoint"])
    with pytest.raises(SealedSecretError):  # the purpose stays bound to the value
        unseal(endpoint.secret_sealed, purpose="another", settings=keyed(NEW))


async def test_a_value_no_key_opens_is_named_not_shown_and_left_alone(database: Settings) -> None:
    shop = await make_tenant()
    foreign = seal("do-not-print-me", purpose="hook", settings=keyed(STRANGER))
    with tenant_scope(shop.tenant.id):
        endpoint = await WebhookEndpoint.create(url="https://hooks.example/x", events=[], secret_fingerprint="…2",
                                                secret_sealed=foreign)
    report = await rotate_keys(keyed(NEW, OLD), [shop.tenant.id])
    assert f"webhook_endpoint.secret_sealed id={endpoint.id}" in report.unreadable
    assert not any("do-not-print-me" in line or foreign in line for line in report.unreadable)
    with tenant_scope(shop.tenant.id):
        assert (await WebhookEndpoint.get(id=endpoint.id)).secret_sealed == foreign
        await WebhookEndpoint.filter(id=endpoint.id).delete()


async def test_the_command_rotates_and_says_what_it_did(database: Settings, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    shop = await make_tenant()
    ids = await _store_secrets(shop, keyed(OLD))
    monkeypatch.setenv("PEJLING_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("PEJLING_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    code, out, err = await pejling(database, tmp_path, "rotate-keys", "--tenant", shop.tenant.slug)
    assert code == 0, err
    assert "webhook_endpoint.secret_sealed:" in out and "secrets resealed under the newest key; 0 unreadable" in out
    assert await _opened(shop, ids, keyed(NEW)) == EXPECTED

    with tenant_scope(shop.tenant.id):
        stray = await WebhookEndpoint.create(url="https://hooks.example/y", events=[], secret_fingerprint="…3",
                                             secret_sealed=seal("s", purpose="p", settings=keyed(STRANGER)))
    code, out, err = await pejling(database, tmp_path, "rotate-keys", "--tenant", shop.tenant.slug)
    assert code == 1 and f"webhook_endpoint.secret_sealed id={stray.id}" in err
    with tenant_scope(shop.tenant.id):
        await WebhookEndpoint.filter(id=stray.id).delete()
    assert (await pejling(database, tmp_path, "rotate-keys", "--tenant", "no-such-tenant"))[0] == 2
