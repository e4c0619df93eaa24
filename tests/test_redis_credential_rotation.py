"""A rotated Redis ACL password is used from the next connection on, without a restart (ASVS V13.2.1).

The machine's Redis (127.0.0.1:6379) gets an ACL user of this test's own (a unique name, deleted after), and
``PEJLING_REDIS_URL`` names it in a secrets folder. The survey rate limits (the store every process shares) sign
in; the password is changed with ``ACL SETUSER`` and the file rewritten; a new connection then signs in with the
new password, one opened before keeps working, and the old password is refused. Redis is the same on either
database pass, so this runs on the SQLite pass only.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError

from pejling.core.pubsub import RedisBroker
from pejling.core.settings import Settings
from pejling.core.surveys.rate_limit import Limit, RedisLimiter
from tests.support.secret_files import rewrite_secret, secrets_folder

pytestmark = pytest.mark.once

ADDRESS = "127.0.0.1:6379"
LIMIT = Limit(count=1000, window_seconds=60)


@pytest.fixture
async def admin() -> AsyncIterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        await client.ping()
    except RedisConnectionError:
        await client.aclose()
        pytest.skip(f"no Redis at {ADDRESS}")
    yield client
    await client.aclose()


@pytest.fixture
async def user(admin: redis.Redis) -> AsyncIterator[tuple[str, str]]:
    """A Redis ACL user of this test only, allowed the rate-limit keys, with a first password; deleted after."""
    name, password = f"pejling-rotation-{secrets.token_hex(6)}", secrets.token_urlsafe(16)
    await admin.execute_command("ACL", "SETUSER", name, "reset", "on", f">{password}", "~pejling:test-rotation:*",
                                "&*", "+@all")
    try:
        yield name, password
    finally:
        await admin.execute_command("ACL", "DELUSER", name)
        keys = [key async for key in admin.scan_iter(match="pejling:test-rotation:*")]
        if keys:
            await admin.delete(*keys)


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return secrets_folder(tmp_path, monkeypatch, "PEJLING_REDIS_URL")


def _url(name: str, password: str) -> str:
    return f"redis://{name}:{password}@{ADDRESS}/0"


async def _rotate(admin: redis.Redis, folder: Path, name: str) -> str:
    new = secrets.token_urlsafe(16)
    await admin.execute_command("ACL", "SETUSER", name, "resetpass", f">{new}")
    rewrite_secret(folder, "PEJLING_REDIS_URL", _url(name, new))
    return new


async def _refused(url: str) -> bool:
    client = redis.from_url(url)
    try:
        await client.ping()
    except AuthenticationError:
        return True
    finally:
        await client.aclose()
    return False


async def test_a_new_connection_signs_in_with_the_rotated_password_and_an_open_one_keeps_working(
    admin: redis.Redis, user: tuple[str, str], secrets_dir: Path
) -> None:
    name, first = user
    rewrite_secret(secrets_dir, "PEJLING_REDIS_URL", _url(name, first))
    limiter = RedisLimiter(Settings(environment="test").redis_url, prefix=f"pejling:test-rotation:{name}")
    try:
        assert await limiter.hit("device", LIMIT) is None
        pool = limiter._redis.connection_pool
        before = await pool.get_connection()  # opened with the first password, kept out of the pool
        try:
            await _rotate(admin, secrets_dir, name)
            await pool.disconnect(inuse_connections=False)  # the idle ones close: the next command connects anew
            assert await limiter.hit("device", LIMIT) is None
            assert await limiter._redis.acl_whoami() == name
            await before.send_command("PING")
            assert await before.read_response() in (b"PONG", "PONG")
        finally:
            await pool.release(before)
    finally:
        await limiter.close()
    assert await _refused(_url(name, first))


async def test_the_live_feed_subscribes_again_with_the_rotated_password(
    admin: redis.Redis, user: tuple[str, str], secrets_dir: Path
) -> None:
    name, first = user
    rewrite_secret(secrets_dir, "PEJLING_REDIS_URL", _url(name, first))
    broker = RedisBroker(Settings(environment="test").redis_url, prefix=f"pejling:test-rotation:{name}:")
    try:
        subscription = await broker.subscribe("store")
        await _rotate(admin, secrets_dir, name)
        await admin.execute_command("CLIENT", "KILL", "USER", name)  # the subscription's connection is lost
        received = None
        for _ in range(100):  # the reader notices, waits its back-off and subscribes again (a few seconds at most)
            try:
                await broker.publish("store", {"response": 1})  # at most once: sent again until one arrives
            except RedisConnectionError:
                pass
            received = await subscription.get(0.1)
            if received is not None:
                break
        assert received == {"response": 1}, "not subscribed again with the new password"
        assert broker.reconnects >= 1
    finally:
        await broker.close()


async def test_a_url_given_in_the_environment_keeps_its_password(
    admin: redis.Redis, user: tuple[str, str], secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: without the file the password is fixed, and the rotation locks the client out.
    name, first = user
    monkeypatch.delenv("PEJLING_SECRETS_DIR")
    monkeypatch.setenv("PEJLING_REDIS_URL", _url(name, first))
    limiter = RedisLimiter(Settings(environment="test").redis_url, prefix=f"pejling:test-rotation:{name}")
    try:
        assert await limiter.hit("device", LIMIT) is None
        await _rotate(admin, secrets_dir, name)
        await limiter._redis.connection_pool.disconnect()
        with pytest.raises(AuthenticationError):
            await limiter.hit("device", LIMIT)
    finally:
        await limiter.close()
