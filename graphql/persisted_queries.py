"""Persisted queries: a client sends the sha256 of a document instead of the document (Apollo's protocol).

A request carries ``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}``:

* with the hash alone, the stored document runs; an unknown hash is answered (HTTP 200) with the error
  ``PersistedQueryNotFound`` (``extensions.code`` ``PERSISTED_QUERY_NOT_FOUND``), and the client sends again
  with the document;
* with the hash and the document, the sha256 of the document must be the hash (else
  ``PERSISTED_QUERY_HASH_MISMATCH`` and nothing runs); the document runs and, once it has parsed and validated,
  is stored under its hash.

Stored documents are kept per process, least recently used first out and bounded by their total length
(:class:`QueryStore`), and in Redis as well when ``PEJLING_REDIS_URL`` is set (shared by every process).
The documents of the portal build's manifest (:func:`load_manifest`) are always known. In ``allow-list`` mode
(``PEJLING_GRAPHQL_PERSISTED_QUERIES=allow-list``) only those run for browser sessions and anonymous callers:
any other document, sent by hash or as text, gets ``PERSISTED_QUERY_NOT_ALLOWED``; API tokens (integrators)
may still send any document. The parse/validation cache and the depth, alias and token limits apply to a
persisted document exactly as to one sent as text: the document is only looked up here, then executed as text.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pejling.core.auth.actor import Actor
from pejling.core.settings import Settings
from pejling.graphql.errors import ApiError

log = logging.getLogger(__name__)

#: Longest document that is stored (a document of the token limit is ~20 KB).
MAX_STORED_QUERY_CHARS = 32 * 1024
#: Total length of the documents registered by clients, per process.
MAX_STORED_CHARS = 512 * 1024
#: How long Redis keeps a registered document after its last registration.
REDIS_TTL_SECONDS = 7 * 24 * 3600
REDIS_PREFIX = "pejling:apq:"
MANIFEST_FORMAT = "apollo-persisted-query-manifest"

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
INVALID = "PERSISTED_QUERY_INVALID"


class ManifestError(ValueError):
    """The manifest file cannot be used (unreadable, wrong format, or a body whose sha256 is not its id)."""


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def load_manifest(path: Path) -> dict[str, str]:
    """The documents of a manifest by their sha256: ``{"format": "apollo-persisted-query-manifest",
    "version": 1, "operations": [{"id": "<sha256 of body>", "name": "...", "type": "query", "body": "..."}]}``.

    Raises :class:`ManifestError` for anything else, so a broken build cannot start half allowed.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read the persisted-query manifest {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or data.get("version") != 1:
        raise ManifestError(f"{path}: expected {{\"format\": \"{MANIFEST_FORMAT}\", \"version\": 1, ...}}")
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{path}: \"operations\" must be a list")
    documents: dict[str, str] = {}
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict) or not isinstance(operation.get("body"), str) \
                or not isinstance(operation.get("id"), str):
            raise ManifestError(f"{path}: operation {index} needs a string \"id\" and \"body\"")
        if sha256_hex(operation["body"]) != operation["id"].lower():
            raise ManifestError(f"{path}: operation {index} ({operation.get('name')}): id is not the sha256 of body")
        documents[operation["id"].lower()] = operation["body"]
    return documents


def check_settings(settings: Settings) -> None:
    """Raise :class:`ManifestError` when the persisted-query settings cannot work (read the manifest once)."""
    if settings.graphql_persisted_queries == "allow-list" and not settings.graphql_persisted_queries_manifest:
        raise ManifestError("PEJLING_GRAPHQL_PERSISTED_QUERIES=allow-list needs "
                            "PEJLING_GRAPHQL_PERSISTED_QUERIES_MANIFEST")
    if settings.graphql_persisted_queries_manifest:
        load_manifest(settings.graphql_persisted_queries_manifest)


class QueryStore:
    """Documents by hash, least recently used first out, bounded by their total length."""

    def __init__(self, max_chars: int = MAX_STORED_CHARS, max_query_chars: int = MAX_STORED_QUERY_CHARS) -> None:
        self.max_chars = max_chars
        self.max_query_chars = max_query_chars
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    def __len__(self) -> int:
        return len(self._documents)

    @property
    def stored_chars(self) -> int:
        return self._chars

    def get(self, digest: str) -> str | None:
        query = self._documents.get(digest)
        if query is not None:
            self._documents.move_to_end(digest)
        return query

    def put(self, digest: str, query: str) -> bool:
        """Keep ``query`` (False when it is too long to keep)."""
        if len(query) > self.max_query_chars:
            return False
        if digest in self._documents:
            self._documents.move_to_end(digest)
            return True
        self._documents[digest] = query
        self._chars += len(query)
        while self._chars > self.max_chars:
            _, evicted = self._documents.popitem(last=False)
            self._chars -= len(evicted)
        return True


