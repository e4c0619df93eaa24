"""The written security policies stay true to the code (ASVS V14.1.1, V14.1.2, V14.2.4, V11.1.1, V11.1.2, V16.1.1).

docs/security.md classifies the data, lists the keys and lists the logs. These tests read the source and fail when
the code gains a sealed column, a secret setting, a use of the secret key or a logger that the documents do not
name, or when a retention number they state no longer matches the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core": "pejling.core", "plugins": "pejling.plugins", "tenants": "pejling.tenants",
            "graphql": "pejling.graphql"}
SECURITY = ROOT / "docs" / "security.md"
ASVS = ROOT / "docs" / "asvs.md"


def section(title_start: str) -> str:
    """The text of the ``## `` section of docs/security.md whose title starts with ``title_start``."""
    text = SECURITY.read_text()
    start = text.index(f"\n## {title_start}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def subsection(text: str, title: str) -> str:
    """The ``### title`` part of ``text``."""
    start = text.index(f"\n### {title}\n")
    end = text.find("\n### ", start + 1)
    return text[start:end if end != -1 else len(text)]


def source_files() -> Iterator[tuple[str, Path, ast.Module]]:
    """Each Python file of the shipped packages as (dotted module name, path, parsed tree)."""
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT / folder).with_suffix("")
            parts = [part for part in relative.parts if part != "__init__"]
            yield ".".join([package, *parts]), path, ast.parse(path.read_text(), str(path))


def sealed_fields() -> list[tuple[str, str]]:
    """(class name, column) for every ``SEALED_FIELDS = (...)`` in a class body."""
    found = []
    for _, _, tree in source_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "SEALED_FIELDS" for t in item.targets):
                    columns = ast.literal_eval(item.value)
                    found.extend((node.name, column) for column in columns)
    return found


def _env_prefix(cls: ast.ClassDef) -> str | None:
    """The ``env_prefix`` of a pydantic settings class, or None when the class sets none."""
    for item in cls.body:
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config"
                                                 for t in item.targets) and isinstance(item.value, ast.Call):
            for keyword in item.value.keywords:
                if keyword.arg == "env_prefix":
                    return str(ast.literal_eval(keyword.value))
    return None


def secret_settings() -> list[str]:
    """The environment name of every setting typed ``SecretStr`` (alone or in a list) in a settings class."""
    names = []
    for _, _, tree in source_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            prefix = _env_prefix(node)
            if prefix is None:
                continue
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and \
                        "SecretStr" in ast.unparse(item.annotation):
                    names.append(prefix + item.target.id.upper())
    return names


def test_the_helpers_find_what_is_there() -> None:
    """The scans below are not vacuous: they see the sealed columns and secret settings known today."""
    assert ("TotpCredential", "secret_sealed") in sealed_fields()
    assert ("WebhookEndpoint", "previous_secret_sealed") in sealed_fields()
    assert {"PEJLING_SECRET_KEY", "PEJLING_ENCRYPTION_KEYS", "PEJLING_STRIPE_WEBHOOK_SECRET"} <= set(secret_settings())


def test_every_sealed_column_is_classified_as_a_secret() -> None:
    secrets_level = subsection(section("Data classification"), "Secrets")
    missing = [f"{cls}.{column}" for cls, column in sealed_fields() if f"`{cls}.{column}`" not in secrets_level]
    assert not missing, f"sealed columns not in docs/security.md, Data classification, Secrets: {missing}"


def test_columns_the_tenant_export_hides_are_classified_as_secrets() -> None:
    from pejling.core.followups.tenant_export import SECRET_COLUMNS

    secrets_level = subsection(section("Data classification"), "Secrets")
    assert "SECRET_COLUMNS" in secrets_level and "SEALED_FIELDS" in secrets_level
    assert {"token_hash", "password_hash", "key_hash", "secret"} == set(SECRET_COLUMNS), \
        "the tenant export hides other columns now: say which in docs/security.md, Data classification"


def test_every_secret_setting_is_in_the_key_inventory() -> None:
    inventory = section("Key management")
    missing = [name for name in secret_settings() if f"`{name}`" not in inventory]
    assert not missing, f"secret settings not in docs/security.md, Key management: {missing}"


def test_every_use_of_the_secret_key_is_in_the_key_inventory() -> None:
    """Each module that keys something with ``secret_bytes()`` is named in the row of ``PEJLING_SECRET_KEY``."""
    row = next(line for line in section("Key management").splitlines() if line.startswith("| `PEJLING_SECRET_KEY`"))
    users = set()
    for _, path, tree in source_files():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "secret_bytes" and path.name != "settings.py":
                users.add(path.relative_to(ROOT).as_posix())
    assert "core/auth/csrf.py" in users
    missing = sorted(user for user in users if f"`{user}`" not in row)
    assert not missing, f"modules keyed by PEJLING_SECRET_KEY that the inventory does not name: {missing}"


