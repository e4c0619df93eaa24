"""Every outbound HTTP request goes through the one checked client (ASVS V13.2.4, V13.2.5; V1.3.6).

Every ``.py`` file of the four packages and ``frontend/`` is read with ``ast``. An HTTP client, transport or request
made another way fails the test: an ``httpx`` client, transport or module-level request (``httpx.get`` …) outside
``core/outbound_http.py``; authlib's OAuth client without ``transport=outbound_transport(...)``; a Stripe client
without ``http_client=stripe_http_client()``, or stripe's httpx client made anywhere but there; any other HTTP
library (aiohttp, requests, urllib.request, http.client, urllib3 …) at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("core", "graphql", "tenants", "plugins", "frontend")

#: The module that makes httpx clients and transports (the checked ones).
WRAPPER = "core/outbound_http.py"
#: httpx names that make a client, a transport or a request without a client of ours.
HTTPX_MAKERS = {"AsyncClient", "Client", "AsyncHTTPTransport", "HTTPTransport", "get", "post", "put", "patch",
                "delete", "head", "options", "request", "stream"}
#: Other HTTP client libraries: none may be used.
OTHER_LIBRARIES = {"aiohttp", "requests", "urllib.request", "http.client", "urllib3", "httplib2", "pycurl", "treq",
                   "websockets", "httpcore"}
#: authlib clients that send requests themselves, and the keyword that must carry the checking transport.
OAUTH_CLIENTS = {"AsyncOAuth2Client", "OAuth2Client", "AsyncOAuth1Client", "OAuth1Client", "AsyncAssertionClient"}
#: stripe's HTTP client may only be made by the function that puts the checked client in it.
STRIPE_HTTP = ("plugins/billing/stripe_settings.py", "stripe_http_client")


def _python_files() -> list[Path]:
    files = [p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "node_modules" not in p.parts]
    assert len(files) > 100, "the scan should see the whole code base"
    return files


def _name(node: ast.expr) -> str:
    """``a.b.c`` of a name or attribute chain, else ``""``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return ""


def _keyword_call(node: ast.Call, keyword: str) -> str:
    """The name of the function called for ``keyword=`` of ``node`` (``""`` when absent or not a call)."""
    value = next((k.value for k in node.keywords if k.arg == keyword), None)
    return _name(value.func).rsplit(".", 1)[-1] if isinstance(value, ast.Call) else ""


def outbound_problems(source: str, relative: str) -> list[str]:
    """Where ``source`` (the file ``relative``) makes an HTTP request other than through the checked client."""
    tree = ast.parse(source, filename=relative)
    problems = []
    httpx_names = {"httpx"}  # what the httpx module is called in this file
    functions: dict[ast.AST, str] = {}
    for node in ast.walk(tree):  # outer functions come first, so each node ends up with its innermost function
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.update((inner, node.name) for inner in ast.walk(node) if inner is not node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "httpx" and alias.asname:
                    httpx_names.add(alias.asname)
                if any(alias.name == lib or alias.name.startswith(lib + ".") for lib in OTHER_LIBRARIES):
                    problems.append(f"{relative}:{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if any(node.module == lib or node.module.startswith(lib + ".") for lib in OTHER_LIBRARIES) or (
                    node.module == "urllib" and any(a.name == "request" for a in node.names)) or (
                    node.module == "http" and any(a.name == "client" for a in node.names)):
                problems.append(f"{relative}:{node.lineno}: imports from {node.module}")
            if node.module == "httpx" and relative != WRAPPER:
                for alias in node.names:
                    if alias.name in HTTPX_MAKERS:
                        problems.append(f"{relative}:{node.lineno}: imports httpx.{alias.name}")
        elif isinstance(node, ast.Call):
            called = _name(node.func)
            module, _, last = called.rpartition(".")
            if module in httpx_names and last in HTTPX_MAKERS and relative != WRAPPER:
                problems.append(f"{relative}:{node.lineno}: {called}(...) outside {WRAPPER}")
            elif last in OAUTH_CLIENTS and _keyword_call(node, "transport") != "outbound_transport":
                problems.append(f"{relative}:{node.lineno}: {last}(...) without transport=outbound_transport(...)")
            elif last == "StripeClient" and _keyword_call(node, "http_client") != STRIPE_HTTP[1]:
                problems.append(f"{relative}:{node.lineno}: StripeClient(...) without "
                                f"http_client={STRIPE_HTTP[1]}()")
            elif last.endswith("HTTPClient") or last in {"HTTPXClient", "AIOHTTPClient", "RequestsClient"}:
                if (relative, functions.get(node)) != STRIPE_HTTP:
                    problems.append(f"{relative}:{node.lineno}: {called}(...) outside {STRIPE_HTTP[1]}()")
    return problems


def test_every_outbound_request_goes_through_the_checked_client() -> None:
    problems = []
    for path in _python_files():
        relative = path.relative_to(ROOT).as_posix()
        problems += outbound_problems(path.read_text(encoding="utf-8"), relative)
    assert problems == []
    wrapper = (ROOT / WRAPPER).read_text(encoding="utf-8")
    assert "httpx.AsyncClient(transport=outbound_transport(" in wrapper, "the wrapper's own client is checked"


def test_the_scan_finds_each_way_around_the_checked_client() -> None:
    """The scan itself: each way of calling out unchecked is reported, the checked ways are not."""
    unchecked = '''
import aiohttp
import httpx as h
from httpx import AsyncClient
from urllib.request import urlopen
from authlib.integrations.httpx_client import AsyncOAuth2Client
import stripe

async def f():
    async with h.AsyncClient() as c:
        await c.get("https://example.com")
    await h.post("https://example.com")
    AsyncOAuth2Client(client_id="x", timeout=5)
    stripe.StripeClient("sk", http_client=stripe.HTTPXClient())
'''
    found = outbound_problems(unchecked, "plugins/example.py")
    assert sorted(p.split(": ", 1)[1].split("(")[0].split(" ")[-1] for p in found) == sorted([
        "aiohttp", "httpx.AsyncClient", "urllib.request", "h.AsyncClient", "h.post", "AsyncOAuth2Client",
        "StripeClient", "stripe.HTTPXClient"]), found
    checked = '''
from authlib.integrations.httpx_client import AsyncOAuth2Client
from pejling.core.outbound_http import outbound_client, outbound_transport

async def f():
    async with outbound_client(timeout=5) as c:
        await c.get("https://example.com")
    AsyncOAuth2Client(client_id="x", transport=outbound_transport(tenant_chosen=True))
'''
    assert outbound_problems(checked, "plugins/example.py") == []


def test_asvs_lists_the_allow_list_as_met_with_this_scan() -> None:
    table, _, not_met = (ROOT / "docs" / "asvs.md").read_text(encoding="utf-8").partition("\n## Deliberate exceptions")
    row = next(line for line in table.splitlines() if line.startswith("| V13.2.4, V13.2.5 |"))
    assert "tests/test_asvs_outbound.py::test_every_outbound_request_goes_through_the_checked_client" in row
    assert "`core/outbound_http.py`" in row and "PEJLING_OUTBOUND_ALLOWED_HOSTS" in row
    assert "V13.2.4" not in not_met and "V13.2.5" not in not_met
