"""Text from tenants and shoppers stays data on the survey page: inert in the page's JSON block (ASVS V1.2.3) and
never read as template syntax (V1.3.7)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx

from pejling.tenants.models import Store
from pejling.tenants.scope import tenant_scope
from tests.survey_page.conftest import Shop, make_shop

BREAKOUT = '</script><script>alert("pwned")</script><!--'


def _json_block(page: str, block_id: str = "survey-data") -> str:
    """The text of the page's ``<script type="application/json">`` block, up to the first ``</script>``, as the
    browser's HTML parser would end it."""
    found = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, flags=re.S)
    assert found is not None, "the page has no JSON block"
    return found.group(1)


async def test_a_link_parameter_cannot_break_out_of_the_pages_json_block(client: httpx.AsyncClient, shop: Shop) -> None:
    # The QR channel reads its "code" parameter back from the shopper's link into the page data: input anyone can
    # put in a link. Jinja's tojson must keep it a JSON string, so the block ends where the page says it ends.
    response = await client.get(shop.url, params={"code": BREAKOUT})
    assert response.status_code == 200
    block = _json_block(response.text)
    data: dict[str, Any] = json.loads(block)  # the whole block, cut at the first </script>, is still valid JSON
    assert data["channel_params"] == {"code": BREAKOUT}  # the value itself arrives unchanged
    assert "<" not in block and ">" not in block
    # no script of the attacker's: the page's only scripts are the JSON block and the nonce'd page script
    assert 'alert("pwned")' not in re.sub(r'<script type="application/json".*?</script>', "", response.text, flags=re.S)


async def test_a_store_name_with_template_syntax_is_shown_literally(client: httpx.AsyncClient, database: Any) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        await Store.filter(id=shop.store.id).update(name="{{ 7*7 }} {% if true %}yes{% endif %} ${7*7}")
    response = await client.get(shop.url, params={"lang": "en"})
    assert response.status_code == 200
    heading = re.search(r'<h1 id="title"[^>]*>(.*?)</h1>', response.text, flags=re.S)
    assert heading is not None
    text = html.unescape(heading.group(1))
    assert "{{ 7*7 }} {% if true %}yes{% endif %} ${7*7}" in text
    assert "49" not in text
    title = re.search(r"<title>(.*?)</title>", response.text, flags=re.S)
    assert title is not None and "{{ 7*7 }}" in html.unescape(title.group(1))
