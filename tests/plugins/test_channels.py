"""The channel registry: built-in channels are plugins, the tenant's enabled set decides, channels add details."""

from __future__ import annotations

import re
import types
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pejling.core.contracts import LANGUAGES, Channel, ChannelRefused, ChannelVisit, InvitationTarget
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import BUILTIN_PLUGINS, Plugins, load_plugins
from pejling.core.settings import Settings
from pejling.core.surveys.channels import channel_registry, shopper_url
from pejling.core.surveys.ingest import IngestRefused, ingest_response
from pejling.core.surveys.models import Response
from pejling.tenants.scope import tenant_scope
from tests.surveys.conftest import Shop, make_shop

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BUILT_IN = {"qr", "nfc", "kiosk", "link", "email"}


@pytest.fixture
async def plugins(database: Settings) -> Plugins:
    return await load_plugins(database)


@pytest.fixture
async def shop(database: Settings) -> Shop:
    return await make_shop()


async def _ingest(shop: Shop, plugins: Plugins, **changes: Any) -> Any:
    return await ingest_response(
        shop.payload(**changes), tenant_slug=shop.tenant.slug, store_slug=shop.store.slug,
        client_address=f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}", user_agent="", via="json",
        plugins=plugins,
    )


async def _stored(shop: Shop, response_id: str) -> Response:
    with tenant_scope(shop.tenant.id):
        return await Response.get(id=response_id)


async def test_built_in_channels_are_ordinary_plugins_with_labels(plugins: Plugins) -> None:
    registry = channel_registry(plugins)
    assert BUILT_IN <= registry.keys
    for key in BUILT_IN:
        assert f"pejling.plugins.channels.{key}" in BUILTIN_PLUGINS and plugins.loaded[key].builtin
        channel = registry.channel(key)
        assert channel is not None and all(channel.labels.get(language) for language in LANGUAGES)
    assert registry.channel("email").personal and not registry.channel("qr").personal  # type: ignore[union-attr]
    assert registry.channel("nfc").label("nb") == "NFC-brikke"  # type: ignore[union-attr]


def test_shopper_urls_for_a_store_a_zone_and_an_invitation() -> None:
    class Poster(Channel):
        id = "poster"
        name = "Poster"

    zone = uuid.UUID(int=7)
    kwargs: dict[str, Any] = {"base_url": "https://p.example/", "tenant_slug": "acme", "store_slug": "oslo"}
    assert shopper_url(Poster(), **kwargs) == "https://p.example/s/acme/oslo?ch=poster"
    assert shopper_url(Poster(), zone_id=zone, **kwargs) == f"https://p.example/s/acme/oslo?zone={zone}&ch=poster"
    assert shopper_url(Poster(), token="tok-1234567890abcdef", **kwargs) == (
        "https://p.example/i/tok-1234567890abcdef?ch=poster"  # the token is in the path, not repeated as t=
    )


def test_a_shopper_links_query_values_are_encoded_and_cannot_add_parameters() -> None:
    """ASVS V1.2.2: what a QR code, NFC tag or mail link carries is built with ``urlencode``: a value holding ``&``,
    ``=``, ``#``, a space or a scheme stays that parameter's value, the link keeps its https origin and path, and
    ``ch`` comes once."""
    class Poster(Channel):
        id = "poster"
        name = "Poster"

    hostile = "X&ch=evil&t=other #/?a=b"
    url = Poster().invitation_url(InvitationTarget(
        "https://p.example/s/acme/oslo?zone=z1&ch=old", token="a&b=c",
        extra={"code": hostile, "tag": "javascript:alert(1)"}))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == ("https", "p.example", "/s/acme/oslo", "")
    assert parse_qs(parts.query) == {"zone": ["z1"], "ch": ["poster"], "t": ["a&b=c"], "code": [hostile],
                                     "tag": ["javascript:alert(1)"]}
    assert " " not in url and "#" not in url


def test_a_channel_key_longer_than_the_rollups_hold_is_refused_where_it_is_declared() -> None:
    with pytest.raises(ValueError, match="channel id"):
        class TooLong(Channel):
            id = "a-very-long-channel-key"
            name = "Too long"


