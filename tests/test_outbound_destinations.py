"""The operator's allow-list of outbound destinations (ASVS V13.2.4, V13.2.5) and the checked client every outbound
request goes through (``core/outbound_http.py``), against a real HTTP server on the loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web
from pydantic import ValidationError

from pejling.core import outbound_http
from pejling.core.outbound_addresses import UrlRefused, host_allowed, resolve
from pejling.core.outbound_http import DestinationRefused, outbound_client
from pejling.core.settings import Settings, settings_problem


@dataclass
class Server:
    """A local HTTP server: ``/`` answers 200, ``/away`` redirects to ``redirect_to``; it records each request's
    Host header."""

    url: str = ""
    port: int = 0
    redirect_to: str = ""
    hosts: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.hosts.append(request.headers.get("Host", ""))
        if request.path == "/away":
            return web.Response(status=302, headers={"Location": self.redirect_to})
        return web.Response(text="ok")


async def _serve(address: str) -> AsyncIterator[Server]:
    found = Server()
    app = web.Application()
    app.router.add_get("/{tail:.*}", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, address, 0)
    await site.start()
    found.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{found.port}" if address == "127.0.0.1" else f"http://localhost:{found.port}"
    yield found
    await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async for found in _serve("127.0.0.1"):
        yield found


@pytest.fixture
async def localhost_server() -> AsyncIterator[Server]:
    """A server on the address ``localhost`` resolves to first (where a request pinned to it connects)."""
    async for found in _serve(str((await resolve("localhost", 80))[0])):
        yield found


def test_the_allow_list_matches_names_subdomains_and_addresses() -> None:
    patterns = ["api.stripe.com", "*.myshopify.com", "2001:db8::1", "192.0.2.7"]
    assert host_allowed("api.stripe.com", patterns) and host_allowed("API.Stripe.com.", patterns)
    assert host_allowed("nordlys.myshopify.com", patterns) and host_allowed("a.b.myshopify.com", patterns)
    assert host_allowed("2001:db8::1", patterns) and host_allowed("192.0.2.7", patterns)
    for refused in ("myshopify.com", "evilmyshopify.com", "myshopify.com.evil.example", "files.stripe.com",
                    "stripe.com", "api.stripe.com.evil.example", "192.0.2.8", "127.0.0.1"):
        assert not host_allowed(refused, patterns), refused
    assert host_allowed("anything.example", [])  # no list: every host (and the public-address check alone)


def test_a_wrong_allow_list_is_refused_at_start() -> None:
    assert Settings(outbound_allowed_hosts="API.stripe.com, *.MyShopify.com,[::1]").outbound_allowed_hosts == [
        "api.stripe.com", "*.myshopify.com", "::1"]  # type: ignore[arg-type]
    for wrong in ("https://api.stripe.com", "api.stripe.com:443", "*", "*.com", "a.*.example", "hooks.example/x"):
        with pytest.raises(ValidationError) as refused:
            Settings(outbound_allowed_hosts=wrong)  # type: ignore[arg-type]
        assert settings_problem(refused.value).startswith("PEJLING_OUTBOUND_ALLOWED_HOSTS: "), wrong


async def test_a_host_off_the_list_is_never_called(server: Server, outbound_hosts: Callable[[str], None]) -> None:
    outbound_hosts("localhost,api.stripe.com")
    async with outbound_client() as http:
        with pytest.raises(DestinationRefused) as refused:
            await http.get(server.url + "/")
    assert isinstance(refused.value, UrlRefused) and isinstance(refused.value, httpx.HTTPError)
    assert "may not call 127.0.0.1" in str(refused.value)
    assert server.hosts == []
    outbound_hosts("127.0.0.1")
    async with outbound_client() as http:
        assert (await http.get(server.url + "/")).text == "ok"
    assert server.hosts == [f"127.0.0.1:{server.port}"]


async def test_a_redirect_to_a_host_off_the_list_is_refused(server: Server, outbound_hosts: Callable[[str], None],
                                                            ) -> None:
    """Each hop is checked: a receiver on the list cannot send the server on to one that is not."""
    outbound_hosts("127.0.0.1")
    server.redirect_to = f"http://localhost:{server.port}/"
    async with outbound_client(follow_redirects=True) as http:
        with pytest.raises(DestinationRefused, match="may not call localhost"):
            await http.get(server.url + "/away")
    assert server.hosts == [f"127.0.0.1:{server.port}"]


async def test_a_tenant_chosen_destination_must_be_public(server: Server) -> None:
    async with outbound_client(tenant_chosen=True) as http:
        with pytest.raises(DestinationRefused, match="internal address"):
            await http.get(server.url + "/")
    assert server.hosts == []
    async with outbound_client() as http:  # a fixed service the operator configured: not checked for that
        assert (await http.get(server.url + "/")).status_code == 200


async def test_a_tenant_chosen_destination_is_reached_at_the_address_that_was_checked(
    localhost_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection goes to the address the check resolved, under the URL's own name (Host header): a name only
    the check can resolve (as a rebinding name answers the check, then something else) is reached there."""
    address = (await resolve("localhost", 80))[0]

    async def only_the_check_resolves(host: str, port: int) -> list[object]:
        return [address] if host == "checked-once.test" else await resolve(host, port)

    monkeypatch.setattr(outbound_http, "resolve", only_the_check_resolves)
    async with outbound_client(tenant_chosen=True, private_allowed=True) as http:
        answer = await http.get(f"http://checked-once.test:{localhost_server.port}/")
    assert answer.text == "ok" and str(answer.request.url) == f"http://checked-once.test:{localhost_server.port}/"
    assert localhost_server.hosts == [f"checked-once.test:{localhost_server.port}"]
    async with outbound_client(private_allowed=True) as http:  # unpinned, the name does not resolve at all
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://checked-once.test:{localhost_server.port}/")
