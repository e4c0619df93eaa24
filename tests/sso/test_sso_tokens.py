"""Each token of a single sign-on login serves its one purpose (ASVS V9.2.2): the ID token proves the login and is
then dropped; the provider's access token is neither kept nor accepted in the ID token's place."""

from __future__ import annotations

from typing import Any

from pejling.core.auth.models import Session
from pejling.core.auth.sso.models import SsoIdentity, SsoLoginAttempt
from pejling.tenants.models import User
from pejling.tenants.scope import all_tenants
from tests.auth.auth_helpers import ME, browser, gql
from tests.sso.conftest import SsoTenant
from tests.sso.oidc_provider import OidcProvider
from tests.sso.test_sso_login import assert_refused, sign_in


def _values(rows: list[Any]) -> str:
    return " ".join(repr(getattr(row, name)) for row in rows for name in row._meta.fields_map)


async def test_the_providers_access_token_is_neither_kept_nor_handed_on(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    email = sso_tenant.email("grace")
    provider.person = {"email": email, "email_verified": True, "name": "Grace Hopper"}
    async with browser(app) as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert answer.status_code == 303
        assert (await gql(client, ME)).json()["data"]["me"]["email"] == email
        access_token = provider.access_tokens[-1]
        assert access_token not in answer.text and access_token not in str(answer.headers)
        assert all(access_token not in value for value in client.cookies.values())
    user = await User.get(email=email)
    with all_tenants():
        stored = _values([user, *await Session.filter(user_id=user.id), *await SsoIdentity.filter(user_id=user.id),
                          *await SsoLoginAttempt.all()])
    assert "Grace Hopper" in stored  # the scan sees what the login stored
    assert access_token not in stored


async def test_an_access_token_without_an_id_token_does_not_log_in(
    app: Any, provider: OidcProvider, sso_tenant: SsoTenant
) -> None:
    email = sso_tenant.email("mallory")
    provider.person = {"email": email, "email_verified": True}
    provider.tamper = {"no_id_token": True}
    async with browser(app) as client:
        answer, _ = await sign_in(client, sso_tenant.slug)
        assert provider.access_tokens, "the provider handed out an access token"
        assert_refused(answer, 403, "sent no ID token")
        assert (await gql(client, ME)).json()["data"]["me"] is None
    assert not await User.filter(email=email).exists()
