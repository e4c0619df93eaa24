"""Production refuses to start with plain connections to other machines, default passwords or an example secret key
(ASVS V12.3.1, V13.2.3): on real settings objects, and through the real ``pejling`` command in a subprocess."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from pejling.core.settings import Settings, settings_problem
from pejling.core.start_checks import EXAMPLE_SECRET_KEYS, StartRefused, check_start, production_problems
from tests.support.cli import PRODUCTION_KEY, pejling_with, production_environment

KEY = PRODUCTION_KEY
PASSWORD = "Xq7-long-random-database-password"


def production(**changes: object) -> Settings:
    """Production settings that pass every check, with ``changes``."""
    values: dict[str, object] = {"environment": "production", "secret_key": KEY, "mail_to_files": True,
                                 "database_url": "", "database_owner_url": "", "redis_url": "", "smtp_url": "",
                                 "allow_plain_backends": False, **changes}
    return Settings(**values)


REMOTE_PLAIN = [
    ("database_url", f"postgres://pejling:{PASSWORD}@db.internal:5432/pejling", "PEJLING_DATABASE_URL",
     "the connection to db.internal is not encrypted"),
    ("database_url", f"postgres://pejling:{PASSWORD}@10.0.0.5/pejling?sslmode=prefer", "PEJLING_DATABASE_URL",
     "the connection to 10.0.0.5 is not encrypted"),
    ("database_url", f"asyncpg://pejling:{PASSWORD}@[2001:db8::5]:5432/pejling?ssl=disable", "PEJLING_DATABASE_URL",
     "the connection to 2001:db8::5 is not encrypted"),
    ("database_owner_url", f"postgres://owner:{PASSWORD}@db.internal/pejling", "PEJLING_DATABASE_OWNER_URL",
     "the connection to db.internal is not encrypted"),
    ("redis_url", f"redis://:{PASSWORD}@cache.internal:6379/0", "PEJLING_REDIS_URL",
     "redis:// to cache.internal is not encrypted"),
    ("redis_url", "rediss://cache.internal:6380/0?ssl_cert_reqs=none", "PEJLING_REDIS_URL",
     "does not check the server's certificate"),
    ("redis_url", "rediss://cache.internal:6380/0?ssl_check_hostname=false", "PEJLING_REDIS_URL",
     "does not check the server's certificate"),
    ("smtp_url", f"smtp://mailer:{PASSWORD}@smtp.example.com:587", "PEJLING_SMTP_URL",
     "smtp:// to smtp.example.com without ?starttls=1 is not encrypted"),
]


@pytest.mark.parametrize(("field", "url", "setting", "words"), REMOTE_PLAIN)
def test_plain_connections_to_another_machine_are_refused_by_name(
    field: str, url: str, setting: str, words: str
) -> None:
    [problem] = production_problems(production(**{field: url}))
    assert problem.startswith(f"{setting}: ") and words in problem, problem
    assert "PEJLING_ALLOW_PLAIN_BACKENDS=true" in problem and PASSWORD not in problem


@pytest.mark.parametrize(("field", "url"), [
    ("database_url", f"postgres://pejling:{PASSWORD}@127.0.0.1:5432/pejling"),
    ("database_url", f"postgres://pejling:{PASSWORD}@127.4.5.6/pejling"),
    ("database_url", f"postgres://pejling:{PASSWORD}@[::1]/pejling"),
    ("database_url", f"postgres://pejling:{PASSWORD}@localhost/pejling"),
    ("database_url", "postgres:///pejling?host=/var/run/postgresql"),
    ("database_url", f"postgres://pejling:{PASSWORD}@db.internal/pejling?sslmode=require"),
    ("database_url", f"postgres://pejling:{PASSWORD}@db.internal/pejling?sslmode=verify-ca&sslrootcert=/ca.pem"),
    ("database_url", f"postgres://pejling:{PASSWORD}@db.internal/pejling?sslmode=verify-full"),
    ("database_url", f"asyncpg://pejling:{PASSWORD}@db.internal/pejling?ssl=true"),
    ("database_url", f"postgres://pejling:{PASSWORD}@db.internal/pejling?ssl=verify-full&sslrootcert=system"),
    ("database_url", "sqlite:///srv/pejling/pejling.sqlite3"),
    ("database_owner_url", f"postgres://owner:{PASSWORD}@db.internal/pejling?sslmode=verify-full"),
    ("redis_url", "redis://127.0.0.1:6379/0"),
    ("redis_url", "redis://localhost:6379/0"),
    ("redis_url", "unix:///run/redis/redis.sock?db=0"),
    ("redis_url", f"rediss://:{PASSWORD}@cache.internal:6380/0"),
    ("redis_url", "rediss://cache.internal:6380/0?ssl_ca_certs=/etc/pejling/ca.pem"),
    ("smtp_url", "smtp://127.0.0.1:25"),
    ("smtp_url", "smtp://localhost:1025"),
    ("smtp_url", f"smtp://mailer:{PASSWORD}@smtp.example.com:587?starttls=1"),
    ("smtp_url", f"smtps://mailer:{PASSWORD}@smtp.example.com"),
])
def test_this_machine_and_tls_are_allowed(field: str, url: str) -> None:
    assert production_problems(production(**{field: url})) == []


def test_the_opt_out_allows_plain_connections_but_never_default_passwords() -> None:
    plain = {field: url for field, url, _, _ in REMOTE_PLAIN if "ssl_" not in url}
    assert production_problems(production(allow_plain_backends=True, **plain)) == []
    [problem] = production_problems(production(allow_plain_backends=True,
                                               database_url="postgres://postgres:postgres@db.internal/pejling"))
    assert problem.startswith("PEJLING_DATABASE_URL: the URL carries a well-known default password")


@pytest.mark.parametrize(("field", "url", "setting"), [
    ("database_url", "postgres://postgres:postgres@db.internal:5432/pejling?sslmode=verify-full",
     "PEJLING_DATABASE_URL"),
    ("database_url", "postgres://pejling:Password@127.0.0.1/pejling", "PEJLING_DATABASE_URL"),
    ("database_url", "postgres://user:pass@127.0.0.1:5432/pejling", "PEJLING_DATABASE_URL"),  # docs/deployment.md
    ("database_owner_url", "postgres://pejling_owner:%E2%80%A6@127.0.0.1/pejling", "PEJLING_DATABASE_OWNER_URL"),
    ("redis_url", "redis://:password@127.0.0.1:6379/0", "PEJLING_REDIS_URL"),
    ("redis_url", "rediss://default:redis@cache.internal:6380/0", "PEJLING_REDIS_URL"),
    ("smtp_url", "smtps://guest:guest@smtp.example.com", "PEJLING_SMTP_URL"),
    ("smtp_url", "smtp://user:password@smtp.example.com:587?starttls=1", "PEJLING_SMTP_URL"),  # core/settings.py
])
def test_default_passwords_are_refused_on_any_host_and_never_shown(field: str, url: str, setting: str) -> None:
    [problem] = production_problems(production(**{field: url}))
    assert problem == (f"{setting}: the URL carries a well-known default password (not shown here): give this "
                       "service a password of its own")


@pytest.mark.parametrize(("key", "words"), [
    ("", "PEJLING_SECRET_KEY is not set"),
    ("change-me", "PEJLING_SECRET_KEY is an example value"),
    ("Your-Secret-Key", "PEJLING_SECRET_KEY is an example value"),
    ("short-but-not-an-example", "PEJLING_SECRET_KEY is shorter than 32 characters"),
])
def test_the_secret_key_must_be_set_long_and_not_an_example(key: str, words: str) -> None:
    [problem] = production_problems(production(secret_key=key))
    assert problem.startswith(words) and "secrets.token_urlsafe(48)" in problem
    assert key == "" or key not in problem


def test_nothing_is_refused_outside_production() -> None:
    bad = {"database_url": "postgres://postgres:postgres@db.internal/pejling", "secret_key": "change-me",
           "redis_url": "redis://cache.internal"}
    for environment in ("dev", "test"):
        assert production_problems(production(**bad, environment=environment)) == []
    assert len(production_problems(production(**bad))) == 4


@pytest.mark.parametrize(("url", "words"), [
    ("postgres://app:secret-pw@db.internal/pejling?sslmode=sometimes", "sslmode must be one of disable, allow"),
    ("postgres://app:secret-pw@db.internal/pejling?ssl=maybe", "ssl must be true, false or one of"),
    ("postgres://app:secret-pw@db.internal/pejling?ssl=true&sslmode=require", "either sslmode= or ssl="),
])
def test_a_tls_parameter_that_cannot_be_understood_names_the_setting_not_the_url(url: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(database_url=url)
    problem = settings_problem(refused.value)
    assert problem.startswith("PEJLING_DATABASE_URL: ") and words in problem and "secret-pw" not in problem


def test_the_example_keys_include_what_our_documents_suggest() -> None:
    assert {"change-me", "changeme", "secret", "your-secret-key"} <= EXAMPLE_SECRET_KEYS


@pytest.mark.once
@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"]])
@pytest.mark.parametrize(("settings", "line"), [
    ({"PEJLING_DATABASE_URL": f"postgres://pejling:{PASSWORD}@db.invalid:5432/pejling"},
     "error: PEJLING_DATABASE_URL: the connection to db.invalid is not encrypted"),
    ({"PEJLING_REDIS_URL": f"redis://:{PASSWORD}@cache.invalid:6379/0"},
     "error: PEJLING_REDIS_URL: redis:// to cache.invalid is not encrypted"),
    ({"PEJLING_SMTP_URL": f"smtp://mailer:{PASSWORD}@smtp.invalid:25"},
     "error: PEJLING_SMTP_URL: smtp:// to smtp.invalid without ?starttls=1 is not encrypted"),
    ({"PEJLING_DATABASE_URL": "postgres://postgres:postgres@127.0.0.1:9/pejling"},
     "error: PEJLING_DATABASE_URL: the URL carries a well-known default password"),
    ({"PEJLING_SECRET_KEY": "changeme"}, "error: PEJLING_SECRET_KEY is an example value"),
])
async def test_serve_and_worker_refuse_to_start_with_one_line_and_no_traceback(
    tmp_path: Path, command: list[str], settings: dict[str, str], line: str
) -> None:
    status, err = await pejling_with(production_environment(tmp_path, **settings), tmp_path, *command)
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith(line), err
    assert "Traceback" not in err and PASSWORD not in err
    assert not (tmp_path / "pejling.sqlite3").exists()  # refused before anything was opened


@pytest.mark.once
async def test_a_production_configuration_without_problems_starts(tmp_path: Path) -> None:
    """The same path passes with settings of our own (loopback plain is fine): ``pejling migrate`` does its work."""
    env = production_environment(tmp_path, PEJLING_REDIS_URL="redis://127.0.0.1:6379/0",
                                 PEJLING_SMTP_URL="smtp://127.0.0.1:25")
    status, err = await pejling_with(env, tmp_path, "migrate")
    assert status == 0, err
    assert (tmp_path / "pejling.sqlite3").exists()


@pytest.mark.once
async def test_an_asgi_server_calling_the_factory_is_refused_the_same(tmp_path: Path) -> None:
    """uvicorn started by hand on ``create_app`` (not through ``pejling serve``) gets the same refusal from the app."""
    env = production_environment(tmp_path, PEJLING_DATABASE_URL=f"postgres://pejling:{PASSWORD}@db.internal/pejling")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("uvicorn")), "--factory", "pejling.core.app:create_app", "--port", "0",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    text = output.decode()
    assert process.returncode != 0, text
    assert "StartRefused: PEJLING_DATABASE_URL: the connection to db.internal is not encrypted" in text
    assert PASSWORD not in text


def test_the_app_refuses_what_the_commands_refuse() -> None:
    with pytest.raises(StartRefused) as refused:
        check_start(production(redis_url="redis://cache.internal:6379/0", secret_key="changeme"))
    lines = str(refused.value).splitlines()
    assert len(lines) == 2 and lines[0].startswith("PEJLING_REDIS_URL: redis:// to cache.internal is not encrypted")
    assert lines[1].startswith("PEJLING_SECRET_KEY is an example value")
    check_start(production())  # nothing to refuse
