"""One real ``pejling serve`` and the shipped nginx configuration in front of it, for the tests of this folder.

The app believes forwarded headers from 127.0.0.1 only (``PEJLING_TRUSTED_PROXIES``), where nginx connects from;
its log lines go to a file the tests read. nginx gets a certificate chain of a throw-away authority
(:func:`tests.support.certificates.chained_server_certificate`) for ``pejling.test``.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pejling.core.settings import Settings
from tests.support.certificates import ServerCertificate, chained_server_certificate
from tests.support.nginx import HOST, Edge, nginx_executable, running_nginx
from tests.support.server import free_port, serving


@dataclass(frozen=True)
class App:
    """The app under test: its port and its log file (JSON lines)."""

    port: int
    log: Path

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def access_paths(self) -> list[str]:
        return [str(line["path"]) for line in self.log_lines() if line.get("name") == "pejling.access"]


@pytest.fixture(scope="package")
def app_server(database: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    folder = tmp_path_factory.mktemp("edge-app")
    port = free_port()
    env = {
        **os.environ, "PEJLING_DATABASE_URL": database.resolved_database_url, "PEJLING_VAR_DIR": str(folder),
        "PEJLING_SECRET_KEY": database.secret_key.get_secret_value(), "PEJLING_ENVIRONMENT": "test",
        "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_LOG_LEVEL": "INFO", "PEJLING_TRUSTED_PROXIES": "127.0.0.1",
        "PEJLING_LIVE_HEARTBEAT_SECONDS": "0.3",
    }
    env.pop("PEJLING_REDIS_URL", None)
    command = [str(Path(sys.executable).with_name("pejling")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = folder / "app.log"
    with serving(command, port=port, env=env, cwd=str(folder), log=log):
        yield App(port, log)


@pytest.fixture(scope="package")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    return chained_server_certificate(tmp_path_factory.mktemp("edge-certificate"), HOST)


@pytest.fixture(scope="package")
def edge(app_server: App, certificate: ServerCertificate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    if nginx_executable() is None:
        pytest.skip("nginx is not installed (make test installs it)")
    with running_nginx(tmp_path_factory.mktemp("edge-nginx"), https_port=free_port(), http_port=free_port(),
                       upstream=f"127.0.0.1:{app_server.port}", cert=certificate.cert,
                       key=certificate.key) as running:
        yield running


def client_tls(certificate: ServerCertificate) -> ssl.SSLContext:
    """A client that trusts only the test's root authority and checks the name."""
    return ssl.create_default_context(cafile=str(certificate.ca))
