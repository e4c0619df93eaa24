"""Secrets from a secrets manager's files (``PEJLING_SECRETS_DIR``, ASVS V13.3.1): real files in a folder, read by
every settings class, winning over the environment; the real ``pejling`` command reads them too."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic_settings.exceptions import SettingsError

from pejling.core.settings import Settings, settings_problem
from pejling.plugins.billing.stripe_settings import StripeSettings
from pejling.plugins.shopify.app_settings import ShopifyAppSettings
from tests.support.cli import PRODUCTION_KEY as KEY
from tests.support.cli import pejling_with, production_environment
from tests.support.secret_files import secrets_folder


def _write(folder: Path, name: str, value: str) -> None:
    path = folder / name
    path.write_text(value + "\n")  # as `docker secret create` and most editors leave them: a final line break
    path.chmod(0o400)


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return secrets_folder(tmp_path, monkeypatch, "PEJLING_SECRET_KEY", "PEJLING_ENCRYPTION_KEYS",
                          "PEJLING_DATABASE_URL", "PEJLING_REDIS_URL", "PEJLING_SMTP_URL",
                          "PEJLING_STRIPE_SECRET_KEY", "PEJLING_SHOPIFY_CLIENT_SECRET")


def test_the_secrets_and_backend_urls_come_from_files(secrets_dir: Path) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _write(secrets_dir, "PEJLING_SECRET_KEY", KEY)
    _write(secrets_dir, "pejling_encryption_keys", f"{new},{old}")  # Docker's lower-case names work too
    _write(secrets_dir, "PEJLING_DATABASE_URL", "postgres://app:pw-from-file@db.internal/pejling?sslmode=verify-full")
    _write(secrets_dir, "PEJLING_REDIS_URL", "rediss://:redis-pw-from-file@cache.internal:6380/0")
    _write(secrets_dir, "PEJLING_SMTP_URL", "smtps://mailer:smtp-pw-from-file@smtp.example.com")
    _write(secrets_dir, "PEJLING_STRIPE_SECRET_KEY", "sk_live_from_file")
    _write(secrets_dir, "PEJLING_SHOPIFY_CLIENT_SECRET", "shpss_from_file")

    settings = Settings()
    assert settings.secret_key.get_secret_value() == KEY
    assert [key.get_secret_value() for key in settings.encryption_keys] == [new, old]
    assert settings.database_url == "postgres://app:pw-from-file@db.internal/pejling?sslmode=verify-full"
    assert settings.redis_url == "rediss://:redis-pw-from-file@cache.internal:6380/0"
    assert settings.smtp_url == "smtps://mailer:smtp-pw-from-file@smtp.example.com"
    assert StripeSettings().secret_key.get_secret_value() == "sk_live_from_file"
    assert ShopifyAppSettings().client_secret.get_secret_value() == "shpss_from_file"


def test_a_file_wins_over_the_environment_and_the_rest_still_comes_from_it(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(secrets_dir, "PEJLING_SECRET_KEY", KEY)
    monkeypatch.setenv("PEJLING_SECRET_KEY", "an-old-key-left-behind-in-a-unit-file")
    monkeypatch.setenv("PEJLING_BASE_URL", "https://feedback.example.com")
    settings = Settings()
    assert settings.secret_key.get_secret_value() == KEY
    assert settings.base_url == "https://feedback.example.com"
    assert Settings(secret_key="given-by-the-caller").secret_key.get_secret_value() == "given-by-the-caller"


def test_the_layout_kubernetes_and_vault_agent_write_is_read(secrets_dir: Path) -> None:
    """Kubernetes mounts each key as a link into a timestamped folder behind ``..data``, swapped on update."""
    version = secrets_dir / "..2026_12_03_15_00_00.000000001"
    version.mkdir()
    _write(version, "PEJLING_SECRET_KEY", KEY)
    (secrets_dir / "..data").symlink_to(version.name)
    (secrets_dir / "PEJLING_SECRET_KEY").symlink_to("..data/PEJLING_SECRET_KEY")
    assert Settings().secret_key.get_secret_value() == KEY


def test_without_the_folder_setting_no_file_is_read(secrets_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(secrets_dir, "PEJLING_SECRET_KEY", KEY)
    monkeypatch.delenv("PEJLING_SECRETS_DIR")
    monkeypatch.setenv("PEJLING_SECRET_KEY", "from-the-environment-" + "e" * 20)
    assert Settings().secret_key.get_secret_value() == "from-the-environment-" + "e" * 20


def test_a_folder_that_is_not_there_stops_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEJLING_SECRETS_DIR", str(tmp_path / "not-mounted"))
    with pytest.raises(SettingsError) as refused:
        Settings()
    assert settings_problem(refused.value) == (f"PEJLING_SECRETS_DIR: {tmp_path / 'not-mounted'} is not a folder "
                                               "(it names where the secret files are)")


@pytest.mark.once
async def test_the_command_reads_its_secrets_from_the_files(tmp_path: Path) -> None:
    """The real start path: the files reach ``pejling serve`` and its checks (an example key in the file wins over
    the good one in the environment and is refused); a folder that is missing is one clear line, no traceback."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    _write(folder, "PEJLING_SECRET_KEY", "change-me")
    status, err = await pejling_with(production_environment(tmp_path, PEJLING_SECRETS_DIR=str(folder)), tmp_path,
                                    "serve", "--port", "1")
    assert status == 2 and err.startswith("error: PEJLING_SECRET_KEY is an example value"), err

    _write(folder, "PEJLING_DATABASE_URL", "postgres://app:pw-from-file@db.invalid/pejling")
    (folder / "PEJLING_SECRET_KEY").unlink()
    status, err = await pejling_with(production_environment(tmp_path, PEJLING_SECRETS_DIR=str(folder)), tmp_path,
                                    "worker")
    assert status == 2 and err.startswith("error: PEJLING_DATABASE_URL: the connection to db.invalid"), err
    assert "pw-from-file" not in err and "Traceback" not in err

    missing = production_environment(tmp_path, PEJLING_SECRETS_DIR=str(tmp_path / "not-mounted"))
    status, err = await pejling_with(missing, tmp_path, "serve")
    assert status == 2 and "Traceback" not in err
    assert err.splitlines()[1] == f"PEJLING_SECRETS_DIR: {tmp_path / 'not-mounted'} is not a folder (it names where " \
                                  "the secret files are)"
