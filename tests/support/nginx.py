"""The shipped nginx configuration (``deploy/nginx/pejling.conf``) run for real: its ``SET:`` lines filled in for this
machine (free ports, a test certificate, the app under test), inside a minimal ``nginx.conf`` of a temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx" / "pejling.conf"
HOST = "pejling.test"


def nginx_executable() -> str | None:
    """nginx's path, or None when it is not installed (``make test`` installs the Debian package)."""
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@dataclass(frozen=True)
class Edge:
    """A running nginx: its https and http ports on 127.0.0.1, the name it serves and its folder (logs)."""

    https_port: int
    http_port: int
    host: str
    folder: Path

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(errors="replace")


def render(config: str, *, https_port: int, http_port: int, upstream: str, cert: Path, key: Path,
           host: str = HOST, changes: Mapping[str, str] | None = None) -> str:
    """``config`` with each ``SET:`` line (and the listen ports) for this machine; ``changes`` replaces whole
    directives by name (``{"ssl_protocols": "TLSv1 TLSv1.2"}``), to try a weakened copy. Every replacement must
    apply, so a renamed or removed line fails here rather than testing a default."""
    replacements = [
        (r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl", 2),
        (r"listen 80", f"listen 127.0.0.1:{http_port}", 2),
        (r"server 127\.0\.0\.1:8000;", f"server {upstream};", 1),
        (r"server_name pejling\.example\.com;", f"server_name {host};", 2),
        (r"ssl_certificate \S+;", f"ssl_certificate {cert};", 1),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", 1),
    ]
    for name, value in (changes or {}).items():
        count = len(re.findall(rf"^\s*{name} [^;]*;", config, flags=re.MULTILINE))
        replacements.append((rf"(?m)^(\s*){name} [^;]*;", rf"\g<1>{name} {value};", count or 1))
    for pattern, replacement, expected in replacements:
        config, made = re.subn(pattern, replacement, config)
        assert made == expected, f"{CONFIG.name}: {pattern!r} matched {made} times, expected {expected}"
    return config


def _wrapper(folder: Path) -> str:
    # What Debian's /etc/nginx/nginx.conf sets around conf.d/*.conf that matters here: its http-level ssl_protocols
    # (which the file's servers must override) and default_type.
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must write to the test's private folder
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {folder / 'access.log'};
{temp}
    include {folder / 'pejling.conf'};
}}
"""


def _wait_for_port(process: subprocess.Popen[bytes], port: int, folder: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited: {(folder / 'error.log').read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nginx did not start listening")


@contextmanager
def running_nginx(folder: Path, *, https_port: int, http_port: int, upstream: str, cert: Path, key: Path,
                  changes: Mapping[str, str] | None = None) -> Iterator[Edge]:
    """nginx in the foreground with the shipped configuration rendered into ``folder``; stopped at the end."""
    executable = nginx_executable()
    assert executable, "nginx is not installed (make test installs it: apt-get install -y nginx)"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pejling.conf").write_text(render(CONFIG.read_text(), https_port=https_port, http_port=http_port,
                                                upstream=upstream, cert=cert, key=key, changes=changes))
    (folder / "nginx.conf").write_text(_wrapper(folder))
    command = [executable, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(folder / "nginx.conf"),
               "-g", "daemon off;"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr + (folder / "error.log").read_text(errors="replace")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(process, https_port, folder)
        _wait_for_port(process, http_port, folder)
        yield Edge(https_port, http_port, HOST, folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
