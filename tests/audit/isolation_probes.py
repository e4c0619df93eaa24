"""The cross-tenant probe of ``auditLog``, in the shape of ``tests/graphql/test_tenant_isolation.py``.

A changes its store under a named operation; B's log, asked for everything or for A's member, token or actors by
id, and B's CSV never show A's entries or actors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

Probe = Callable[[Any], Awaitable[None]]

LOG = "query($actor: ID) { auditLog(first: 100, actor: $actor) { edges { node { id operation actorId } } } }"


async def _audit_log(w: Any) -> None:
    from tests.support.tenancy import gql

    rename = await gql(w.client, "mutation OnlyAKnowsThis($input: StoreChanges!) { updateStore(input: $input) { "
                       "errors { code } } }", {"input": {"id": w.ids["store"], "name": "Store 0"}}, w.a.headers)
    assert rename["data"]["updateStore"]["errors"] == [], rename
    own = await gql(w.client, LOG, {}, w.a.headers)
    a_entries = {edge["node"]["id"] for edge in own["data"]["auditLog"]["edges"]}
    a_actors = {edge["node"]["actorId"] for edge in own["data"]["auditLog"]["edges"]}
    assert "OnlyAKnowsThis" in str(own), own
    # B's own log lists the ids B itself named in its probes (A's, among them): the attempts are B's to see.
    for actor in (None, w.ids["member"], w.ids["token"], *a_actors):
        seen = await w.as_b(LOG, actor=actor)
        assert "errors" not in seen, seen
        nodes = [edge["node"] for edge in seen["data"]["auditLog"]["edges"]]
        assert not {n["id"] for n in nodes} & a_entries and not {n["actorId"] for n in nodes} & a_actors, seen
        assert "OnlyAKnowsThis" not in str(seen), seen
        if actor is not None:
            assert nodes == [], seen
    download = await w.client.get("/api/audit-log.csv", headers=w.b.headers)
    assert download.status_code == 200 and "OnlyAKnowsThis" not in download.text
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows and not {r["actor_id"] for r in rows} & a_actors and not {r["user_id"] for r in rows} & a_actors


AUDIT_PROBES: dict[str, Probe] = {"auditLog": _audit_log}