async def test_qr_works_by_default_and_a_disabled_channel_keeps_the_answers_unverified(
    shop: Shop, plugins: Plugins
) -> None:
    result = await _ingest(shop, plugins)
    assert (await _stored(shop, result.response_id)).channel == "qr"
    await plugins.disable_plugin(shop.tenant.id, "nfc")
    before = await _ingest(shop, plugins, channel="kiosk")  # the others stay on
    assert (await _stored(shop, before.response_id)).channel == "kiosk"
    # Switched off after the page loaded: the shopper's answers are still stored, marked, with nothing verified.
    late = await _ingest(shop, plugins, channel="nfc", channel_params={"tag": "04A1B2"})
    stored = await _stored(shop, late.response_id)
    assert (stored.channel, stored.channel_details) == ("nfc", {"channel_enabled": False})
    with pytest.raises(IngestRefused) as unknown:
        await _ingest(shop, plugins, channel="fax")
    assert (unknown.value.status, unknown.value.code) == (422, "invalid_channel")
    assert "nfc" in channel_registry(plugins).keys  # still a key a response filter may name
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(store_id=shop.store.id).count() == 3


async def test_nfc_stores_the_tag_of_the_link(shop: Shop, plugins: Plugins) -> None:
    result = await _ingest(shop, plugins, channel="nfc", channel_params={"tag": "door-1", "other": "dropped"})
    assert (await _stored(shop, result.response_id)).channel_details == {"tag": "door-1", "verified": False}
    plain = await _ingest(shop, plugins, channel="nfc")
    assert (await _stored(shop, plain.response_id)).channel_details is None
    with pytest.raises(IngestRefused) as refused:
        await _ingest(shop, plugins, channel="nfc", channel_params={"tag": 5})
    assert refused.value.code == "invalid_channel_params"


class Checked(Channel):
    id = "checked"
    name = "Checked"
    url_params = ("code",)

    async def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        code = visit.params.get("code")
        if code == "forged":
            raise ChannelRefused("This code is not one of ours.")
        if code == "bug":
            raise RuntimeError("channel bug")
        return {"code": code, "store": str(visit.store_id)}


class CheckedPlugin:
    @hookimpl
    def register_channels(self) -> list[Channel]:
        return [Checked()]


async def test_a_channel_refuses_or_fails_without_losing_an_answer(shop: Shop, database: Settings) -> None:
    plugins = await load_plugins(database, builtin_plugins=(), entry_points=False,
                                 extra_plugins=[("checked", CheckedPlugin())])
    off = await _ingest(shop, plugins, channel="checked", channel_params={"code": "a"})
    # A third-party channel is off until the tenant enables it: its plugin is not asked, the answers are kept.
    assert (await _stored(shop, off.response_id)).channel_details == {"channel_enabled": False}
    await plugins.enable_plugin(shop.tenant.id, "checked")
    good = await _ingest(shop, plugins, channel="checked", channel_params={"code": "a"})
    assert (await _stored(shop, good.response_id)).channel_details == {"code": "a", "store": str(shop.store.id)}
    with pytest.raises(IngestRefused) as refused:
        await _ingest(shop, plugins, channel="checked", channel_params={"code": "forged"})
    assert (refused.value.status, refused.value.code, refused.value.message) == (
        422, "channel_refused", "This code is not one of ours.")
    buggy = await _ingest(shop, plugins, channel="checked", channel_params={"code": "bug"})
    stored = await _stored(shop, buggy.response_id)
    assert stored.channel == "checked" and stored.channel_details is None  # kept, without details
    with tenant_scope(shop.tenant.id):
        assert await Response.filter(store_id=shop.store.id).count() == 3  # off, good, buggy: not the forged one


async def test_the_docs_example_channel_runs(shop: Shop, database: Settings) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"<!-- channel example -->\n```python\n(.*?)```", text, flags=re.S)
    assert example is not None, "docs/plugins.md lost its channel example"
    module = types.ModuleType("receipt_channel")
    exec(compile(example.group(1), "docs/plugins.md", "exec"), module.__dict__)  # noqa: S102 - our own docs
    plugins = await load_plugins(database, builtin_plugins=(), entry_points=False,
                                 extra_plugins=[("receipt", module)])
    await plugins.enable_plugin(shop.tenant.id, "receipt")
    result = await _ingest(shop, plugins, channel="receipt", channel_params={"till": "4"})
    stored = await _stored(shop, result.response_id)
    assert (stored.channel, stored.channel_details) == ("receipt", {"till": 4})


async def test_the_page_keeps_an_enabled_channel_and_its_tag(client: httpx.AsyncClient, shop: Shop) -> None:
    page = await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}?ch=nfc")
    assert page.status_code == 200 and 'name="channel" value="nfc"' in page.text
    unknown = await client.get(f"/s/{shop.tenant.slug}/{shop.store.slug}?ch=carrier-pigeon")
    assert 'name="channel" value="qr"' in unknown.text
