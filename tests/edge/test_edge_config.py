"""``deploy/nginx/pejling.conf`` agrees with the app it fronts: the numbers and names it repeats come from the code
(body limit, keep-alive, the live feed's path and heartbeat, the API paths plain http refuses), and the settings the
tests of this folder prove on a running nginx are not quietly undone elsewhere in the file."""

from __future__ import annotations

import inspect
import os
import re
import subprocess

import uvicorn

from pejling.core import live_routes, metrics
from pejling.core.auth.middleware import GRAPHQL_PATH
from pejling.core.request_limits import MAX_BODY_BYTES as GRAPHQL_BODY_BYTES
from pejling.core.settings import Settings
from pejling.core.surveys import import_routes, ingest
from pejling.plugins.billing.stripe_webhook import MAX_EVENT_BYTES as STRIPE_BYTES
from pejling.plugins.shopify.webhooks import MAX_BODY_BYTES as SHOPIFY_BYTES
from pejling.plugins.shopify.webhooks import WEBHOOK_PATH as SHOPIFY_PATH
from pejling.plugins.vipps.webhooks import MAX_BODY_BYTES as VIPPS_BYTES
from tests.support.nginx import CONFIG, ROOT

TEXT = CONFIG.read_text()
UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}


def servers() -> list[str]:
    """The text of each top-level ``server { … }`` block (comments dropped)."""
    text = re.sub(r"#.*", "", TEXT)
    blocks: list[str] = []
    depth, start = 0, -1
    for match in re.finditer(r"[{}]", text):
        if match.group(0) == "{":
            if depth == 0:
                opening = text.rfind(";", 0, match.start()) + 1
                opening = max(opening, text.rfind("}", 0, match.start()) + 1)
                start = opening if text[opening:match.start()].split() == ["server"] else -1
            depth += 1
        else:
            depth -= 1
            if depth == 0 and start >= 0:
                blocks.append(text[start:match.end()])
    return blocks


def directive(text: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name} ([^;]*);", text, flags=re.MULTILINE)


def test_forwarded_headers_are_set_from_the_connection_never_appended() -> None:
    assert directive(TEXT, "proxy_set_header X-Forwarded-For") == ["$remote_addr"]
    assert directive(TEXT, "proxy_set_header X-Forwarded-Proto") == ["$scheme"]
    assert "$proxy_add_x_forwarded_for" not in TEXT and "$http_x_forwarded" not in TEXT
    for dropped in ("Forwarded", "X-Forwarded-Host", "X-Forwarded-Port", "X-Real-IP"):
        assert directive(TEXT, f"proxy_set_header {dropped}") == ['""'], dropped
    # Set once in the https server: a location with a proxy_set_header of its own would drop all of these.
    assert all(not directive(location, "proxy_set_header")
               for location in re.findall(r"location[^{]*\{[^}]*\}", TEXT))


def test_the_body_limit_is_the_largest_body_the_app_takes() -> None:
    [size] = directive(TEXT, "client_max_body_size")
    number, unit = re.fullmatch(r"(\d+)([km]?)", size).groups()  # type: ignore[union-attr]
    assert int(number) * UNITS[unit] == import_routes.MAX_BODY_BYTES
    assert import_routes.MAX_BODY_BYTES >= max(ingest.MAX_BODY_BYTES, GRAPHQL_BODY_BYTES, SHOPIFY_BYTES, STRIPE_BYTES,
                                               VIPPS_BYTES)


def test_upstream_connections_are_http_1_1_kept_alive_and_given_up_before_uvicorn_closes_them() -> None:
    assert directive(TEXT, "proxy_http_version") == ["1.1"]
    assert directive(TEXT, "proxy_set_header Connection") == ['""']
    [upstream] = re.findall(r"upstream pejling \{[^}]*\}", TEXT)
    assert int(directive(upstream, "keepalive")[0]) > 0
    uvicorn_idle = inspect.signature(uvicorn.Config).parameters["timeout_keep_alive"].default
    [timeout] = directive(upstream, "keepalive_timeout")
    assert int(timeout.removesuffix("s")) < uvicorn_idle  # pejling serve keeps uvicorn's default (core/cli.py)


def test_the_live_feed_is_passed_on_unbuffered_with_an_idle_timeout_above_its_heartbeat() -> None:
    [live] = re.findall(rf"location = {re.escape(live_routes.PATH)} \{{[^}}]*\}}", TEXT)
    assert directive(live, "proxy_buffering") == ["off"]
    [timeout] = directive(live, "proxy_read_timeout")
    assert int(timeout.removesuffix("s")) > 2 * Settings.model_fields["live_heartbeat_seconds"].default


def test_every_server_speaks_the_same_tls_and_hsts_is_left_to_the_app() -> None:
    tls_servers = [block for block in servers() if re.search(r"listen 443 ssl", block)]
    assert len(tls_servers) == 2  # the default server (no handshake) and Pejling's
    for block in tls_servers:
        assert directive(block, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]
        [ciphers] = directive(block, "ssl_ciphers")
        assert all(suite.startswith("ECDHE-") and ("GCM" in suite or "CHACHA20" in suite)
                   for suite in ciphers.split(":")), ciphers
    assert len({directive(block, "ssl_ciphers")[0] for block in tls_servers}) == 1
    assert "Strict-Transport-Security" not in re.sub(r"#.*", "", TEXT)  # the app sends it (core/security_headers.py)


def test_plain_http_refuses_the_machine_paths_of_the_app() -> None:
    [refused] = re.findall(r"location ~ \^/\(([^)]*)\)", TEXT)
    pattern = re.compile(rf"^/({refused})")
    for path in (GRAPHQL_PATH, metrics.METRICS_PATH, live_routes.PATH, import_routes.PATH, SHOPIFY_PATH,
                 "/webhooks/stripe", "/healthz", "/readyz"):
        assert pattern.match(path), path
    for page in ("/", "/login", "/portal/", "/s/shop/store", "/healthz-page"):
        assert not pattern.match(page), page


def test_make_test_installs_nginx_when_it_is_missing() -> None:
    outside = {name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    recipe = subprocess.run(["make", "--no-print-directory", "-n", "test"], cwd=ROOT, capture_output=True, text=True,
                            env=outside).stdout
    assert "command -v nginx" in recipe and "apt-get install -y -qq nginx" in recipe


def test_asvs_lists_the_edge_rows_as_met_with_edge_tests() -> None:
    table, _, not_met = (ROOT / "docs" / "asvs.md").read_text(encoding="utf-8").partition("\n## Deliberate exceptions")
    for requirement in ("V4.1.2", "V4.2.1", "V12.1.1", "V12.1.2", "V12.2.1", "V12.2.2"):
        [row] = [line for line in table.splitlines() if line.startswith(f"| {requirement} |")]
        assert "`deploy/nginx/pejling.conf`" in row, requirement
        # that the tests it names exist: tests/test_asvs_documentation.py checks it for every row
        assert re.search(r"`tests/edge/[\w/]+\.py::\w+`", row), requirement
        assert requirement not in not_met, requirement
