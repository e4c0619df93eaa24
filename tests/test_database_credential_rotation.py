"""A rotated PostgreSQL password is used from the next connection on, without a restart (ASVS V13.2.1).

A private cluster that checks passwords (``scram-sha-256``; the suite's shared server trusts every local
connection, so a password there proves nothing), the application's restricted role with a password, and
``PEJLING_DATABASE_URL`` in a secrets folder: the app's own connection factory (row-level security's connections,
also behind PgBouncer's settings) and the change-notice listener sign in; the role's password is changed with
``ALTER ROLE`` and the file rewritten, as Vault's static database roles do; a new connection then signs in with the
new password, a connection opened before keeps working, and the old password is refused. The same through a real
PgBouncer in transaction pooling that checks passwords with ``auth_query``, and for a running ``pejling serve``.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from pejling.core.change_notices import _connect_arguments
from pejling.core.database import postgres_connection, tortoise_config
from pejling.core.row_security import TenantConnection, client_class
from pejling.core.settings import Settings
from tests.support.cli import PRODUCTION_KEY
from tests.support.private_postgres import PrivatePostgres, private_postgres
from tests.support.private_postgres import unavailable as private_postgres_unavailable
from tests.support.secret_files import rewrite_secret, secrets_folder
from tests.support.server import free_port, serving

pytestmark = pytest.mark.postgres_only

ROLE = "pejling_rotating_app"
#: The superuser signs in without a password over the socket and loopback; everyone else needs theirs.
HBA = """local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    reason = private_postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with private_postgres() as made:
        (made.data_dir / "pg_hba.conf").write_text(HBA)
        yield made


