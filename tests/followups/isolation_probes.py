"""Cross-tenant probes for the closed-loop root fields, in the shape of ``tests/graphql/test_tenant_isolation.py``.

``FOLLOWUP_PROBES`` maps each root field of ``graphql/followups`` to a probe taking that module's ``Walk``
(``w.a`` owns the data, ``w.b`` attacks it). Add them with ``PROBES.update(FOLLOWUP_PROBES)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pejling.core.followups.models import AlertRule, Export, ExportFormat, ExportStatus, FollowUp, RuleKind
from pejling.core.surveys.models import Response
from pejling.core.surveys.survey import active_survey
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]


async def _seed(w: Any) -> dict[str, str]:
    """A rule, a consenting response, a follow-up and a finished export in tenant A (made once per walk)."""
    if "follow_up" in w.ids:
        return dict(w.ids)
    store = w.a.stores[0]
    with tenant_scope(w.a.tenant.id):
        current = await active_survey()
        assert current is not None
        rule = await AlertRule.create(name="A rule", kind=RuleKind.OUTCOME_AT_MOST, threshold=3,
                                      notify_roles=["store_manager"])
        now = datetime.now(UTC)
        response = await Response.create(
            id=uuid.uuid4(), store=store, survey_version=current.version, channel="qr", language="en",
            started_at=now - timedelta(seconds=30), submitted_at=now, duration_ms=30_000, outcome=1,
            comment="A's comment", consent_contact=True, contact_email="a-shopper@example.com", receipt_code="AAA-AAA",
        )
        follow_up = await FollowUp.create(rule=rule, response=response, store=store, reason="outcome 1",
                                          dedupe_key=f"{rule.id}:response:{response.id}")
        export = await Export.create(format=ExportFormat.CSV, status=ExportStatus.SUCCEEDED, rows_done=1, rows_total=1)
    w.ids.update(alert_rule=encode_id("AlertRule", rule.id), response=encode_id("Response", response.id),
                 follow_up=encode_id("FollowUp", follow_up.id), export=encode_id("Export", export.id))
    return dict(w.ids)


def _not_found(result: dict[str, Any], field: str) -> None:
    payload = result["data"][field]
    assert [e["code"] for e in payload["errors"]] == ["not_found"], payload


async def _alert_rules(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("{ alertRules { id } }")
    assert ids["alert_rule"] not in {r["id"] for r in result["data"]["alertRules"]}


async def _create_alert_rule(w: Any) -> None:
    await _seed(w)
    result = await w.as_b("""mutation($s: ID!) { createAlertRule(input: {name: "b", kind: OUTCOME_AT_MOST,
        threshold: 2, storeIds: [$s]}) { errors { code } } }""", s=encode_id("Store", w.a.stores[0].id))
    _not_found(result, "createAlertRule")
    with tenant_scope(w.a.tenant.id):
        assert await AlertRule.all().count() == 1


async def _update_alert_rule(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("""mutation($id: ID!) { updateAlertRule(id: $id, input: {name: "b", kind: OUTCOME_AT_MOST,
        threshold: 9}) { errors { code } } }""", id=ids["alert_rule"])
    _not_found(result, "updateAlertRule")


async def _delete_alert_rule(w: Any) -> None:
    ids = await _seed(w)
    _not_found(await w.as_b("mutation($id: ID!) { deleteAlertRule(id: $id) { errors { code } } }",
                            id=ids["alert_rule"]), "deleteAlertRule")


async def _follow_ups(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("{ followUps { edges { node { id } } } }")
    assert ids["follow_up"] not in {e["node"]["id"] for e in result["data"]["followUps"]["edges"]}


async def _follow_up(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("query($id: ID!) { followUp(id: $id) { id } }", id=ids["follow_up"])
    assert result["data"]["followUp"] is None


def _move(name: str) -> Probe:
    async def probe(w: Any) -> None:
        ids = await _seed(w)
        _not_found(await w.as_b(f"mutation($id: ID!) {{ {name}(id: $id) {{ errors {{ code }} }} }}",
                                id=ids["follow_up"]), name)

    return probe


async def _assign_follow_up(w: Any) -> None:
    ids = await _seed(w)
    _not_found(await w.as_b("mutation($id: ID!) { assignFollowUp(id: $id) { errors { code } } }",
                            id=ids["follow_up"]), "assignFollowUp")


async def _add_follow_up_note(w: Any) -> None:
    ids = await _seed(w)
    _not_found(await w.as_b('mutation($id: ID!) { addFollowUpNote(id: $id, text: "b") { errors { code } } }',
                            id=ids["follow_up"]), "addFollowUpNote")


async def _reply_to_shopper(w: Any) -> None:
    ids = await _seed(w)
    _not_found(await w.as_b('mutation($id: ID!) { replyToShopper(responseId: $id, text: "b") { errors { code } } }',
                            id=ids["response"]), "replyToShopper")


async def _responses(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("query($s: ID!) { responses(filter: {storeIds: [$s]}) { edges { node { id } } } }",
                          s=encode_id("Store", w.a.stores[0].id))
    assert result["data"]["responses"]["edges"] == []
    result = await w.as_b("{ responses { edges { node { id } } } }")
    assert ids["response"] not in {e["node"]["id"] for e in result["data"]["responses"]["edges"]}


async def _exports(w: Any) -> None:
    ids = await _seed(w)
    result = await w.as_b("{ exports { id } }")
    assert ids["export"] not in {e["id"] for e in result["data"]["exports"]}


async def _export(w: Any) -> None:
    ids = await _seed(w)
    assert (await w.as_b("query($id: ID!) { export(id: $id) { id } }", id=ids["export"]))["data"]["export"] is None


async def _start_export(w: Any) -> None:
    await _seed(w)
    result = await w.as_b("""mutation($s: ID!) { startExport(format: JSON, filter: {storeIds: [$s]}) {
        export { id } errors { code } } }""", s=encode_id("Store", w.a.stores[0].id))
    assert result["data"]["startExport"]["errors"] == []
    with tenant_scope(w.a.tenant.id):
        assert await Export.all().count() == 1  # B's export lives in B, and its filter matches none of A's rows


async def _start_tenant_export(w: Any) -> None:
    await _seed(w)
    with tenant_scope(w.a.tenant.id):
        before = await Export.all().count()
    result = await w.as_b("mutation { startTenantExport { export { id } errors { code } } }")
    assert result["data"]["startTenantExport"]["errors"] == []
    with tenant_scope(w.a.tenant.id):
        assert await Export.all().count() == before, "B's tenant export lives in B"
    with tenant_scope(w.b.tenant.id):  # its contents are B's: tests/followups/test_tenant_export.py
        assert await Export.filter(id=decode_id(result["data"]["startTenantExport"]["export"]["id"], "Export")
                                   ).exists()


FOLLOWUP_PROBES: dict[str, Probe] = {
    "alertRules": _alert_rules, "createAlertRule": _create_alert_rule, "updateAlertRule": _update_alert_rule,
    "deleteAlertRule": _delete_alert_rule, "followUps": _follow_ups, "followUp": _follow_up,
    "acknowledgeFollowUp": _move("acknowledgeFollowUp"), "resolveFollowUp": _move("resolveFollowUp"),
    "reopenFollowUp": _move("reopenFollowUp"), "assignFollowUp": _assign_follow_up,
    "addFollowUpNote": _add_follow_up_note, "replyToShopper": _reply_to_shopper, "responses": _responses,
    "exports": _exports, "export": _export, "startExport": _start_export,
    "startTenantExport": _start_tenant_export,
}
