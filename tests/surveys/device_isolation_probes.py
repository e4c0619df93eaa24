"""Cross-tenant probes for the NFC tag and kiosk root fields (``graphql/surveys/devices.py``), in the shape of
``tests/graphql/test_tenant_isolation.py``: ``w.a`` owns a tag, ``w.b`` tries to list, retire and register on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pejling.core.surveys.channel_devices import new_device_token, register_device
from pejling.core.surveys.models import ChannelDevice
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]


async def _a_tag(w: Any) -> str:
    """A SUN tag of tenant A (made once per walk): its global id."""
    if "nfc_tag" not in w.ids:
        with tenant_scope(w.a.tenant.id):
            tag = await register_device(channel="nfc", store=w.a.stores[0], label="A's till", secret=bytes(32))
        w.ids["nfc_tag"] = encode_id("NfcTag", tag.id)
    return str(w.ids["nfc_tag"])


async def _nfc_tags(w: Any) -> None:
    tag = await _a_tag(w)
    result = await w.as_b("{ nfcTags(retired: true) { id label } }")
    assert tag not in {t["id"] for t in result["data"]["nfcTags"]}, result
    mine = await w.as_b("query($s: ID) { nfcTags(storeId: $s) { id } }", s=w.ids["store"])
    assert mine["data"]["nfcTags"] == []


async def _register_nfc_tag(w: Any) -> None:
    result = await w.as_b('mutation($s: ID!, $z: ID) { registerNfcTag(storeId: $s, zoneId: $z, label: "B") '
                          "{ tag { id } errors { code field } } }", s=w.ids["store"], z=None)
    assert result["data"]["registerNfcTag"] == {"tag": None, "errors": [{"code": "not_found", "field": "storeId"}]}
    with tenant_scope(w.a.tenant.id):
        assert not await ChannelDevice.filter(label="B").exists()


async def _retire_nfc_tag(w: Any) -> None:
    tag = await _a_tag(w)
    result = await w.as_b("mutation($id: ID!) { retireNfcTag(id: $id) { tag { id } errors { code } } }", id=tag)
    assert [e["code"] for e in result["data"]["retireNfcTag"]["errors"]] == ["not_found"], result
    with tenant_scope(w.a.tenant.id):
        assert await ChannelDevice.filter(retired_at=None).count() == 1


async def _a_kiosk(w: Any) -> str:
    if "kiosk" not in w.ids:
        with tenant_scope(w.a.tenant.id):
            kiosk = await register_device(channel="kiosk", store=w.a.stores[0], label="A's stand",
                                          token=new_device_token())
        w.ids["kiosk"] = encode_id("Kiosk", kiosk.id)
    return str(w.ids["kiosk"])


async def _kiosks(w: Any) -> None:
    kiosk = await _a_kiosk(w)
    result = await w.as_b("{ kiosks(retired: true) { id } }")
    assert kiosk not in {k["id"] for k in result["data"]["kiosks"]}, result


async def _register_kiosk(w: Any) -> None:
    result = await w.as_b('mutation($s: ID!) { registerKiosk(storeId: $s, label: "B") { token errors { code } } }',
                          s=w.ids["store"])
    assert result["data"]["registerKiosk"] == {"token": None, "errors": [{"code": "not_found"}]}


async def _retire_kiosk(w: Any) -> None:
    kiosk = await _a_kiosk(w)
    result = await w.as_b("mutation($id: ID!) { retireKiosk(id: $id) { errors { code } } }", id=kiosk)
    assert result["data"]["retireKiosk"]["errors"] == [{"code": "not_found"}]
    with tenant_scope(w.a.tenant.id):
        assert await ChannelDevice.filter(channel="kiosk", retired_at=None).count() == 1


DEVICE_PROBES: dict[str, Probe] = {
    "nfcTags": _nfc_tags, "registerNfcTag": _register_nfc_tag, "retireNfcTag": _retire_nfc_tag,
    "kiosks": _kiosks, "registerKiosk": _register_kiosk, "retireKiosk": _retire_kiosk,
}
