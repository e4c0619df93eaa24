"""Common and guessable passwords are refused at sign-up, password change, reset and invitation, in the caller's
language; good passphrases pass."""

from __future__ import annotations

from typing import Any

import pytest
from auth_helpers import PASSWORD, browser, gql, graphql_login, make_owner, token_in

from pejling.core.auth.password_reset import issue_password_reset
from pejling.core.auth.passwords import COMMON_PASSWORD_MESSAGE, WeakPassword, check_strength, verify_password
from pejling.core.settings import Settings
from pejling.graphql.error_languages import catalog
from pejling.tenants.models import User
from pejling.tenants.signup import SignupRefused, create_tenant_with_owner
from tests.conftest import unique

COMMON = ["password123", "qwertyuiop", "1234567890", "iloveyou123", "abcdefghij", "hunter2hunter2",
          "Password1234", "letmein2024"]
STRONG = [PASSWORD, "vinter-kaffe-ski-bror", "blå hylla vid kassan 7", "Kvitto på torsdagar!"]


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_with_their_own_code(password: str) -> None:
    with pytest.raises(WeakPassword) as refused:
        check_strength(password)
    assert refused.value.code == "common_password" and str(refused.value) == COMMON_PASSWORD_MESSAGE


@pytest.mark.parametrize("password", STRONG)
def test_passphrases_pass(password: str) -> None:
    check_strength(password)


def test_the_persons_own_details_and_the_product_name_count_as_known_words() -> None:
    check_strength("Nordlys Interior 1")  # fine for a stranger...
    with pytest.raises(WeakPassword):  # ...not for the business of that name
        check_strength("Nordlys Interior 1", ["kari.nordmann@example.com", "Kari Nordmann", "Nordlys Interior"])
    check_strength("kari.nordmann1")
    with pytest.raises(WeakPassword):
        check_strength("kari.nordmann1", ["kari.nordmann@example.com"])
    with pytest.raises(WeakPassword):
        check_strength("pejling2026!")


def test_long_passwords_are_rated_on_their_start_and_the_old_rules_still_come_first() -> None:
    check_strength("stille morgen ved fjorden " * 9)  # 234 characters: zxcvbn rates the first 72
    with pytest.raises(WeakPassword) as short:
        check_strength("abc123")
    assert short.value.code == "invalid" and "at least 10" in str(short.value)


def worded(language: str) -> str:
    """The refusal as the API words it in ``language`` (English: the message itself)."""
    return catalog(language).get(COMMON_PASSWORD_MESSAGE, COMMON_PASSWORD_MESSAGE)


def test_every_language_has_its_own_wording() -> None:
    assert len({worded(language) for language in ("da", "nb", "sv", "en")}) == 4
    assert worded("da").startswith("Adgangskoden er for almindelig")


async def test_operators_cannot_create_an_owner_with_a_common_password(database: Settings) -> None:
    slug = unique("common")
    with pytest.raises(SignupRefused) as refused:
        await create_tenant_with_owner(tenant_name=f"Shop {slug}", tenant_slug=slug, email=f"{slug}@example.com",
                                       password="password123")
    assert refused.value.code == "common_password" and refused.value.field == "password"


CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  ok errors { code field message } } }"""
RESET = """mutation($t: String!, $n: String!) { resetPassword(token: $t, newPassword: $n) {
  ok errors { code field message } } }"""


async def test_a_password_change_is_refused_in_the_callers_language_and_nothing_changes(app: Any) -> None:
    _, owner = await make_owner()
    async with browser(app) as client:
        csrf = await graphql_login(client, owner.email)
        for language, header in (("sv", "sv-SE,sv;q=0.9"), ("nb", "nb-NO"), ("da", "da"), ("en", "fi")):
            answer = (await gql(client, CHANGE, {"c": PASSWORD, "n": "password123"}, csrf=csrf,
                                headers={"Accept-Language": header})).json()["data"]["changePassword"]
            assert answer == {"ok": False, "errors": [{"code": "common_password", "field": "newPassword",
                                                       "message": worded(language)}]}
        user = await User.get(id=owner.id)
        assert verify_password(user.password_hash, PASSWORD)
        good = (await gql(client, CHANGE, {"c": PASSWORD, "n": "vinter-kaffe-ski-bror"}, csrf=csrf)).json()
        assert good["data"]["changePassword"] == {"ok": True, "errors": []}


async def test_a_reset_with_a_common_password_is_refused_and_leaves_the_link_usable(app: Any,
                                                                                   database: Settings) -> None:
    _, owner = await make_owner()
    mail = await issue_password_reset(database, owner.email)
    assert mail is not None
    token = token_in(mail.get_content(), database)
    async with browser(app) as client:
        refused = (await gql(client, RESET, {"t": token, "n": "qwertyuiop"},
                             headers={"Accept-Language": "da"})).json()["data"]["resetPassword"]
        assert refused["errors"] == [{"code": "common_password", "field": "newPassword",
                                      "message": worded("da")}]
        done = (await gql(client, RESET, {"t": token, "n": "blå hylla vid kassan 7"})).json()["data"]["resetPassword"]
        assert done == {"ok": True, "errors": []}
