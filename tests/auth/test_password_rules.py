"""The password rules of ASVS V6.2: no rules about kinds of characters (V6.2.5), checked exactly as typed (V6.2.8),
64 characters and more allowed (V6.2.9), and too long refused, never cut."""

from __future__ import annotations

import pytest
from auth_helpers import fresh_address, make_owner

from pejling.core.auth.accounts import LoginRefused, PasswordChangeRefused, authenticate, set_password
from pejling.core.auth.passwords import MAX_LENGTH, check_strength
from pejling.core.settings import Settings

LOWERCASE_ONLY = "quietharbourlanternmoss"
LONG = "The lantern by the harbour kept burning, all night, while the fog rolled in from the sea 7"


@pytest.mark.parametrize("password", [LOWERCASE_ONLY, "7391 2840 5562 1093", "ÆØÅ æøå løvetann søndag",
                                      "granite willow paddle sixteen"])
def test_a_long_enough_password_needs_no_particular_kinds_of_characters(password: str) -> None:
    check_strength(password)  # no upper case, digit or symbol demanded


async def test_passwords_of_64_characters_and_more_work(database: Settings) -> None:
    assert len(LONG) > 64
    longest = ("fog and lantern " * 20)[:MAX_LENGTH]
    assert MAX_LENGTH >= 128
    for password in (LONG, longest, LOWERCASE_ONLY):
        _, owner = await make_owner(password)
        assert (await authenticate(database, owner.email, password, fresh_address())).id == owner.id


async def test_the_password_is_checked_exactly_as_typed(database: Settings) -> None:
    typed = "  Harbour Lantern  moss 42 "
    _, owner = await make_owner(typed)
    patient = database.model_copy(update={"login_max_failures": 100})  # each near miss is a failed login
    for near_miss in (typed.strip(), typed.lower(), typed.upper(), " ".join(typed.split()), typed + " ", typed[:-1]):
        with pytest.raises(LoginRefused) as refused:
            await authenticate(patient, owner.email, near_miss, fresh_address())
        assert refused.value.code == "invalid_credentials"
    assert (await authenticate(patient, owner.email, typed, fresh_address())).id == owner.id


async def test_a_password_that_is_too_long_is_refused_not_cut(database: Settings) -> None:
    _, owner = await make_owner(LONG)
    too_long = ("harbour lantern " * 20)[: MAX_LENGTH + 1]
    with pytest.raises(PasswordChangeRefused, match=f"at most {MAX_LENGTH}"):
        await set_password(owner, too_long)
    # nothing was stored: neither the long password nor its first MAX_LENGTH characters log in, the old one does
    for attempt in (too_long, too_long[:MAX_LENGTH]):
        with pytest.raises(LoginRefused) as refused:
            await authenticate(database, owner.email, attempt, fresh_address())
        assert refused.value.code == "invalid_credentials"
    assert (await authenticate(database, owner.email, LONG, fresh_address())).id == owner.id
