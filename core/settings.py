"""Pejling's one settings object.

Every setting can come from the environment with the prefix ``PEJLING_`` (``PEJLING_DATABASE_URL``,
``PEJLING_SMTP_URL`` …), from a ``.env`` file in the working directory, or from a file of its own name in the folder
``PEJLING_SECRETS_DIR`` names (``/run/secrets``: where Docker and Kubernetes secrets and Vault Agent put them), for
this class and every other settings class (:class:`SettingsWithSecretFiles`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.exceptions import SettingsError

#: The environment variable naming the folder of secret files (read by every settings class).
SECRETS_DIR = "PEJLING_SECRETS_DIR"

#: One label of a host name (letters, digits and inner hyphens; IDNA names in their ``xn--`` form).
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class SettingsWithSecretFiles(BaseSettings):
    """Settings read, besides the environment (and ``.env``), from files in ``PEJLING_SECRETS_DIR``.

    A file there named like the environment variable (``PEJLING_SECRET_KEY``, case ignored, so Docker's
    ``pejling_secret_key`` too) holds that setting's value; surrounding white space and the final line break are
    dropped. **A file wins over the environment**: an operator who mounts secrets from a secrets manager makes it the
    one source, so a rotated secret takes effect at the next start even when an old value lingers in a unit file, a
    compose file or ``.env``, and a value that was moved out of the environment (``/proc/<pid>/environ``, ``docker
    inspect``, child processes) cannot come back through it unnoticed. Values passed to the constructor still win
    over both (tests, embedding). A ``PEJLING_SECRETS_DIR`` that is not a folder stops the start. The passwords in
    the database, Redis and SMTP URLs are read from their file again at each new connection, so their rotation needs
    no restart (:mod:`pejling.core.credential_files`).
    """

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        folder = os.environ.get(SECRETS_DIR, "").strip()
        if not folder:
            return init_settings, env_settings, dotenv_settings
        path = Path(folder)
        if not path.is_dir():
            raise SettingsError(f"{SECRETS_DIR}: {folder} is not a folder (it names where the secret files are)")
        return init_settings, SecretsSettingsSource(settings_cls, secrets_dir=path), env_settings, dotenv_settings


class Settings(SettingsWithSecretFiles):
    """Configuration of one Pejling process (web app, worker or CLI)."""

    model_config = SettingsConfigDict(env_prefix="PEJLING_", env_file=".env", extra="ignore")

    environment: Literal["dev", "test", "production"] = "dev"
    demo_instance: bool = False
    """A production instance that is a demo (or a benchmark) on purpose: ``pejling demo`` may seed it, and it may
    start with switches meant for development and tests on. Off: production refuses both (:mod:`pejling.core.dev_only`,
    docs/security.md "Dev-only features")."""
    var_dir: Path = Path("var")
    database_url: str = ""
    """Tortoise URL, e.g. ``sqlite:///path/db.sqlite3`` or ``postgres://user@host:5432/db?sslmode=verify-full``
    (TLS: :mod:`pejling.core.database_tls`). Empty means the embedded SQLite database ``<var_dir>/pejling.sqlite3``."""

    database_owner_url: str = ""
    """PostgreSQL only: the URL migrations connect with, as the role that owns the tables. Set it when
    ``database_url`` names the restricted application role (no table of its own, no ``BYPASSRLS``): each migration
    run then grants that role what the application needs (docs/security.md, row-level security). Empty: migrations
    use ``database_url``."""

    secret_key: SecretStr = SecretStr("")
    """Key for signing and keyed hashes. Empty in dev: a random key is kept in ``<var_dir>/secret.key``."""

    encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Fernet keys (urlsafe base64 of 32 bytes) for secrets kept in the database (integration tokens, client
    secrets, webhook secrets), newest first: the first seals, every one still opens (``cryptography``'s
    MultiFernet), so a key is rotated by putting a new one in front and re-sealing (``pejling rotate-keys``).
    Empty: one key derived from ``secret_key`` (see :mod:`pejling.core.secrets_at_rest`)."""

    base_url: str = "http://127.0.0.1:8000"
    shopper_base_url: str = ""
    """The origin of the shoppers' pages (``https://svar.example.com``): survey, invitation, receipt, kiosk and
    unsubscribe pages and the QR, NFC, mail and Vipps links to them, on a host name of their own (OWASP ASVS 3.5.4;
    :mod:`pejling.core.shopper_host`). Empty: they share ``base_url``'s origin with the portal and the API. In
    production it must name another host than ``base_url``."""
    host: str = "127.0.0.1"
    port: int = 8000

    smtp_url: str = ""
    """``smtp://user:password@host:port`` (``smtps://`` for implicit TLS, ``?starttls=1`` for STARTTLS, ``?cafile=``
    for a private certificate authority).
    Empty: mails are written as ``.eml`` files under ``<var_dir>/mail/`` (in production only with
    ``mail_to_files``)."""
    mail_from: str = "Pejling <no-reply@pejling.localhost>"
    mail_to_files: bool = False
    """Without ``smtp_url`` in production, keep mails as ``.eml`` files under ``<var_dir>/mail/`` on purpose.
    Off by default: in production, ``pejling serve`` and ``pejling worker`` refuse to start without SMTP, so a
    password link is never silently left in a folder nobody reads (dev and test always write files)."""

    redis_url: str = ""
    """Optional Redis for shared rate limits and pub/sub (the live feed) across processes; empty keeps both in
    process memory. ``rediss://`` for TLS (certificate and host name checked), ``unix:///path`` for a socket."""

    allow_plain_backends: bool = False
    """In production, PostgreSQL, Redis and SMTP on another machine must be asked for TLS, or no process starts
    (:mod:`pejling.core.start_checks`). Set true only on a private network that encrypts by itself (WireGuard, IPsec,
    a service mesh's mTLS): the processes then start with plain connections. It never lifts the refusal of default
    credentials."""

    api_rate_limits: bool = True
    """The GraphQL budgets per operation and per cost (:mod:`pejling.graphql.operation_limits`). Off only where one
    caller must go faster than any real one: the test suite (every test calls from one address) and the benchmarks."""

    database_pooler: Literal["", "pgbouncer"] = ""
    """``pgbouncer`` when ``database_url`` points at PgBouncer in transaction pooling: asyncpg then keeps no
    prepared statements across transactions (``statement_cache_size=0``; docs/deployment.md)."""

    database_notice_url: str = ""
    """PostgreSQL only: where each process's one ``LISTEN`` connection goes (core/change_notices.py), when not
    ``database_url``. Empty: ``database_url``, except behind PgBouncer (``database_pooler``), which cannot keep a
    ``LISTEN``: then nothing listens, and the survey page reads its tenant's stamp per request. Behind PgBouncer
    point it at PostgreSQL directly (any role may listen; it costs one connection per process)."""

    live_heartbeat_seconds: float = Field(default=15.0, gt=0)
    """The live feed (``/api/live/responses``) sends a heartbeat after this long without an event."""
    live_stream_seconds: float = Field(default=300.0, gt=0)
    """The live feed ends a stream after this long and the browser reconnects (so restarts never wait on it)."""

    run_worker_in_app: bool = True
    """Run a job worker inside the web process (the default); set false when running ``pejling worker``."""

    log_json: bool | None = None
    """JSON logs; default: on unless ``environment`` is dev."""
    log_level: str = "INFO"
    log_syslog: str = ""
    """Ship every log line to a log collector as well as to stderr: ``udp://host:514`` or ``tcp://host:514``
    (syslog, RFC 5424 with the JSON line as its message; :mod:`pejling.core.log_shipping`). Empty: stderr only."""
    security_event_seconds: float = Field(default=60.0, gt=0)
    """How often the counted refusals of the security controls are written as ``security_event`` lines
    (:mod:`pejling.core.security_events`)."""

    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    session_max_age_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    session_idle_seconds: int = Field(default=12 * 3600, ge=300)
    """A session not used for this long ends (ASVS V7.3.1): a dashboard left overnight asks to log in again in the
    morning; ``session_max_age_seconds`` ends it after 14 days whatever happens (docs/security.md, Sessions)."""
    password_reset_max_age_seconds: int = Field(default=3600, ge=60)

    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Addresses or CIDR networks whose ``X-Forwarded-*`` headers are believed: comma-separated in the environment
    (``PEJLING_TRUSTED_PROXIES=10.0.0.0/8,192.0.2.7``) or a JSON list; anything else is refused at start."""

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Web origins (``https://app.example.com``) whose pages may call ``/graphql`` with an API token
    (comma-separated or a JSON list); none by default. See :mod:`pejling.core.cors`."""

    metrics_token: SecretStr = SecretStr("")
    """Bearer secret Prometheus sends to ``/metrics``. Empty: ``/metrics`` answers only requests made directly
    from this machine (a loopback peer, no proxy in between); everyone else gets 404."""

    outbound_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """The only hosts the server sends requests to (ASVS V13.2.4): comma-separated host names or IP addresses, a
    leading ``*.`` for every subdomain (``api.stripe.com,*.myshopify.com,api.vipps.no,hooks.example.com``). It
    binds every outbound call: tenants' webhook URLs and identity providers (refused when saved and when called)
    and Stripe, Shopify and Vipps. Empty (the default): any host, still only public addresses for the URLs tenants
    choose (:mod:`pejling.core.outbound_addresses`; docs/deployment.md, Outbound calls)."""

    hsts_max_age_seconds: int = Field(default=365 * 24 * 3600, ge=0)
    """``Strict-Transport-Security: max-age`` sent on every HTTPS response; 0 sends no HSTS header."""
    hsts_include_subdomains: bool = True
    """Add ``includeSubDomains`` to HSTS (ASVS V3.4.1, level 2). Set false only when a subdomain of the host must
    stay reachable over plain http."""

    graphiql_dir: Path | None = None
    """The GraphiQL bundle (``manifest.json`` and hashed files); default ``frontend/build/graphiql`` of the
    source tree, built by ``make run`` / ``make test``."""

    plugins_disabled: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Plugin names never loaded, built-in or third-party."""

    graphql_persisted_queries: Literal["auto", "allow-list"] = "auto"
    """``auto``: automatic persisted queries (a client registers a document by sending it with its sha256).
    ``allow-list``: only the documents of ``graphql_persisted_queries_manifest`` run for browser sessions and
    anonymous callers (API tokens may still send any document); see ``docs/graphql.md``."""
    graphql_persisted_queries_manifest: Path | None = None
    """The portal build's persisted-query manifest (Apollo's ``apollo-persisted-query-manifest`` JSON)."""

    @field_validator("trusted_proxies", "plugins_disabled", "cors_origins", "encryption_keys", "outbound_allowed_hosts",
                     mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        """A comma-separated string (or a JSON list) from the environment, as a list of its non-empty items."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    raise ValueError("must be comma-separated values or a JSON list of strings") from None
            else:
                value = text.split(",")
        if isinstance(value, list | tuple):
            items = [item.strip() if isinstance(item, str) else item for item in value]
            return [item for item in items if item != ""]
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        from cryptography.fernet import Fernet

        for position, key in enumerate(value, start=1):
            try:
                Fernet(key.get_secret_value())
            except ValueError:
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes; make one with: python -c "
                    "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (such as 10.0.0.0/8)") from None
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        from urllib.parse import urlsplit

        from pejling.core.auth.forwarded import normalise_origin

        origins = []
        for item in value:
            parts = urlsplit(item)
            origin = normalise_origin(item)
            if origin is None or "*" in item or parts.path not in ("", "/") or parts.query or parts.fragment or \
                    parts.username is not None:
                raise ValueError(f"{item!r} is not a web origin such as https://app.example.com (scheme and host, "
                                 "no path, no wildcard)")
            origins.append(origin)
        return origins

    @field_validator("shopper_base_url")
    @classmethod
    def _shopper_origin(cls, value: str) -> str:
        from urllib.parse import urlsplit

        from pejling.core.auth.forwarded import normalise_origin

        text = value.strip()
        if not text:
            return ""
        parts = urlsplit(text)
        origin = normalise_origin(text)
        if origin is None or "*" in text or parts.path not in ("", "/") or parts.query or parts.fragment or \
                parts.username is not None or parts.password is not None:
            raise ValueError(f"{value!r} is not an origin such as https://svar.example.com (http or https, a host "
                             "and an optional port; no path, query, user or wildcard)")
        return origin

    @model_validator(mode="after")
    def _shopper_host_apart(self) -> Settings:
        from urllib.parse import urlsplit

        if self.environment == "production" and self.shopper_base_url:
            if urlsplit(self.shopper_base_url).hostname == urlsplit(self.base_url.strip()).hostname:
                raise ValueError("shopper_base_url must name another host than base_url in production (the shoppers' "
                                 "pages get an origin of their own, docs/deployment.md)")
        return self

    @field_validator("log_syslog")
    @classmethod
    def _syslog_target(cls, value: str) -> str:
        from pejling.core.log_shipping import syslog_target

        if value.strip():
            syslog_target(value)  # raises ValueError naming what is wrong
        return value.strip()

    @field_validator("outbound_allowed_hosts")
    @classmethod
    def _host_patterns(cls, value: list[str]) -> list[str]:
        patterns = []
        for item in value:
            name = item.lower().rstrip(".")
            try:
                ipaddress.ip_address(name.strip("[]"))
                patterns.append(name.strip("[]"))
                continue
            except ValueError:
                pass
            labels = name.removeprefix("*.").split(".")
            if not all(_HOST_LABEL.fullmatch(label) for label in labels) or (name.startswith("*.") and len(labels) < 2):
                raise ValueError(f"{item!r} is not a host name (api.stripe.com), an IP address or *. and a domain "
                                 "(*.myshopify.com): no scheme, port, path or other wildcard")
            patterns.append(name)
        return patterns

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and value.split("://", 1)[0] not in {"sqlite", "postgres", "asyncpg", "psycopg"}:
            raise ValueError("database_url must start with sqlite://, postgres:// or asyncpg://")
        if value and not value.startswith("sqlite://"):
            _readable_tls(value)
        return value

    @field_validator("database_owner_url", "database_notice_url")
    @classmethod
    def _postgres_owner(cls, value: str) -> str:
        if value and value.split("://", 1)[0] not in {"postgres", "postgresql", "asyncpg"}:
            raise ValueError("database_owner_url and database_notice_url must be PostgreSQL URLs (postgres://…)")
        if value:
            _readable_tls(value)
        return value

    @property
    def dev(self) -> bool:
        return self.environment == "dev"

    @property
    def json_logs(self) -> bool:
        return (not self.dev) if self.log_json is None else self.log_json

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.var_dir / 'pejling.sqlite3').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.resolved_database_url.startswith(("postgres", "asyncpg", "psycopg"))

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def secret_bytes(self) -> bytes:
        """The signing key; in dev and test a random one is created once under ``var_dir``."""
        value = self.secret_key.get_secret_value()
        if value:
            return value.encode()
        if self.environment == "production":
            raise RuntimeError("PEJLING_SECRET_KEY must be set in production")
        path = self.var_dir / "secret.key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


def shopper_base_url(settings: Settings) -> str:
    """Where links for shoppers point (survey, invitation, QR, NFC, receipt, kiosk, unsubscribe): the shopper origin
    when ``shopper_base_url`` is set, else ``base_url``; without a trailing slash."""
    return (settings.shopper_base_url or settings.base_url).rstrip("/")


def _readable_tls(url: str) -> None:
    from pejling.core.database_tls import postgres_tls

    postgres_tls(url)  # its ValueError names the parameter, never the URL (it may hold a password)


def settings_problem(error: ValidationError | SettingsError) -> str:
    """What is wrong with the configuration, one line per setting, named as it is set (``PEJLING_…``)."""
    if isinstance(error, SettingsError):  # a value the environment source could not decode at all
        return str(error)
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "settings"
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"PEJLING_{field.upper()}: {message}")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
