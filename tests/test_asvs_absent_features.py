"""Things Pejling deliberately does not have, checked so that they cannot creep in unnoticed.

* ASVS V6.2.10 and V6.4.2: no password expiry, password hint or secret question, neither in the GraphQL schema
  (``graphql/schema.graphql``: every type's fields and every field's arguments) nor in the account models or the
  settings; the only exception is the generated first password of V6.4.1 (:data:`GENERATED_PASSWORD_NAMES`).
* ASVS V3.7.1: no browser plug-in content: no ``<object>``, ``<embed>`` or ``<applet>`` (nor Flash or Java
  applets) in the shopper page templates, the portal's and GraphiQL's source or the built portal, and every page
  policy forbids plug-ins (``object-src`` is ``'none'``, itself or through ``default-src``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tortoise.models import Model

from graphql import build_schema
from pejling.core.auth import models as auth_models
from pejling.core.graphiql import PAGE_CSP as GRAPHIQL_CSP
from pejling.core.portal_routes import DEFAULT_DIR as PORTAL_BUILD
from pejling.core.portal_routes import PAGE_CSP as PORTAL_CSP
from pejling.core.settings import Settings
from pejling.core.surveys.pages import page_headers
from pejling.tenants import models as tenant_models

ROOT = Path(__file__).resolve().parents[1]

#: Names that would mean a password expires, must be changed on a schedule, has a hint or a secret question.
FORBIDDEN_NAME = re.compile(
    r"hint|(security|secret|recovery|challenge)_?questions?|memorable|"
    r"password_?(expir|max_?age|age|rotat|due|valid_?until|changed_?at|change_?(by|required|due))|"
    r"(expir|must_?change|force_?change|rotate).*password",
    re.IGNORECASE,
)
#: The one password that expires and must be changed, and only once: a password the system generated (``pejling
#: create-tenant`` without ``--password``), to be changed at first use and void after 72 hours (ASVS V6.4.1,
#: docs/security.md "Generated first passwords"). A password the person chose never expires and is never to be changed
#: (tests/auth/test_generated_password.py).
GENERATED_PASSWORD_NAMES = frozenset({"generated_password_expires_at", "passwordChangeRequired"})
PLUGIN_CONTENT = re.compile(r"<\s*(object|embed|applet)\b|x-shockwave-flash|\.swf\b|java-applet", re.IGNORECASE)


def _schema_names() -> set[str]:
    schema = build_schema((ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8"))
    names: set[str] = set()
    for type_ in schema.type_map.values():
        names.add(type_.name)
        for field_name, field in (getattr(type_, "fields", None) or {}).items():
            names.add(field_name)
            names.update(getattr(field, "args", {}) or {})
        names.update(getattr(type_, "values", None) or {})
    return names


def _model_field_names() -> set[str]:
    names: set[str] = set()
    for module in (tenant_models, auth_models):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Model) and value is not Model:
                names.update(value._meta.fields_map)
    return names


def test_the_forbidden_name_pattern_catches_what_it_is_for() -> None:
    for name in ("passwordHint", "securityQuestion", "passwordExpiresAt", "mustChangePassword", "password_max_age",
                 "secret_questions", "passwordChangedAt"):
        assert FORBIDDEN_NAME.search(name), name
    for name in ("password", "expiresAt", "questionBank", "changePassword", "recoveryCodesLeft"):
        assert not FORBIDDEN_NAME.search(name), name


def test_no_password_expiry_hint_or_secret_question_exists() -> None:
    schema_names = _schema_names()
    assert {"Me", "changePassword", "newPassword", "expiresAt"} <= schema_names  # the scan sees the real schema
    model_names = _model_field_names()
    assert {"email", "password_hash"} <= model_names
    setting_names = set(Settings.model_fields)
    found = {name for name in schema_names | model_names | setting_names if FORBIDDEN_NAME.search(name)}
    assert found == GENERATED_PASSWORD_NAMES


def _front_end_sources() -> list[Path]:
    patterns = [("frontend/templates", "*.html"), ("frontend/portal", "*.html"), ("frontend/portal/src", "*.ts"),
                ("frontend/portal/src", "*.tsx"), ("frontend/graphiql", "*.jsx"), ("frontend/graphiql", "*.mjs"),
                ("frontend/static", "*.js")]
    return [p for folder, glob in patterns for p in (ROOT / folder).rglob(glob) if "node_modules" not in p.parts]


def _built_portal_files() -> list[Path]:
    if not (PORTAL_BUILD / "index.html").is_file():
        pytest.fail("the portal is not built: run `npm run --prefix frontend build:portal`")
    return [p for p in PORTAL_BUILD.rglob("*") if p.suffix in {".html", ".js"}]


@pytest.mark.parametrize("files", [_front_end_sources, _built_portal_files], ids=["sources", "built portal"])
def test_no_page_loads_plug_in_content(files: object) -> None:
    paths = files()  # type: ignore[operator]
    assert any(p.suffix == ".html" for p in paths) and any(p.suffix in {".js", ".ts", ".tsx"} for p in paths)
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in paths
             for m in PLUGIN_CONTENT.finditer(p.read_text(encoding="utf-8", errors="replace"))]
    assert found == []


def _object_src(policy: str) -> str | None:
    directives = {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}
    return directives.get("object-src", directives.get("default-src"))


@pytest.mark.parametrize("policy", [PORTAL_CSP, GRAPHIQL_CSP,
                                    page_headers("n", "en")["Content-Security-Policy"],
                                    page_headers("n", "en", preview=True)["Content-Security-Policy"]],
                         ids=["portal", "graphiql", "survey page", "survey preview"])
def test_every_page_policy_forbids_plug_ins(policy: str) -> None:
    assert _object_src(policy) == "'none'"
