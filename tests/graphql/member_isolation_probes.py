"""Cross-tenant probes for the invitation and sign-up root fields, in the shape of ``test_tenant_isolation.py``.

``MEMBER_PROBES`` maps each of these root fields to a probe taking that module's ``Walk`` (``w.a`` owns the
data, ``w.b`` attacks it with its owner's API token). Add them with ``PROBES.update(MEMBER_PROBES)``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pejling.core.auth.models import secret_digest
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Invitation, PendingSignup, Role, Tenant
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]
INVITED = "invited-by-a@example.com"


async def _seed(w: Any) -> dict[str, str]:
    """A pending invitation of tenant A, and its secret link token (made once per walk)."""
    if "invitation" in w.ids:
        return dict(w.ids)
    token = secrets.token_urlsafe(32)
    with tenant_scope(w.a.tenant.id):
        invitation = await Invitation.create(email=INVITED, role=Role.ADMIN, token_hash=secret_digest(token),
                                             expires_at=datetime.now(UTC) + timedelta(days=7))
    w.ids.update(invitation=encode_id("Invitation", invitation.id), invitation_token=token)
    return dict(w.ids)


async def _still_pending(w: Any) -> None:
    with tenant_scope(w.a.tenant.id):
        invitation = await Invitation.get(email=INVITED)
    assert (invitation.accepted_at, invitation.revoked_at) == (None, None)


def _codes(result: dict[str, Any], field: str) -> list[str]:
    return [e["code"] for e in result["data"][field]["errors"]]


async def _invitations(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("{ invitations { edges { node { id email } } } }")
    seen = {e["node"]["id"] for e in result["data"]["invitations"]["edges"]}
    assert ids["invitation"] not in seen and INVITED not in {e["node"]["email"] for e in
                                                             result["data"]["invitations"]["edges"]}
    node = await w.as_b("query($id: ID!) { node(id: $id) { id } }", id=ids["invitation"])
    assert node["data"]["node"] is None


async def _invite_member(w: Any) -> None:
    await _seed(w)
    result = await w.as_b("""mutation($s: [ID!]) { inviteMember(email: "spy@example.com", role: STORE_MANAGER,
        storeIds: $s) { invitation { id } errors { code } } }""", s=[encode_id("Store", w.a.stores[0].id)])
    assert _codes(result, "inviteMember") == ["not_found"]
    with tenant_scope(w.a.tenant.id):
        assert not await Invitation.exists(email="spy@example.com")


async def _revoke_invitation(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("mutation($id: ID!) { revokeInvitation(id: $id) { errors { code } } }",
                          id=ids["invitation"])
    assert _codes(result, "revokeInvitation") == ["not_found"]
    await _still_pending(w)


async def _accept_invitation(w: Any) -> None:
    ids = await _seed(w)
    # B's token cannot accept anything, not even with A's real link token; nobody can without the link.
    for token in (ids["invitation_token"], "made-up"):
        result = await w.as_b("mutation($t: String!) { acceptInvitation(token: $t) { tenant { slug } "
                              "errors { code } } }", t=token)
        assert _codes(result, "acceptInvitation") == ["forbidden"]
    await _still_pending(w)


async def _confirm_signup(w: Any) -> None:
    token = secrets.token_urlsafe(32)
    slug = f"probe-{secrets.token_hex(4)}"
    await PendingSignup.create(token_hash=secret_digest(token), email=f"{slug}@example.com", tenant_name="Probe",
                               tenant_slug=slug, expires_at=datetime.now(UTC) + timedelta(hours=1))
    result = await w.as_b("mutation($t: String!) { confirmSignup(token: $t, password: \"long enough pass\") "
                          "{ tenant { slug } errors { code } } }", t=token)
    assert _codes(result, "confirmSignup") == ["forbidden"]
    assert not await Tenant.exists(slug=slug)


MEMBER_PROBES: dict[str, Probe] = {
    "invitations": _invitations, "inviteMember": _invite_member, "revokeInvitation": _revoke_invitation,
    "acceptInvitation": _accept_invitation, "confirmSignup": _confirm_signup,
}