class RedisQueries:
    """The shared store: one key per hash with a TTL renewed on registration. Failures are logged, not raised
    (the process's own store still answers)."""

    def __init__(self, url: str) -> None:
        from pejling.core.redis_connection import redis_from_url

        self._redis: Any = redis_from_url(url)

    async def get(self, digest: str) -> str | None:
        try:
            value = await self._redis.get(REDIS_PREFIX + digest)
        except Exception:  # noqa: BLE001 - Redis away: the client sends the document again
            log.warning("persisted queries: Redis unavailable for a read", exc_info=True)
            return None
        return value.decode() if isinstance(value, bytes) else value

    async def put(self, digest: str, query: str) -> None:
        try:
            await self._redis.set(REDIS_PREFIX + digest, query, ex=REDIS_TTL_SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("persisted queries: Redis unavailable for a write", exc_info=True)


@dataclass(frozen=True)
class Lookup:
    """What to run: ``query`` (None: the request as it came), whether to store it after a clean run, or an error."""

    query: str | None = None
    digest: str | None = None
    register: bool = False
    error: ApiError | None = None

    @property
    def persisted(self) -> bool:
        return self.digest is not None


def persisted_hash(extensions: Mapping[str, Any] | None) -> str | ApiError | None:
    """The requested hash (lower case), None for an ordinary request, or the error for a malformed one."""
    if not extensions or "persistedQuery" not in extensions:
        return None
    persisted = extensions["persistedQuery"]
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(persisted, dict) or persisted.get("version") != 1 or not isinstance(digest, str) \
            or len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        return ApiError("persistedQuery needs version 1 and a sha256Hash of 64 hex digits.", INVALID)
    return digest.lower()


class PersistedQueries:
    """The persisted-query policy of one schema's endpoint, configured from the settings."""

    def __init__(self, settings: Settings, store: QueryStore | None = None) -> None:
        self.allow_list = settings.graphql_persisted_queries == "allow-list"
        path = settings.graphql_persisted_queries_manifest
        if self.allow_list and not path:
            check_settings(settings)
        self.manifest: dict[str, str] = load_manifest(path) if path else {}
        self._allowed_texts = frozenset(self.manifest.values())
        self.store = store or QueryStore()
        self.redis = RedisQueries(settings.redis_url) if settings.redis_url else None

    def restricted(self, actor: Actor) -> bool:
        """Allow-list mode binds everyone but API tokens."""
        return self.allow_list and actor.token_id is None

    async def lookup(self, query: str | None, extensions: Mapping[str, Any] | None, actor: Actor) -> Lookup:
        """Resolve a request's document (see the module docstring for every case)."""
        digest = persisted_hash(extensions)
        if isinstance(digest, ApiError):
            return Lookup(error=digest)
        restricted = self.restricted(actor)
        if digest is None:
            if restricted and query is not None and query not in self._allowed_texts:
                return Lookup(error=_not_allowed())
            return Lookup()
        if query is not None:
            if sha256_hex(query) != digest:
                return Lookup(error=ApiError("provided sha does not match query", HASH_MISMATCH))
            if restricted and digest not in self.manifest:
                return Lookup(error=_not_allowed())
            return Lookup(query=query, digest=digest, register=digest not in self.manifest)
        known = self.manifest.get(digest)
        if known is None and restricted:
            return Lookup(error=_not_allowed())
        if known is None:
            known = self.store.get(digest)
        if known is None and self.redis is not None:
            known = await self.redis.get(digest)
            if known is not None and sha256_hex(known) == digest:
                self.store.put(digest, known)
            else:
                known = None
        if known is None:
            return Lookup(error=ApiError("PersistedQueryNotFound", NOT_FOUND), digest=digest)
        return Lookup(query=known, digest=digest)

    async def register(self, lookup: Lookup) -> None:
        """Store a document sent with its hash, after it parsed and validated."""
        if not lookup.register or lookup.query is None or lookup.digest is None:
            return
        if self.store.put(lookup.digest, lookup.query) and self.redis is not None:
            await self.redis.put(lookup.digest, lookup.query)


def _not_allowed() -> ApiError:
    return ApiError("Only the registered documents of this server's persisted-query manifest may run.", NOT_ALLOWED)