def test_every_logger_under_core_is_in_the_log_inventory() -> None:
    inventory = section("Log inventory")
    names = set()
    for module, _, tree in source_files():
        if not module.startswith("pejling.core."):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "getLogger" and node.args:
                argument = node.args[0]
                if isinstance(argument, ast.Name) and argument.id == "__name__":
                    names.add(module)
                elif isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    names.add(argument.value)
                else:  # a computed name: only core/logs.py may (the access logger, and configure_logging's loop)
                    assert module == "pejling.core.logs", f"{module} names a logger this test cannot read"
    from pejling.core.logs import ACCESS_LOGGER

    assert "pejling.jobs" in names and "pejling.core.mail" in names
    names.add(ACCESS_LOGGER)
    missing = sorted(name for name in names if f"`{name}`" not in inventory)
    assert not missing, f"loggers not in docs/security.md, Log inventory: {missing}"


def test_the_log_inventory_names_every_log_table() -> None:
    from pejling.core.audit.models import AuditEntry, InstanceAuditEntry
    from pejling.core.jobs.models import Job

    inventory = section("Log inventory")
    for model in (AuditEntry, InstanceAuditEntry, Job):
        assert f"`{model._meta.db_table}`" in inventory, model._meta.db_table


def test_the_retention_and_size_numbers_match_the_code() -> None:
    import pejling.core.jobs.housekeeping  # noqa: F401 - registers the hourly purge
    from pejling.core.audit.recording import MAX_OBJECT_IDS
    from pejling.core.jobs.queue import MAX_PAYLOAD_BYTES
    from pejling.core.jobs.registry import HOURLY_JOBS
    from pejling.core.jobs.worker import MAX_ERROR_LENGTH

    inventory = section("Log inventory")
    days = HOURLY_JOBS["jobs.purge_succeeded"]["older_than_days"]
    assert re.search(rf"Succeeded jobs are deleted after {days} days", inventory)
    for name, value in (("MAX_OBJECT_IDS", MAX_OBJECT_IDS), ("MAX_PAYLOAD_BYTES", MAX_PAYLOAD_BYTES),
                        ("MAX_ERROR_LENGTH", MAX_ERROR_LENGTH)):
        assert f"`{name}`" in inventory, name
        assert value > 0
    assert MAX_ERROR_LENGTH == 2000 and MAX_OBJECT_IDS == 100 and MAX_PAYLOAD_BYTES == 64 * 1024, \
        "a limit changed: check what docs/security.md, Log inventory, says of it"


def test_every_module_a_policy_names_exists() -> None:
    """A path in backticks in the three sections is a file or folder of the repository (no stale references)."""
    text = section("Data classification") + section("Key management") + section("Log inventory")
    paths = set(re.findall(r"`((?:core|plugins|tenants|graphql|tests)/[\w./]*)`", text))
    assert paths, "the sections name no code"
    missing = sorted(path for path in paths if not (ROOT / path).exists())
    assert not missing, f"docs/security.md names files that do not exist: {missing}"


def test_asvs_points_at_the_policies_and_no_longer_lists_them_as_missing() -> None:
    text = ASVS.read_text()
    table, _, not_met = text.partition("\n## Deliberate exceptions")
    for requirement in ("V14.1.1", "V14.1.2", "V14.2.4", "V11.1.1", "V11.1.2", "V16.1.1"):
        assert re.search(rf"^\| [^|]*{re.escape(requirement)}\b[^|]*\|.*tests/test_security_policies\.py", table,
                         re.MULTILINE), requirement
        assert f"**{requirement}" not in not_met and f", {requirement}" not in not_met.split("**Not verified")[0], \
            requirement


def test_every_module_that_seals_is_in_the_key_inventory() -> None:
    """Each module that calls ``seal`` of :mod:`pejling.core.secrets_at_rest` is named in the row of
    ``PEJLING_ENCRYPTION_KEYS``: a new kind of sealed value is a new thing the key protects."""
    row = next(line for line in section("Key management").splitlines()
               if line.startswith("| `PEJLING_ENCRYPTION_KEYS`"))
    sealers = set()
    for _, path, tree in source_files():
        imported = any(isinstance(node, ast.ImportFrom) and node.module == "pejling.core.secrets_at_rest" and
                       any(alias.name == "seal" for alias in node.names) for node in ast.walk(tree))
        calls = any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "seal"
                    for node in ast.walk(tree))
        if imported and calls:
            sealers.add(path.relative_to(ROOT).as_posix())
    assert "core/auth/two_step.py" in sealers
    from pejling.plugins.vipps.login import FLOW_SECONDS

    assert f"{FLOW_SECONDS // 60} minutes" in row, "the Vipps Login cookie's lifetime changed"
    missing = sorted(sealer for sealer in sealers if f"`{sealer}`" not in row)
    assert not missing, f"modules sealing under PEJLING_ENCRYPTION_KEYS that the inventory does not name: {missing}"
