"""A private PostgreSQL cluster for a test or a bench that must restart its database (the fault test).

The machine's shared PostgreSQL is never restarted: :func:`private_postgres` makes a throw-away cluster with
``initdb`` in a temporary folder (trust authentication, loopback only, its socket in that folder), starts it on a
free port and removes it at the end. :meth:`PrivatePostgres.restart` and :meth:`PrivatePostgres.stop` /
:meth:`PrivatePostgres.start` stop and start it under load with ``pg_ctl``.

PostgreSQL refuses to run as root, so as root every command runs as the ``postgres`` user (``runuser``), in a folder
that user owns. :func:`unavailable` says why no cluster can be made here (no binaries, no ``postgres`` user), for a
clear skip.

    with private_postgres() as cluster:
        url = cluster.url("postgres")          # postgres://postgres@127.0.0.1:<port>/postgres
        cluster.restart(mode="fast")
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import free_port

#: Settings of a throw-away cluster. ``fsync = off`` is safe against the faults made here (a stop or a crash of the
#: server processes, not of the machine): a commit still waits until its WAL is written to the operating system.
CLUSTER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "60",
    "shared_buffers": "'32MB'",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "on",
    "log_min_messages": "warning",
}
SUPERUSER = "postgres"
_START_SECONDS = 60


def binaries() -> Path | None:
    """The folder with ``initdb``, ``pg_ctl`` and ``postgres``: ``PEJLING_PG_BIN`` or the newest
    ``/usr/lib/postgresql/*/bin``; None when there is none."""
    named = os.environ.get("PEJLING_PG_BIN")
    candidates = [named] if named else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name)
        if Path(path).parent.name.isdigit() else 0, reverse=True)
    for candidate in candidates:
        folder = Path(candidate)
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _run_as() -> str | None:
    """The user to run PostgreSQL as: ``postgres`` when this process is root, else this user (None)."""
    return "postgres" if os.geteuid() == 0 else None


def unavailable() -> str | None:
    """Why no private cluster can be made on this machine, or None when one can."""
    if binaries() is None:
        return "PostgreSQL server binaries not found (initdb, pg_ctl, postgres under /usr/lib/postgresql/*/bin)"
    user = _run_as()
    if user is not None:
        try:
            pwd.getpwnam(user)
        except KeyError:
            return "running as root and there is no 'postgres' user to run a private PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing (needed to run PostgreSQL as 'postgres')"
    return None


@dataclass
class PrivatePostgres:
    """A throw-away cluster in ``folder`` (data in ``folder/data``, socket and log beside it) on ``port``."""

    folder: Path
    bin_dir: Path
    port: int
    user: str | None = None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        """The connection URL of ``database`` (trust authentication, no password)."""
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", self.user, "--", *command] if self.user else command

    def _pg_ctl(self, action: str, *args: str, timeout: float = _START_SECONDS) -> None:
        command = self._command("pg_ctl", action, "-D", str(self.data_dir), "-w", "-t", str(int(timeout)), *args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 30, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {action} failed ({done.returncode}): {done.stderr or done.stdout}\n"
                               f"{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log (for error messages)."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def init(self, certificate: tuple[Path, Path] | None = None) -> None:
        """Create the cluster (``initdb``, trust authentication) and write its settings; with ``certificate``
        (certificate and key files) it also accepts TLS with that certificate."""
        done = subprocess.run(
            self._command("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                          "--locale=C", "--no-sync", "--no-instructions"),
            capture_output=True, text=True, timeout=120, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr or done.stdout}")
        settings = {**CLUSTER_SETTINGS, "port": str(self.port), "unix_socket_directories": f"'{self.folder}'"}
        if certificate is not None:
            for source, name in zip(certificate, ("server.crt", "server.key"), strict=True):
                target = self.folder / name
                shutil.copyfile(source, target)
                target.chmod(0o600)  # PostgreSQL refuses a key others can read
                if self.user is not None:
                    entry = pwd.getpwnam(self.user)
                    os.chown(target, entry.pw_uid, entry.pw_gid)
            settings.update({"ssl": "on", "ssl_cert_file": f"'{self.folder / 'server.crt'}'",
                             "ssl_key_file": f"'{self.folder / 'server.key'}'"})
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# the private cluster of a Pejling fault test\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("start", "-l", str(self.log_file))

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (roll back open transactions, close clients), ``immediate`` (abort, as a
        crash: recovery replays the WAL at the next start) or ``smart``."""
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        """Stop the server in ``mode`` and start it again; returns once it accepts connections."""
        self._pg_ctl("restart", "-m", mode, "-l", str(self.log_file))

    def running(self) -> bool:
        """True while the server's postmaster runs."""
        command = self._command("pg_ctl", "status", "-D", str(self.data_dir))
        return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0


@contextmanager
def private_postgres(folder: Path | None = None, certificate: tuple[Path, Path] | None = None,
                     ) -> Iterator[PrivatePostgres]:
    """A started private cluster for the block (accepting TLS with ``certificate``: certificate and key files);
    stopped and removed after it.

    Raises :class:`RuntimeError` when :func:`unavailable` gives a reason (callers skip on that reason first).
    """
    reason = unavailable()
    if reason is not None:
        raise RuntimeError(reason)
    bin_dir = binaries()
    assert bin_dir is not None
    user = _run_as()
    made = Path(tempfile.mkdtemp(prefix="pejling-pg-", dir=folder))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(made, entry.pw_uid, entry.pw_gid)
    made.chmod(0o700)
    cluster = PrivatePostgres(folder=made, bin_dir=bin_dir, port=free_port(), user=user)
    try:
        cluster.init(certificate)
        for attempt in range(3):
            try:
                cluster.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                # Another process took the port meanwhile: take another.
                cluster.port = free_port()
                conf = cluster.data_dir / "postgresql.conf"
                conf.write_text(conf.read_text() + f"port = {cluster.port}\n")
                time.sleep(0.2)
        yield cluster
    finally:
        if cluster.running():
            try:
                cluster.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(made, ignore_errors=True)
