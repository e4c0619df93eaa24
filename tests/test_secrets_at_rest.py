"""Secrets sealed at rest: round trip, purpose binding, key rotation, and clear errors."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError

from pejling.core.secrets_at_rest import SealedSecretError, fingerprint, reseal, seal, unseal
from pejling.core.settings import Settings


def settings_with(*keys: str) -> Settings:
    return Settings(environment="test", secret_key=SecretStr("k" * 48), encryption_keys=[SecretStr(k) for k in keys])


def test_round_trip_with_the_derived_key_and_the_secret_is_not_in_the_sealed_text():
    settings = settings_with()
    sealed = seal("shpat_0123456789", purpose="shopify:t1", settings=settings)
    assert "shpat" not in sealed
    assert unseal(sealed, purpose="shopify:t1", settings=settings) == "shpat_0123456789"


def test_a_value_sealed_for_one_purpose_does_not_open_for_another():
    settings = settings_with()
    sealed = seal("secret", purpose="shopify:t1", settings=settings)
    with pytest.raises(SealedSecretError):
        unseal(sealed, purpose="shopify:t2", settings=settings)


def test_rotation_old_values_open_under_new_keys_and_reseal_moves_them_to_the_newest():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = seal("s3cret", purpose="p", settings=settings_with(old))
    rotated_settings = settings_with(new, old)
    assert unseal(sealed, purpose="p", settings=rotated_settings) == "s3cret"
    resealed = reseal(sealed, settings=rotated_settings)
    assert unseal(resealed, purpose="p", settings=settings_with(new)) == "s3cret"
    with pytest.raises(SealedSecretError):
        unseal(sealed, purpose="p", settings=settings_with(new))


def test_a_malformed_key_is_a_clear_error_and_garbage_does_not_open():
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key") as refused:
        settings_with(Fernet.generate_key().decode(), "not-a-key")
    assert "not-a-key" not in str(refused.value), "a key, even a wrong one, is never shown"
    with pytest.raises(SealedSecretError):
        unseal("gAAAAgarbage", purpose="p", settings=settings_with())


def test_fingerprint_names_a_secret_without_revealing_it():
    assert fingerprint("abc") == fingerprint("abc") != fingerprint("abd")
    assert "abc" not in fingerprint("abc")