@pytest.fixture(scope="module")
def pgbouncer(cluster: PrivatePostgres) -> Iterator[int]:
    """PgBouncer in transaction pooling before the cluster, checking each client's password with ``auth_query`` (so
    it asks PostgreSQL for the current one); its port."""
    binary = shutil.which("pgbouncer")
    if binary is None:
        pytest.skip("pgbouncer is not installed")
    folder = Path(tempfile.mkdtemp(prefix="pejling-pgbouncer-"))
    port = free_port()
    (folder / "userlist.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\npostgres = host=127.0.0.1 port={cluster.port} dbname=postgres\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "pool_mode = transaction\nauth_type = scram-sha-256\n"
        f"auth_file = {folder / 'userlist.txt'}\nauth_user = postgres\n"
        "auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename = $1\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        entry = pwd.getpwnam("postgres")
        for path in (folder, *folder.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if process.poll() is not None:
                pytest.fail(f"pgbouncer stopped: {process.stderr.read().decode() if process.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


async def _admin(cluster: PrivatePostgres, sql: str) -> None:
    connection = await asyncpg.connect(cluster.url().replace("postgres://", "postgresql://", 1), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
async def role(cluster: PrivatePostgres) -> AsyncIterator[str]:
    """The application's role (no superuser, no BYPASSRLS) with a first password; dropped after the test."""
    await _admin(cluster, "SELECT pg_reload_conf()")
    password = secrets.token_urlsafe(16)
    await _admin(cluster, f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'")
    try:
        yield password
    finally:
        await _admin(cluster, f"DROP ROLE IF EXISTS {ROLE}")


def _url(cluster: PrivatePostgres, password: str, port: int | None = None) -> str:
    return f"postgres://{ROLE}:{password}@127.0.0.1:{port or cluster.port}/postgres"


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return secrets_folder(tmp_path, monkeypatch, "PEJLING_DATABASE_URL")


async def _rotate(cluster: PrivatePostgres, folder: Path, port: int | None = None) -> str:
    new = secrets.token_urlsafe(16)
    await _admin(cluster, f"ALTER ROLE {ROLE} PASSWORD '{new}'")
    rewrite_secret(folder, "PEJLING_DATABASE_URL", _url(cluster, new, port))
    return new


async def _refused(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=10)
    except asyncpg.InvalidPasswordError:
        return True
    except asyncpg.ProtocolViolationError as exc:  # PgBouncer's word for a wrong SCRAM password
        return "authentication failed" in str(exc)
    await connection.close()
    return False


@pytest.mark.parametrize("pooler", ["", "pgbouncer"])
async def test_a_new_connection_signs_in_with_the_rotated_password_and_an_open_one_keeps_working(
    cluster: PrivatePostgres, role: str, secrets_dir: Path, pooler: str
) -> None:
    rewrite_secret(secrets_dir, "PEJLING_DATABASE_URL", _url(cluster, role))
    settings = Settings(environment="test", database_pooler=pooler)
    credentials = tortoise_config(settings)["connections"]["default"]["credentials"]
    client = client_class(connection_name="rotation", **credentials)
    await client.create_connection(with_db=True)
    try:
        async with client.acquire_connection() as before:
            assert isinstance(before, TenantConnection)  # row-level security's connections, as in production
            assert await before.fetchval("SELECT current_user") == ROLE

            await _rotate(cluster, secrets_dir)
            async with client.acquire_connection() as after:  # the first is held: the pool must open another
                assert after is not before
                assert await after.fetchval("SELECT current_user") == ROLE
            assert await before.fetchval("SELECT 1") == 1  # opened with the old password, still working
    finally:
        await client.close()
    assert await _refused(_url(cluster, role))


async def test_a_running_server_signs_in_again_with_the_rotated_password(
    cluster: PrivatePostgres, role: str, secrets_dir: Path, tmp_path: Path
) -> None:
    # The real `pejling serve`: its database connections are ended (as a pool recycles them) after the rotation, and
    # the same process, never restarted, answers /readyz from a connection signed in with the new password.
    rewrite_secret(secrets_dir, "PEJLING_DATABASE_URL", _url(cluster, role))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PEJLING_")}
    env.update({"PEJLING_SECRETS_DIR": str(secrets_dir), "PEJLING_ENVIRONMENT": "test",
                "PEJLING_VAR_DIR": str(tmp_path), "PEJLING_SECRET_KEY": PRODUCTION_KEY,
                "PEJLING_RUN_WORKER_IN_APP": "false", "PEJLING_LOG_LEVEL": "WARNING"})
    command = [str(Path(sys.executable).with_name("pejling")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, port=port, env=env, cwd=str(tmp_path)) as (base, process):
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            assert (await http.get("/readyz")).status_code == 200
            await _rotate(cluster, secrets_dir)
            await _admin(cluster, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{ROLE}'")
            answers = [(await http.get("/readyz")).status_code for _ in range(3)]  # the first may meet a dead one
            assert answers[-1] == 200, answers
            assert process.poll() is None
    assert await _refused(_url(cluster, role))


async def test_behind_pgbouncer_a_new_connection_signs_in_with_the_rotated_password(
    cluster: PrivatePostgres, pgbouncer: int, role: str, secrets_dir: Path
) -> None:
    rewrite_secret(secrets_dir, "PEJLING_DATABASE_URL", _url(cluster, role, pgbouncer))
    settings = Settings(environment="test", database_pooler="pgbouncer")
    credentials = tortoise_config(settings)["connections"]["default"]["credentials"]
    client = client_class(connection_name="pooled", **credentials)
    await client.create_connection(with_db=True)
    try:
        async with client.acquire_connection() as before:
            assert await before.fetchval("SELECT current_user") == ROLE
            await _rotate(cluster, secrets_dir, pgbouncer)
            async with client.acquire_connection() as after:
                assert after is not before
                assert await after.fetchval("SELECT current_user") == ROLE
            assert await before.fetchval("SELECT 1") == 1
    finally:
        await client.close()
    assert await _refused(_url(cluster, role, pgbouncer))


async def test_the_change_notice_listener_reconnects_with_the_rotated_password(
    cluster: PrivatePostgres, role: str, secrets_dir: Path
) -> None:
    rewrite_secret(secrets_dir, "PEJLING_DATABASE_URL", _url(cluster, role))
    arguments = _connect_arguments(Settings(environment="test").resolved_database_url)
    (await asyncpg.connect(**arguments)).terminate()
    await _rotate(cluster, secrets_dir)
    connection = await asyncpg.connect(**arguments)  # what the listener does after losing its connection
    try:
        assert await connection.fetchval("SELECT current_user") == ROLE
    finally:
        await connection.close()


async def test_a_url_given_in_the_environment_keeps_its_password(
    cluster: PrivatePostgres, role: str, secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: without the file the password is fixed, and the rotation locks the process out.
    monkeypatch.delenv("PEJLING_SECRETS_DIR")
    monkeypatch.setenv("PEJLING_DATABASE_URL", _url(cluster, role))
    credentials = postgres_connection(Settings(environment="test").database_url, setting="PEJLING_DATABASE_URL")
    assert credentials["credentials"]["password"] == role
    await _rotate(cluster, secrets_dir)
    client = client_class(connection_name="fixed", **credentials["credentials"])
    with pytest.raises(asyncpg.InvalidPasswordError):
        await client.create_connection(with_db=True)
    await client.close()


async def test_a_file_naming_another_user_or_host_is_not_followed(
    cluster: PrivatePostgres, role: str, secrets_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rewrite_secret(secrets_dir, "PEJLING_DATABASE_URL", _url(cluster, role))
    arguments = _connect_arguments(Settings(environment="test").resolved_database_url)
    rewrite_secret(secrets_dir, "PEJLING_DATABASE_URL", f"postgres://someone_else:{secrets.token_urlsafe(8)}@127.0.0.1:{cluster.port}/postgres")
    connection = await asyncpg.connect(**arguments)  # still the started role with its last good password
    try:
        assert await connection.fetchval("SELECT current_user") == ROLE
    finally:
        await connection.close()
    assert "restart to use it" in caplog.text
    assert "someone_else" not in caplog.text and role not in caplog.text
