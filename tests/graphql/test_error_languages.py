"""The API's error messages in the caller's language: every message the code can return has a Danish, Norwegian
and Swedish translation (a new English message without them fails here), and real refusals come back translated
for a Danish, Norwegian or Swedish Accept-Language, English without one, with the same codes and fields."""

from __future__ import annotations

import ast
from string import Formatter
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core._pydantic_core import list_all_errors

from pejling.core.auth.passwords import COMMON_PASSWORD_MESSAGE
from pejling.core.auth.sso.login import SSO_REQUIRED
from pejling.core.settings import Settings
from pejling.graphql.error_languages import ENGLISH_ONLY, TRANSLATED, catalog, translate
from pejling.graphql.error_sources import DROPPABLE, PYDANTIC_MESSAGES, ROOT, message_positions, messages, scan_file
from pejling.tenants.models import Role
from pejling.tenants.signup import SLUG_UNAVAILABLE
from tests.auth.auth_helpers import PASSWORD, browser, graphql_login
from tests.auth.auth_helpers import gql as browser_gql
from tests.conftest import unique
from tests.support.tenancy import gql, make_tenant, member, token_for


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


# ---------------------------------------------------------------------------------------------------------------------
# The catalogs against the code
# ---------------------------------------------------------------------------------------------------------------------


def test_every_message_the_api_can_return_has_a_translation_in_every_language() -> None:
    found = messages()
    missing = {language: sorted(f"{message!r} ({places[0].path}:{places[0].line})"
                                for message, places in found.items()
                                if message not in ENGLISH_ONLY and message not in catalog(language))
               for language in TRANSLATED}
    assert missing == {language: [] for language in TRANSLATED}, (
        "Translate these in graphql/messages/<language>.po (python -m pejling.graphql.error_sources lists them)")


def test_the_scan_finds_literals_templates_constants_defaults_and_helpers() -> None:
    found = messages()
    assert len(found) > 200
    for message in ("Not found.",  # a default of not_found()
                    "Use at least {min_length} characters.",  # an f-string in core/, read as a template
                    COMMON_PASSWORD_MESSAGE,  # a module constant
                    SLUG_UNAVAILABLE,  # a constant in tenants/
                    "The {name} plan allows it.",  # what a helper of the module returns, added to a message
                    "Too many attempts, try again in {retry_after} s.",  # a refusal's message property
                    "Only an owner can remove an owner.",  # a refusal whose message is the second argument
                    "Log in or send an API token.",  # an ApiError
                    SSO_REQUIRED,  # a constant imported from another module
                    "This store is beyond the {name} plan's {stores} store(s): it is kept and read-only. Upgrade, or "
                    "delete a store, to change it.",  # a local variable given to ApiError
                    "The URL must use https.",  # an exception without __init__: the first argument
                    "The subscription is unpaid: update the card in the billing portal."):  # a billing reason
        assert message in found, message
    assert "tenantSlug" not in found and "forbidden" not in found  # fields and codes are not messages
    assert "invalid" not in found and "too_many" not in found
    assert not any(place.path == "core/surveys/response_csv.py" for places in found.values() for place in places)


def test_a_new_english_message_is_found_so_it_cannot_ship_untranslated() -> None:
    module = ROOT / "tenants" / "_language_probe.py"
    source = ('from pejling.tenants.signup import SignupRefused\n'
              'from pejling.graphql.errors import invalid\n'
              'def check(slug):\n'
              '    if slug == "x":\n'
              '        raise SignupRefused("tenantSlug", f"The slug {slug} is brand new.")\n'
              '    return invalid("name", "A brand-new sentence." if slug else "Another new one.")\n')
    tree = ast.parse(source)
    positions = message_positions([ast.parse((ROOT / "tenants" / "signup.py").read_text(encoding="utf-8"))])
    # scan_file names a module by its place in the repository: give the probe one without writing there
    found = [source.message for source in scan_file(module, tree, positions)]
    assert sorted(found) == ["A brand-new sentence.", "Another new one.", "The slug {slug} is brand new."]
    assert all(message not in catalog("da") for message in found)


def test_the_catalogs_hold_only_messages_the_code_still_has() -> None:
    found = messages()
    for language in TRANSLATED:
        stale = sorted(set(catalog(language)) - set(found))
        assert stale == [], f"{language}: remove these from graphql/messages/{language}.po"


def test_translations_keep_every_value_and_differ_from_english() -> None:
    for language in TRANSLATED:
        for source, translation in catalog(language).items():
            kept = _placeholders(translation)
            assert kept <= _placeholders(source) and _placeholders(source) - kept <= DROPPABLE, (
                language, source, translation)
            assert translation.strip() == translation and translation, (language, source)
        assert not ENGLISH_ONLY & set(catalog(language))
    # the three languages are three: no catalog is a copy of another
    assert len({tuple(sorted(catalog(language).items())) for language in TRANSLATED}) == 3


