"""Text from tenants and shoppers stays data on the survey page: inert in the page's JSON block (ASVS V1.2.3) and
never read as template syntax (V1.3.7); no link it builds takes a scheme or host from them (V1.2.2)."""

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


SCHEMES = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
           "//evil.example/x", "JaVaScRiPt:alert(2)"]


#: The one fixed link of base.html that is not a path: the empty icon (no request for /favicon.ico).
EMPTY_ICON = '<link rel="icon" href="data:,">'


def _links(page: str) -> list[str]:
    """Every ``href`` and ``src`` of a page but the empty icon, as the browser reads them (entities decoded)."""
    assert page.count(EMPTY_ICON) == 1
    page = page.replace(EMPTY_ICON, "")
    return [html.unescape(value) for value in re.findall(r'\b(?:href|src)="([^"]*)"', page)]


async def test_every_link_and_source_on_the_shopper_pages_is_a_path_of_this_site(
    client: httpx.AsyncClient, database: Any
) -> None:
    """ASVS V1.2.2: names a tenant chose and parameters anyone can put in a link are text on the page, never an
    ``href``/``src`` of their own scheme; the links the page builds (languages, receipt, logo) are paths of this
    site with their query values encoded."""
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        await Store.filter(id=shop.store.id).update(name=SCHEMES[0])
    from pejling.tenants.models import Tenant

    await Tenant.filter(id=shop.tenant.id).update(name=SCHEMES[3])
    params = {"code": SCHEMES[1], "ch": SCHEMES[2], "utm": SCHEMES[4], "next": SCHEMES[3]}
    survey = await client.get(shop.url, params=params)
    assert survey.status_code == 200
    links = _links(survey.text)
    assert links and all(re.match(r"/(?![/\\])", link) for link in links), links
    languages = [link for link in links if "lang=" in link]
    assert len(languages) == 4
    for link in languages:  # the link's own parameters come back encoded, never as a new parameter or a scheme
        assert "code=data%3Atext%2Fhtml%2C%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in link
        assert "next=%2F%2Fevil.example%2Fx" in link
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', survey.text))
    ids = re.findall(r'data-id="([^"]+)"', survey.text)
    form = {name: html.unescape(value) for name, value in fields.items()} | {f"s:{sid}": "3" for sid in ids}
    thanks = await client.post(f"{shop.url}/form", data=form)
    assert thanks.status_code == 200, thanks.text[:300]
    assert all(re.match(r"/(?![/\\])", link) for link in _links(thanks.text)), _links(thanks.text)
    for page in (survey.text, thanks.text):
        assert not re.search(r'(?:href|src)="\s*(?:javascript|data|vbscript):', page.replace(EMPTY_ICON, ""), re.I)
