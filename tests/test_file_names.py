"""Files we write and serve are named from our own data (ASVS V5.3.2, V5.4.2): ids, slugs, codes, formats and
times, never a name or text someone typed, so a path cannot climb out of its folder and a Content-Disposition
header cannot be broken."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pejling.core.followups import current_settings
from pejling.core.followups.exports import download_name, export_path
from pejling.core.followups.models import Export, ExportFormat
from pejling.core.mail import build_mail, send_mail
from pejling.core.settings import Settings
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role, Store
from pejling.tenants.scope import tenant_scope
from tests.support.tenancy import member, token_for
from tests.survey_page.conftest import make_shop

HOSTILE = '../../etc/passwd"; filename*=UTF-8\'\'evil.exe\r\nX-Injected: 1'
#: A served file name: letters, digits, dots and hyphens, in one quoted attachment filename.
DISPOSITION = re.compile(r'^attachment; filename="[A-Za-z0-9][A-Za-z0-9.-]*"$')
CREATE_CODE = """mutation($store: ID!) { createSurveyCode(storeId: $store) {
  surveyCode { svgUrl pngUrl posterA4Url posterA5Url } errors { code } } }"""


@pytest.mark.parametrize("export_format", list(ExportFormat))
def test_an_export_file_is_named_from_its_ids_and_its_download_from_its_format_and_time(
    database: Settings, export_format: ExportFormat
) -> None:
    export = Export(id=uuid.uuid4(), tenant_id=uuid.uuid4(), format=export_format,
                    created_at=datetime(2026, 12, 3, 9, 30, 5, tzinfo=UTC), filters={"comment": HOSTILE})
    path = export_path(export)
    exports = current_settings().var_dir / "exports"
    assert path == exports / str(export.tenant_id) / f"{export.id}.{export_format.value}"
    assert path.resolve().is_relative_to(exports.resolve())
    name = download_name(export)
    assert DISPOSITION.match(f'attachment; filename="{name}"'), name
    assert name.endswith(f"-20261203-093005.{export_format.value}")


async def test_a_mail_copy_is_named_from_a_time_and_random_hex(settings: Settings) -> None:
    message = build_mail(settings, to="reader@example.com", subject=HOSTILE.replace("\r\n", " "), text=HOSTILE)
    path = await send_mail(settings, message)
    assert path is not None and path.parent == settings.mail_dir
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{8}\.eml", path.name), path.name


async def test_served_downloads_name_their_file_from_codes_and_slugs_only(
    client: httpx.AsyncClient, database: Any
) -> None:
    shop = await make_shop()
    with tenant_scope(shop.tenant.id):
        await Store.filter(id=shop.store.id).update(name=HOSTILE)  # a store name never names a file
    token = await token_for(shop.tenant, await member(shop.tenant, Role.OWNER))
    api = {"Authorization": f"Bearer {token}"}
    made = (await client.post("/graphql", headers=api, json={"query": CREATE_CODE, "variables": {
        "store": encode_id("Store", shop.store.id)}})).json()["data"]["createSurveyCode"]["surveyCode"]
    paths = [urlsplit(made[key]).path for key in ("svgUrl", "pngUrl", "posterA4Url", "posterA5Url")]
    for path in [*paths, "/api/audit-log.csv"]:
        response = await client.get(path, headers=api)
        assert response.status_code == 200, (path, response.text[:200])
        assert DISPOSITION.match(response.headers["content-disposition"]), response.headers["content-disposition"]
    # the file part of a code's URL is one of the known downloads, not a name the caller chooses
    base = str(Path(paths[0]).parent)
    for odd in ("evil.exe", "qr.svg.exe", "..%2F..%2Fetc%2Fpasswd", "qr.svg%22%0d%0aX-Injected:%201"):
        refused = await client.get(f"{base}/{odd}", headers=api)
        assert refused.status_code == 404, odd
        assert "content-disposition" not in refused.headers
