"""Cross-tenant probes for the survey code root fields (``graphql/surveys/codes.py``), in the shape of
``tests/graphql/test_tenant_isolation.py``: ``w.a`` owns a code, ``w.b`` tries to list, retire and make one on A's
store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pejling.core.surveys.codes import create_code
from pejling.core.surveys.models import SurveyCode
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.scope import tenant_scope

Probe = Callable[[Any], Awaitable[None]]


async def _a_code(w: Any) -> str:
    """A survey code of tenant A (made once per walk): its global id."""
    if "survey_code" not in w.ids:
        with tenant_scope(w.a.tenant.id):
            code = await create_code(w.a.stores[0], None, "A's window")
        w.ids["survey_code"] = encode_id("SurveyCode", code.id)
    return str(w.ids["survey_code"])


async def _survey_codes(w: Any) -> None:
    code = await _a_code(w)
    result = await w.as_b("{ surveyCodes { id campaign } }")
    assert code not in {c["id"] for c in result["data"]["surveyCodes"]}, result
    on_a = await w.as_b("query($s: ID) { surveyCodes(storeId: $s) { id } }", s=w.ids["store"])
    assert on_a["data"]["surveyCodes"] == []


async def _create_survey_code(w: Any) -> None:
    result = await w.as_b('mutation($s: ID!) { createSurveyCode(storeId: $s, campaign: "B") '
                          "{ surveyCode { id } errors { code field } } }", s=w.ids["store"])
    assert result["data"]["createSurveyCode"] == {"surveyCode": None,
                                                  "errors": [{"code": "not_found", "field": "storeId"}]}
    with tenant_scope(w.a.tenant.id):
        assert not await SurveyCode.filter(campaign="B").exists()


async def _retire_survey_code(w: Any) -> None:
    code = await _a_code(w)
    result = await w.as_b("mutation($id: ID!) { retireSurveyCode(id: $id) { surveyCode { id } errors { code } } }",
                          id=code)
    assert result["data"]["retireSurveyCode"] == {"surveyCode": None, "errors": [{"code": "not_found"}]}
    with tenant_scope(w.a.tenant.id):
        assert await SurveyCode.filter(retired_at=None).count() == 1


CODE_PROBES: dict[str, Probe] = {
    "surveyCodes": _survey_codes, "createSurveyCode": _create_survey_code, "retireSurveyCode": _retire_survey_code,
}