# ---------------------------------------------------------------------------------------------------------------------
# translate()
# ---------------------------------------------------------------------------------------------------------------------


def test_translate_reads_values_back_and_splits_sentences_only_when_it_must() -> None:
    assert translate("Use at least 10 characters.", "da") == "Brug mindst 10 tegn."
    assert translate("'logo' is reserved; choose another.", "sv") == "'logo' är reserverad. Välj en annan."
    # two messages joined: each sentence on its own, a value never swallowing the next sentence
    joined = "The Start plan allows 1 store(s) and you have 1. The Chain plan allows it."
    assert translate(joined, "nb") == "Planen Start tillater 1 butikk(er), og du har 1. Planen Chain tillater det."
    # one template of two sentences stays one
    assert translate("At most 1000 responses per import; this batch has 1001. Nothing was imported: split it.",
                     "da") == "Højst 1000 svar pr. import. Dette parti har 1001. Intet blev importeret: del det op."
    for language in (None, "en", "fi", ""):
        assert translate("Not found.", language) == "Not found."
    assert translate("A sentence nobody wrote.", "da") == "A sentence nobody wrote."
    assert translate("PersistedQueryNotFound", "da") == "PersistedQueryNotFound"


def test_pydantics_messages_of_a_plugin_configuration_are_translated_and_still_pydantics() -> None:
    templates = {error["type"]: error["message_template_python"] for error in list_all_errors()}
    assert {kind: templates.get(kind) for kind in PYDANTIC_MESSAGES} == PYDANTIC_MESSAGES  # pydantic reworded one

    class ShopSettings(BaseModel):
        model_config = ConfigDict(extra="forbid")
        shop_id: int
        label: str = Field(max_length=1)
        days: int = Field(ge=1)
        mode: Literal["live", "test"]

    with pytest.raises(ValidationError) as refused:
        ShopSettings.model_validate({"shop_id": "x", "label": "ab", "days": 0, "mode": "other", "colour": "red"})
    danish = {".".join(map(str, error["loc"])): translate(error["msg"], "da") for error in refused.value.errors()}
    assert danish == {"shop_id": "Skal være et helt tal, teksten kan ikke læses som et tal",
                      "label": "Teksten må højst have 1 tegn", "days": "Skal være mindst 1",
                      "mode": "Skal være 'live' or 'test'", "colour": "Ekstra felter er ikke tilladt"}
    with pytest.raises(ValidationError) as missing:
        ShopSettings.model_validate({})
    assert {translate(error["msg"], "sv") for error in missing.value.errors()} == {"Måste fyllas i"}


# ---------------------------------------------------------------------------------------------------------------------
# Real refusals over HTTP
# ---------------------------------------------------------------------------------------------------------------------

SIGNUP = """mutation($i: SignupInput!) { signup(input: $i) { ok errors { code field message } } }"""
CREATE_STORE = """mutation($i: StoreInput!) { createStore(input: $i) { store { id } errors { code field message } } }"""
UPDATE_MEMBER = """mutation($id: ID!) { updateMember(id: $id, role: ANALYST) {
  member { role } errors { code field message } } }"""
