"""Settings from the environment: lists written the way people write them, and a wrong value a clear message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pejling.core.cli import main
from pejling.core.settings import Settings, get_settings, settings_problem


@pytest.mark.parametrize(("written", "read"), [
    ("10.0.0.1, 10.0.0.0/8", ["10.0.0.1", "10.0.0.0/8"]),
    ('["192.0.2.7", "2001:db8::/32"]', ["192.0.2.7", "2001:db8::/32"]),
    ("", []),
    (" , ", []),
])
def test_trusted_proxies_are_comma_separated_or_a_json_list(
    monkeypatch: pytest.MonkeyPatch, written: str, read: list[str]
) -> None:
    monkeypatch.setenv("PEJLING_TRUSTED_PROXIES", written)
    assert Settings().trusted_proxies == read


@pytest.mark.parametrize(("written", "words"), [
    ("10.0.0.1,proxy.internal", "'proxy.internal' is not an IP address or network"),
    ("10.0.0.300", "'10.0.0.300' is not an IP address"),
    ('["10.0.0.1"', "comma-separated values or a JSON list"),
])
def test_a_wrong_trusted_proxy_names_the_setting_and_the_value(
    monkeypatch: pytest.MonkeyPatch, written: str, words: str
) -> None:
    monkeypatch.setenv("PEJLING_TRUSTED_PROXIES", written)
    with pytest.raises(ValidationError) as refused:
        Settings()
    problem = settings_problem(refused.value)
    assert problem.startswith("PEJLING_TRUSTED_PROXIES: ") and words in problem, problem


def test_disabled_plugins_may_be_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEJLING_PLUGINS_DISABLED", "shopify, vipps")
    assert Settings().plugins_disabled == ["shopify", "vipps"]


def test_encryption_keys_may_be_comma_separated_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("PEJLING_ENCRYPTION_KEYS", f"{new}, {old}")
    assert [k.get_secret_value() for k in Settings().encryption_keys] == [new, old]
    monkeypatch.setenv("PEJLING_ENCRYPTION_KEYS", f"{new},wrong-key-value")
    with pytest.raises(ValidationError) as refused:
        Settings()
    problem = settings_problem(refused.value)
    assert problem.startswith("PEJLING_ENCRYPTION_KEYS: key 2 is not a Fernet key") and "wrong-key-value" not in problem


def test_the_cli_says_what_is_wrong_instead_of_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PEJLING_TRUSTED_PROXIES", "not-an-address")
    monkeypatch.setenv("PEJLING_DATABASE_URL", "mysql://db/pejling")
    get_settings.cache_clear()  # the process reads its settings once
    try:
        assert main(["migrate"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "The configuration is not valid" in err and "Traceback" not in err
    assert "PEJLING_TRUSTED_PROXIES: 'not-an-address'" in err and "PEJLING_DATABASE_URL: " in err
