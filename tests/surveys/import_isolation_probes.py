"""Cross-tenant probes for the rate-limit settings, the retention and the response import
(``graphql/surveys/submission_limits.py``, ``retention.py``, ``imports.py``), in the shape of
``tests/graphql/test_tenant_isolation.py``: ``w.b`` tries A's store."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pejling.core.surveys.models import Response
from pejling.tenants.models import Store, Tenant
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]


async def _submission_limit(w: Any) -> None:
    on_a = await w.as_b("query($s: ID) { submissionLimit(storeId: $s) { count setting } }", s=w.ids["store"])
    assert on_a["data"]["submissionLimit"] is None, on_a
    own = await w.as_b("{ submissionLimit { store { id } source } }")
    assert own["data"]["submissionLimit"] == {"store": None, "source": "default"}, own


async def _set_submission_limit(w: Any) -> None:
    result = await w.as_b("mutation($s: ID) { setSubmissionLimit(storeId: $s, count: 3) { limit { count } "
                          "errors { code field } } }", s=w.ids["store"])
    assert result["data"]["setSubmissionLimit"] == {"limit": None, "errors": [{"code": "not_found",
                                                                               "field": "storeId"}]}
    with tenant_scope(w.a.tenant.id):
        assert (await Store.get(id=w.a.stores[0].id)).submission_limit is None


async def _retention(w: Any) -> None:
    await Tenant.filter(id=w.a.tenant.id).update(retention_months=6, retention_mode="delete")
    own = await w.as_b("{ retention { months mode } }")
    assert own["data"]["retention"] == {"months": None, "mode": "ANONYMISE"}, own


async def _set_retention(w: Any) -> None:
    result = await w.as_b("mutation { setRetention(months: 3, mode: DELETE) { retention { months } errors { code } } }")
    assert result["data"]["setRetention"] == {"retention": {"months": 3}, "errors": []}, result
    assert (await Tenant.get(id=w.b.tenant.id)).retention_months == 3
    assert (await Tenant.get(id=w.a.tenant.id)).retention_months != 3, "only the caller's own tenant changes"


async def _import_responses(w: Any) -> None:
    item = {"id": str(uuid.uuid4()), "submittedAt": (datetime.now(UTC) - timedelta(days=9)).isoformat(),
            "answers": [{"statementId": "value.t-only-a", "value": 3}]}
    result = await w.as_b("mutation($i: ImportResponsesInput!) { importResponses(input: $i) { stored "
                          "errors { code field } } }", i={"storeId": w.ids["store"], "responses": [item]})
    assert result["data"]["importResponses"] == {"stored": 0, "errors": [{"code": "not_found", "field": "storeId"}]}
    with tenant_scope(w.a.tenant.id):
        assert not await Response.filter(id=item["id"]).exists()


IMPORT_PROBES: dict[str, Probe] = {
    "submissionLimit": _submission_limit, "setSubmissionLimit": _set_submission_limit,
    "importResponses": _import_responses, "retention": _retention, "setRetention": _set_retention,
}
