"""The ASVS rows met by documentation point at documents that exist and say what the row claims.

``docs/asvs.md`` rows whose control is a document (V2.1.1, V2.1.2, V2.1.3, V5.1.1, V6.1.1, V6.1.3, V7.1.3 with
V7.6.1, V8.1.1, V8.1.2, V13.1.1, V15.1.1, V15.1.3) name documents and sections. For each, :data:`CLAIMS` lists
(document, section heading, phrases): the section must exist and hold every phrase (case and line breaks ignored).
Where a row names a limit the code enforces, the phrase is made from the code's constant, so changing the constant
without the document fails.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from pejling.core.settings import Settings
from pejling.core.surveys import import_routes, response_import
from pejling.core.surveys.rate_limit import IMPORT_LIMIT
from pejling.graphql.operation_limits import COST_BUDGET, FIELD_LIMITS
from pejling.tenants.branding import LOGO_TYPES, MAX_LOGO_BYTES
from tests.support.dependency_audit import MAX_REVIEW_DAYS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
THIS_TEST = "tests/test_asvs_documentation.py::test_the_documents_a_row_names_say_what_it_claims"

Claim = tuple[str, str | None, tuple[str, ...]]


def _budgets_match_the_code() -> list[str]:
    """Each guarded GraphQL field named in docs/security.md "GraphQL limits" with the budget it really has: the
    first "N / window" after the field's name (fields that share a budget are listed before it)."""
    section = _normal(_section("security.md", "GraphQL limits"))
    problems = []
    for name, field in FIELD_LIMITS.items():
        seconds = field.limit.window_seconds
        window = "h" if seconds == 3600 else f"{seconds // 60} min"
        at = section.find(f"`{name.lower()}`")
        budget = re.compile(r"(\d+) / (h|\d+ min)").search(section, at) if at >= 0 else None
        if budget is None or budget.group(0) != f"{field.limit.count} / {window}":
            problems.append(f"{name}: documented {budget and budget.group(0)}, enforced {field.limit.count} / {window}")
        scope = "per client address" if field.per == "address" else "per member or api token"
        if at < section.find(scope):
            problems.append(f"{name}: not listed under {scope!r}")
    return problems


def _plans_match_the_code() -> list[str]:
    """Each plan of plugins/billing/plans.toml has its row in docs/billing.md's table with the same limits."""
    plans = tomllib.loads((ROOT / "plugins" / "billing" / "plans.toml").read_text(encoding="utf-8"))["plans"]
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
            for line in _section("billing.md", "Plans").splitlines() if line.startswith("| `")}
    problems = []
    for key, plan in plans.items():
        responses = plan.get("monthly_responses")
        expected = [str(plan.get("stores", "unlimited")),
                    f"{responses:,}".replace(",", " ") if responses else "unlimited",
                    str(plan.get("users", "unlimited"))]
        if rows.get(f"`{key}`", [])[1:4] != expected:
            problems.append(f"{key}: documented {rows.get(f'`{key}`')}, configured {expected}")
    return problems


def _logo_types_match_the_code() -> list[str]:
    named = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP"}
    if set(LOGO_TYPES) == set(named):
        return []
    return [f"accepted logo types {sorted(LOGO_TYPES)}, documented {sorted(named)}"]


#: Checks of a row that compare a document with the code beyond fixed phrases.
EXTRA = {"V2.1.3": [_budgets_match_the_code, _plans_match_the_code], "V5.1.1": [_logo_types_match_the_code]}
_defaults = Settings.model_fields

_IDLE_HOURS = Settings.model_fields["session_idle_seconds"].default // 3600
_MAX_DAYS = Settings.model_fields["session_max_age_seconds"].default // 86400

