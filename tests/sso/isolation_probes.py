"""Cross-tenant probes for the single sign-on root fields, in the shape of ``tests/graphql/test_tenant_isolation.py``:
A has single sign-on with a sealed secret; whatever ``w.b`` (B's owner) reads, configures or removes, A's
configuration stays A's and nothing of it shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

from pejling.core.auth.sso.configuration import secret_purpose
from pejling.core.auth.sso.models import SsoConfiguration
from pejling.core.secrets_at_rest import fingerprint, seal
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]
ISSUER = "https://idp.tenant-a.example"
SECRET = "an-sso-secret-only-tenant-a-knows"


async def _a_has_sso(w: Any) -> None:
    with tenant_scope(w.a.tenant.id):
        if await SsoConfiguration.exists():
            return
        row_id = uuid4()
        await SsoConfiguration.create(
            id=row_id, issuer=ISSUER, authorization_endpoint=f"{ISSUER}/authorize", token_endpoint=f"{ISSUER}/token",
            jwks_uri=f"{ISSUER}/jwks", client_id="a-client", allowed_domains=["a.example"],
            client_secret_sealed=seal(SECRET, purpose=secret_purpose(w.a.tenant.id, row_id)),
            client_secret_fingerprint=fingerprint(SECRET),
        )


async def _a_still_has_sso(w: Any) -> None:
    with tenant_scope(w.a.tenant.id):
        row = await SsoConfiguration.get()
    assert (row.issuer, row.client_id, row.allowed_domains) == (ISSUER, "a-client", ["a.example"])


async def _sso_configuration(w: Any) -> None:
    await _a_has_sso(w)
    seen = await w.as_b("{ ssoConfiguration { issuer clientId clientSecretFingerprint } }")
    assert seen["data"] == {"ssoConfiguration": None}, seen
    assert ISSUER not in str(seen) and fingerprint(SECRET) not in str(seen)


async def _configure_sso(w: Any) -> None:
    await _a_has_sso(w)
    done = await w.as_b('mutation { configureSso(input: {issuer: "https://127.0.0.1:9", clientId: "b", '
                        'clientSecret: "b-secret", allowedEmailDomains: ["a.example"]}) '
                        "{ ssoConfiguration { issuer } errors { code field } } }")
    # Nothing answers there: B's own attempt fails on discovery, and A's row is untouched either way.
    assert done["data"]["configureSso"]["errors"][0]["field"] == "issuer", done
    await _a_still_has_sso(w)


async def _disable_sso(w: Any) -> None:
    await _a_has_sso(w)
    off = await w.as_b("mutation { disableSso { errors { code } } }")
    assert off["data"]["disableSso"]["errors"] == [{"code": "not_found"}], off
    await _a_still_has_sso(w)


SSO_PROBES: dict[str, Probe] = {"ssoConfiguration": _sso_configuration, "configureSso": _configure_sso,
                                "disableSso": _disable_sso}
