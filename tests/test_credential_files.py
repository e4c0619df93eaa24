"""Reading a backend's credentials from its secret file at each connection (:mod:`pejling.core.credential_files`):
how a URL is split, when a file is followed and what happens when it cannot be (real files in a real folder; the
backends themselves are in test_database_credential_rotation.py, test_redis_credential_rotation.py and
test_smtp_credential_rotation.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pejling.core.credential_files import credential_file, split_credentials
from tests.support.secret_files import secrets_folder

pytestmark = pytest.mark.once

URL = "rediss://pejling:first-p%40ss@cache.internal:6380/0?ssl_ca_certs=/etc/ca.pem"


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return secrets_folder(tmp_path, monkeypatch)


def test_a_url_is_split_into_its_user_its_password_and_the_rest() -> None:
    found = split_credentials(URL)
    assert (found.user, found.password) == ("pejling", "first-p@ss")
    assert found.rest == "rediss://cache.internal:6380/0?ssl_ca_certs=/etc/ca.pem"
    assert split_credentials("redis://:a[b@cache:6379/0").password == "a[b"  # urlsplit would refuse it
    assert split_credentials("postgres://app@db/pejling").password is None
    assert split_credentials("smtp://relay:25").user is None


def test_only_a_url_read_from_its_file_and_holding_a_password_is_followed(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (secrets_dir / "pejling_redis_url").write_text(URL + "\n")  # any case, as the settings find it
    assert credential_file("PEJLING_REDIS_URL", URL) is not None
    assert credential_file("PEJLING_REDIS_URL", URL.replace("cache.internal", "other.internal")) is None
    assert credential_file("PEJLING_SMTP_URL", "smtp://mailer:pw@relay:587") is None  # no file of its own
    (secrets_dir / "pejling_redis_url").write_text("redis://cache.internal:6379/0\n")
    assert credential_file("PEJLING_REDIS_URL", "redis://cache.internal:6379/0") is None  # nothing to rotate
    monkeypatch.delenv("PEJLING_SECRETS_DIR")
    assert credential_file("PEJLING_REDIS_URL", URL) is None


def test_a_file_that_moved_elsewhere_or_went_away_keeps_the_last_password(
    secrets_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = secrets_dir / "PEJLING_REDIS_URL"
    path.write_text(URL)
    source = credential_file("PEJLING_REDIS_URL", URL)
    assert source is not None
    path.write_text(URL.replace("first-p%40ss", "second"))
    assert source.current().password == "second"

    path.write_text(URL.replace("first-p%40ss", "third").replace("6380", "6390"))
    assert source.current().password == "second"
    assert "restart to use it" in caplog.text
    path.unlink()
    assert source.current().password == "second"
    assert "cannot be read (FileNotFoundError)" in caplog.text
    path.write_text("")
    assert source.current().password == "second"
    assert "holds no password" in caplog.text
    assert "third" not in caplog.text and "second" not in caplog.text and "cache.internal" not in caplog.text

    path.write_text(URL.replace("first-p%40ss", "fourth").replace("pejling:", "someone-else:"))
    assert source.current() == split_credentials(URL.replace("first-p%40ss", "fourth").replace("pejling:",
                                                                                                  "someone-else:"))


def test_the_database_user_must_stay_the_application_role(secrets_dir: Path) -> None:
    url = "postgres://pejling_app:first@db.internal:5432/pejling"
    path = secrets_dir / "PEJLING_DATABASE_URL"
    path.write_text(url)
    source = credential_file("PEJLING_DATABASE_URL", url, same_user=True)
    assert source is not None
    path.write_text(url.replace("pejling_app:first", "v-token-pejling-x1:second"))  # a dynamic role's new user
    assert source.password() == "first"
    path.write_text(url.replace("first", "second"))
    assert source.password() == "second"