CLAIMS: dict[str, list[Claim]] = {
    "V7.1.3, V7.6.1": [
        ("security.md", "Sessions and cookies",
         (f"({_IDLE_HOURS} hours)", f"({_MAX_DAYS} days)", "is **not** tied to the identity provider's",
          "`endMemberSessions`")),
    ],
    "V2.1.1": [
        ("graphql.md", "Conventions", ("`errors: [UserError!]!`", "`INVALID` error with `extensions.field`")),
        ("surveys.md", "Ingest (`ingest.py`, one code path)", ()),
        ("surveys.md", "Importing historical responses", (f"at most {response_import.MAX_BATCH} responses",)),
        ("security.md", "Shoppers", ("must carry a UTC offset", "reads at most 16 KB", "nested at most 8 deep")),
    ],
    "V2.1.2": [
        ("surveys.md", "QR codes and posters (`codes.py`, `poster.py`, `code_routes.py`)",
         ("A code belongs to a store", "of another store is a **404** page")),
        ("graphql.md", "Members and invitations",
         ("`inviteMember(email, role, storeIds)`", "Only an owner can invite an owner",
          "a store manager needs at least one store")),
    ],
    "V2.1.3": [
        ("security.md", "GraphQL limits",
         ("Per client address", "Per member or API token",
          f"cost budget of {COST_BUDGET.count:,} per minute".replace(",", " "), "`Retry-After`")),
        ("billing.md", "Plans", ("limits on stores, monthly shopper responses, users",)),
    ],
    "V5.1.1": [
        ("surveys.md", "Brand logo and colour (`tenants/branding.py`)",
         ("a PNG, JPEG or WebP image (`LOGO_TYPES`)", f"at most {MAX_LOGO_BYTES // 1024} KiB decoded",
          "`MAX_LOGO_BYTES`", "SVG and every other type are refused")),
        ("surveys.md", "Importing historical responses",
         (f"up to {import_routes.MAX_BODY_BYTES // (1024 * 1024)} MB",
          f"at most {response_import.MAX_BATCH} responses (`response_import.MAX_BATCH`)",
          f"{IMPORT_LIMIT.count} calls per {IMPORT_LIMIT.window_seconds // 60} minutes")),
    ],
    "V6.1.1": [
        ("security.md", "Login throttling",
         ("`HMAC(secret key, email)`", "`HMAC(secret key, client address)`",
          f"({_defaults['login_failure_window_seconds'].default // 60} minutes)",
          f"one email may fail `PEJLING_LOGIN_MAX_FAILURES` times ({_defaults['login_max_failures'].default})",
          f"one client address may fail 5 × that ({5 * _defaults['login_max_failures'].default})",
          "is not locked out", "reserved before its password is checked", "`Retry-After: N`")),
    ],
    "V6.1.3": [
        ("security.md", "Passwords", ()),
        ("security.md", "API tokens", ("returned **once**",)),
        ("security.md", "Sign-up", ()),
        ("security.md", "Invitations", ()),
        ("security.md", "Password reset", ()),
        ("security.md", "Two-step login (TOTP)", ()),
        ("security.md", "Login throttling", ()),
        ("sso.md", "Configuring (owners only)", ("**SSO only.**", "cannot log in with a password")),
        ("sso.md", "A login", ()),
    ],
    "V8.1.1": [
        ("graphql.md", "Conventions",
         ("Roles: owner and admin change stores, zones, members and tokens; analysts read; store managers see only "
          "their stores", "narrowed by its scopes")),
        ("security.md", "Tenant isolation", ()),
    ],
    "V8.1.2": [
        ("security.md", "Shoppers", ("shown only to owners and admins",)),
        ("sso.md", "Configuring (owners only)",
         ("write-only", "It is never returned (only `clientSecretFingerprint`)")),
        ("security.md", "API tokens", ("The secret is returned **once**", "keeps its SHA-256")),
    ],
    "V13.1.1": [
        ("deployment.md", "Production", ("**Database**: PostgreSQL", "**Mail**: `PEJLING_SMTP_URL",
                                         "**Redis**", "load balancer")),
        ("billing.md", None, ("Stripe",)),
        ("shopify.md", None, ("Admin GraphQL API",)),
        ("vipps.md", None, ("Vipps",)),
        ("sso.md", "Configuring (owners only)", ("`<issuer>/.well-known/openid-configuration`",)),
        ("webhooks.md", "SSRF protection", ("Tenants choose the URLs", "only `https://` URLs")),
    ],
    "V15.1.1": [
        ("security.md", "Dependency updates (ASVS V15.1.1, V15.2.1)",
         ("fixed version in production within **48 hours**", "High (7.0–8.9) | within **7 days**",
          "at the **next release**, at most **30 days**", f"at most {MAX_REVIEW_DAYS} days apart", "`make audit`",
          "once a day")),
    ],
    "V15.1.3": [
        ("security.md", "GraphQL limits", ("Depth ≤ 10", "cost ≤ 20 000", "bodies ≤ 64 KiB")),
        ("jobs.md", None, ("Emails, webhooks to integrators, exports, re-scoring", "do not run inside a\nrequest")),
        ("surveys.md", "Retention (`retention.py`)", ("`privacy.retention` job",)),
        ("surveys.md", "Importing historical responses", (f"at most {response_import.MAX_BATCH} responses",)),
        ("benchmarks.md", None, ("`make bench`",)),
    ],
}


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _section(document: str, heading: str | None) -> str:
    """The text of ``heading`` in ``docs/<document>`` (up to the next heading of its level or above), or all of it."""
    text = (DOCS / document).read_text(encoding="utf-8")
    if heading is None:
        return text
    match = re.search(rf"^(#+) {re.escape(heading)}\n", text, flags=re.MULTILINE)
    assert match, f"docs/{document} has no section {heading!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", flags=re.MULTILINE).search(text, match.end())
    section = text[match.end():end.start() if end else len(text)]
    assert len(section.split()) > 20, f"docs/{document} {heading!r} is (nearly) empty"
    return section


