"""No source file, configuration or source-control data is served (ASVS V13.4.1): only the built portal and GraphiQL
bundles are served from disk, by explicit routes, and a path that climbs out of them or names a dot file is a 404."""

from __future__ import annotations

import httpx
import pytest

from pejling.core.portal_routes import bundle_dir

PROBES = [
    "/.git/config", "/.git/HEAD", "/.gitignore", "/.env", "/core/app.py", "/pejling/core/app.py", "/pyproject.toml",
    "/Makefile", "/frontend/templates/survey.html", "/frontend/static/survey.js", "/static/survey.js",
    "/portal-assets/.git/config", "/graphiql-assets/.git/config",
    "/portal-assets/%2e%2e/%2e%2e/%2e%2e/core/app.py", "/graphiql-assets/%2e%2e/%2e%2e/%2e%2e/core/app.py",
    "/portal-assets/..%2f..%2f..%2fcore%2fapp.py", "/graphiql-assets/..%2F..%2F..%2F.git%2Fconfig",
    "/portal-assets/../../../pyproject.toml", "/plugins/../core/app.py",
]
#: What would show that a file of the checkout was served.
LEAKS = ("[core]", "gitdir:", "def create_app", "[project]", "{% block", "repositoryformatversion", "PEJLING_")


@pytest.mark.parametrize("path", PROBES)
async def test_source_and_git_paths_are_not_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    portal_page = (bundle_dir() / "index.html").read_text(encoding="utf-8")
    # /portal/… pages answer the portal's own page; anything else that is not a route is a 404
    assert response.status_code == 404 or response.text == portal_page, (path, response.status_code)
    for leak in LEAKS:
        assert leak not in response.text, (path, leak)