MEMBERS = "{ members { edges { node { id email } } } }"
CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  ok errors { code field message } } }"""


def _languages(header: str | None) -> dict[str, str]:
    return {"Accept-Language": header} if header else {}


def _without_messages(errors: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(error["code"], error["field"]) for error in errors]


async def test_a_taken_slug_at_signup_is_refused_in_the_callers_language(app: Any) -> None:
    taken = await make_tenant(stores=0)
    variables = {"i": {"tenantName": "Nordlys", "tenantSlug": taken.tenant.slug, "email": f"{unique()}@example.com"}}
    answers: dict[str | None, list[dict[str, Any]]] = {}
    for header in ("da-DK,da;q=0.9,en;q=0.5", "nb", "sv-SE", None, "de"):
        async with browser(app) as client:
            payload = (await browser_gql(client, SIGNUP, variables, headers=_languages(header))).json()
        answers[header] = payload["data"]["signup"]["errors"]
        assert payload["data"]["signup"]["ok"] is False
    assert answers["da-DK,da;q=0.9,en;q=0.5"][0]["message"] == "Denne adresse er ikke ledig. Vælg en anden."
    assert answers["nb"][0]["message"] == "Denne adressen er ikke ledig. Velg en annen."
    assert answers["sv-SE"][0]["message"] == "Den här adressen är inte ledig. Välj en annan."
    assert answers[None][0]["message"] == answers["de"][0]["message"] == SLUG_UNAVAILABLE
    assert {tuple(_without_messages(errors)) for errors in answers.values()} == {(("invalid", "tenantSlug"),)}


async def test_an_invalid_store_slug_and_a_reserved_one_are_worded_in_danish(app: Any) -> None:
    shop = await make_tenant(stores=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        bad = {"i": {"name": "Butik", "slug": "Ikke Gyldig!"}}
        danish = await gql(client, CREATE_STORE, bad, headers={**shop.headers, "Accept-Language": "da"})
        english = await gql(client, CREATE_STORE, bad, headers=shop.headers)
        reserved = await gql(client, CREATE_STORE, {"i": {"name": "Butik", "slug": "logo"}},
                             headers={**shop.headers, "Accept-Language": "da"})
    assert danish["data"]["createStore"]["errors"] == [
        {"code": "invalid", "field": "slug", "message": "Brug 1–63 små bogstaver, cifre og bindestreger."}]
    assert english["data"]["createStore"]["errors"] == [
        {"code": "invalid", "field": "slug", "message": "Use 1–63 lowercase letters, digits and hyphens."}]
    assert reserved["data"]["createStore"]["errors"] == [
        {"code": "invalid", "field": "slug", "message": "'logo' er reserveret. Vælg en anden."}]
    assert danish["data"]["createStore"]["store"] is None


async def test_a_refused_member_change_and_a_forbidden_query_are_translated(app: Any) -> None:
    shop = await make_tenant(stores=0)
    analyst = await member(shop.tenant, Role.ANALYST)
    analyst_headers = {"Authorization": f"Bearer {await token_for(shop.tenant, analyst)}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        listed = await gql(client, MEMBERS, headers=shop.headers)
        owner_id = next(edge["node"]["id"] for edge in listed["data"]["members"]["edges"]
                        if edge["node"]["email"] == shop.owner.email)
        # the only owner cannot step down: MemberChangeRefused from tenants/members.py
        refused = {header: await gql(client, UPDATE_MEMBER, {"id": owner_id},
                                     headers={**shop.headers, **_languages(header)})
                   for header in ("da", "sv", None)}
        # an ApiError of a query (an analyst may not list members): the message translated, the code kept
        forbidden = {header: await gql(client, MEMBERS, headers={**analyst_headers, **_languages(header)})
                     for header in ("nb", None)}
    messages_by_header = {header: answer["data"]["updateMember"]["errors"][0]["message"]
                          for header, answer in refused.items()}
    assert messages_by_header == {"da": "En virksomhed skal have mindst én ejer.",
                                  "sv": "Ett företag måste ha minst en ägare.",
                                  None: "A tenant needs at least one owner."}
    assert len({tuple(_without_messages(answer["data"]["updateMember"]["errors"]))
                for answer in refused.values()}) == 1
    assert all(answer["data"]["updateMember"]["member"] is None for answer in refused.values())
    assert forbidden["nb"]["errors"][0]["message"] == "Bare eiere og administratorer kan se medlemmene."
    assert forbidden[None]["errors"][0]["message"] == "Only owners and admins can list members."
    assert forbidden["nb"]["errors"][0]["extensions"] == forbidden[None]["errors"][0]["extensions"]
    assert forbidden["nb"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_message_with_a_value_from_core_and_the_common_password_in_the_portals_language(
        app: Any, database: Settings) -> None:
    shop = await make_tenant(stores=0)
    async with browser(app) as client:
        csrf = await graphql_login(client, shop.owner.email)
        short = (await browser_gql(client, CHANGE, {"c": PASSWORD, "n": "kort1"}, csrf=csrf,
                                   headers={"Accept-Language": "sv"})).json()["data"]["changePassword"]
        common = (await browser_gql(client, CHANGE, {"c": PASSWORD, "n": "password123"}, csrf=csrf,
                                    headers={"Accept-Language": "da"})).json()["data"]["changePassword"]
    assert short["errors"] == [{"code": "invalid", "field": "newPassword", "message": "Använd minst 10 tecken."}]
    assert common["errors"] == [{"code": "common_password", "field": "newPassword",
                                 "message": catalog("da")[COMMON_PASSWORD_MESSAGE]}]


@pytest.mark.parametrize("header", ["da", "sv"])
async def test_unauthenticated_queries_are_refused_in_the_callers_language(app: Any, header: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        answer = await gql(client, "{ tenant { id } }", headers={"Accept-Language": header})
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert answer["errors"][0]["message"] == catalog(header)["Log in or send an API token."]