def _row(requirement: str) -> str:
    lines = (DOCS / "asvs.md").read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith(f"| {requirement} |")]
    assert len(rows) == 1, requirement
    return rows[0]


@pytest.mark.parametrize("requirement", sorted(CLAIMS))
def test_the_documents_a_row_names_say_what_it_claims(requirement: str) -> None:
    row = _row(requirement)
    assert THIS_TEST in row, f"docs/asvs.md {requirement} should point to this test"
    missing = []
    for document, heading, phrases in CLAIMS[requirement]:
        assert f"docs/{document}" in row, f"{requirement} does not name docs/{document}"
        section = _normal(_section(document, heading))
        missing += [f"docs/{document} {heading or ''}: {phrase!r}" for phrase in phrases
                    if _normal(phrase) not in section]
    for check in EXTRA.get(requirement, []):
        missing += check()
    assert missing == []


def test_every_row_pointing_here_is_checked() -> None:
    pointing = {line.split("|")[1].strip() for line in (DOCS / "asvs.md").read_text(encoding="utf-8").splitlines()
                if THIS_TEST in line}
    assert pointing == set(CLAIMS)



def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_the_asvs_document_names_exists() -> None:
    """Each ``tests/….py::test_name`` (a parameter in brackets allowed) and each portal test title
    (```frontend/….test.tsx` "title"``) docs/asvs.md names is a test of that file."""
    text = (DOCS / "asvs.md").read_text(encoding="utf-8")
    python = set(re.findall(r"`(tests/[\w/.-]+\.py)::(\w+)(?:\[[^`]*\])?`", text))
    portal = set(re.findall(r"`(frontend/[\w/.-]+\.test\.tsx?)` \"([^\"]+)\"", text))
    assert len(python) > 200 and len(portal) >= 10  # the patterns still find the document's references
    missing = [f"{path}::{name}" for path, name in sorted(python)
               if not (ROOT / path).is_file() or name not in _functions(ROOT / path)]
    missing += [f"{path} {title!r}" for path, title in sorted(portal)
                if not (ROOT / path).is_file() or title not in (ROOT / path).read_text(encoding="utf-8")]
    assert missing == []
