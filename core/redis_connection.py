"""The Redis client of every Pejling part that uses Redis (rate limits, pub/sub, persisted queries).

When ``PEJLING_REDIS_URL`` comes from its secret file, the client signs each new connection in with the user and
password the file holds then (redis-py's ``credential_provider``), so a rotated ACL password is used from the next
connection on, without a restart (:mod:`pejling.core.credential_files`, ASVS V13.2.1).
"""

from __future__ import annotations

from typing import Any

from redis.credentials import CredentialProvider

from pejling.core.credential_files import CredentialFile, credential_file

SETTING = "PEJLING_REDIS_URL"


class FileCredentials(CredentialProvider):
    """redis-py's credentials of each new connection, read from the secret file (``AUTH user password``, or
    ``AUTH password`` for the ``default`` user)."""

    def __init__(self, source: CredentialFile) -> None:
        self.source = source

    def get_credentials(self) -> tuple[str] | tuple[str, str]:
        current = self.source.current()
        password = current.password or ""
        return (current.user, password) if current.user else (password,)

    async def get_credentials_async(self) -> tuple[str] | tuple[str, str]:
        return self.get_credentials()


def redis_from_url(url: str) -> Any:
    """An asyncio Redis client for ``url`` (``redis.asyncio.from_url``), reading its credentials per connection when
    the URL came from its secret file."""
    import redis.asyncio as redis

    source = credential_file(SETTING, url)
    if source is None:
        return redis.from_url(url)
    # redis-py takes either credentials in the URL or a provider, not both.
    return redis.from_url(source.current().rest, credential_provider=FileCredentials(source))
