"""Import rules between the four folders, checked by reading every .py file with ``ast`` (what import-linter does).

* ``tenants/`` uses only the kernel's infrastructure from ``core/`` (settings, database, auth, mail), never a domain
  package (surveys, insights, followups, jobs, …), the plugin machinery or the web app.
* ``core/`` and ``tenants/`` know neither the API (``pejling.graphql``) nor a built-in plugin (``pejling.plugins``):
  not by import, not by module name in a string (``importlib``, ``importlib.resources.files``), not by path.

Known violations are listed in :data:`KNOWN` with the work that removes each. A new violation fails, and so does a
listed one that is gone: take it off the list, so the list only shrinks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pejling.core.plugin_manager import BUILTIN_PLUGINS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"core": "pejling.core", "tenants": "pejling.tenants", "graphql": "pejling.graphql",
            "plugins": "pejling.plugins"}

#: What ``tenants/`` may use of ``pejling.core`` (a module or a package, with everything below it).
TENANTS_MAY_USE = (
    "pejling.core.settings",
    "pejling.core.database",
    "pejling.core.migration_ops",  # migration operations of every app's migrations: database infrastructure
    "pejling.core.auth",  # actor, password hashing and secret digests: who is asking, not what they ask for
    "pejling.core.mail",
    "pejling.core.languages",  # the languages Pejling speaks: a tenant's default language is one of them
    "pejling.core.security_events",  # refusals counted for the security log (a tenant refused), like the access log
    "pejling.core.repeated_parameters",  # one value per request parameter (a ?tenant= given twice), an HTTP rule
)

DOTTED = re.compile(r"pejling(?:\.\w+)+")
"""A string that names one of our modules (``importlib.import_module``, ``importlib.resources.files``)."""

#: Neither core/ nor tenants/ may reach these.
OUTER = ("pejling.graphql", "pejling.plugins")

#: Packages whose ``from … import name`` imports a module of ours, not a name defined in the package.
CONTAINERS = ("pejling", "pejling.core")

#: The one sanctioned place where core names built-in plugins: the plugin manager registers them by module name,
#: exactly as it loads third-party ones from entry points (datasette's DEFAULT_PLUGINS).
SEAMS = {("core/plugin_manager.py", module) for module in BUILTIN_PLUGINS}

#: Violations that exist today, each with the issue work that removes it. Remove an entry when its work lands.
KNOWN: dict[tuple[str, str], str] = {
}


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    name = ".".join((PACKAGES[parts[0]], *parts[1:]))
    return name.removesuffix(".__init__")


def _is_module_name(text: str, prefixes: tuple[str, ...]) -> bool:
    return any(text == p or text.startswith(p + ".") for p in prefixes)


def references(path: Path, source: str) -> Iterator[str]:
    """Every module ``source`` (the file at ``path``) depends on: imports (also inside functions and relative),
    dotted names of our packages in strings, and our folders joined into paths (``… / "plugins" / …``)."""
    tree = ast.parse(source, filename=str(path))
    package = _module_of(path).rpartition(".")[0] if path.name != "__init__.py" else _module_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module in CONTAINERS:  # from pejling import plugins: the name imported is the module
                yield from (f"{module}.{alias.name}" for alias in node.names)
            else:
                yield module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.fullmatch(node.value):
            yield node.value
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value in ("plugins", "graphql"):
                    yield f"pejling.{side.value} (by path)"


def violations(path: Path, source: str) -> set[str]:
    """The rules ``source`` (the file at ``path`` under core/ or tenants/) breaks, as the modules it reaches."""
    in_tenants = path.relative_to(ROOT).parts[0] == "tenants"
    found = set()
    for module in references(path, source):
        name = module.removesuffix(" (by path)")
        core_domain = name.startswith("pejling.core.") and not _is_module_name(name, TENANTS_MAY_USE)
        if _is_module_name(name, OUTER) or (in_tenants and core_domain):
            found.add(module)
    return found


def _all_violations() -> set[tuple[str, str]]:
    found = set()
    for folder in ("core", "tenants"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            found |= {(rel, module) for module in violations(path, path.read_text(encoding="utf-8"))}
    return found - SEAMS


def test_no_new_violations() -> None:
    new = sorted(_all_violations() - KNOWN.keys())
    assert not new, "new import-rule violations (see this file's docstring):\n" + "\n".join(map(str, new))


def test_known_violations_still_exist() -> None:
    gone = sorted(KNOWN.keys() - _all_violations())
    assert not gone, "these known violations are gone; take them off KNOWN:\n" + "\n".join(map(str, gone))


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("core/x.py", "from pejling.graphql.schema import graphql_app\n", {"pejling.graphql.schema"}),
        ("core/x.py", "def f():\n    import pejling.plugins as p\n", {"pejling.plugins"}),
        ("core/x.py", "from pejling import plugins\n", {"pejling.plugins"}),
        ("core/x.py", "files('pejling.plugins.implicit_goals')\n", {"pejling.plugins.implicit_goals"}),
        ("core/x.py", "p = root / 'plugins' / 'x.toml'\n", {"pejling.plugins (by path)"}),
        ("core/surveys/x.py", "from ...graphql import schema\n", {"pejling.graphql"}),
        ("tenants/x.py", "from pejling.core.surveys.models import Response\n", {"pejling.core.surveys.models"}),
        ("tenants/x.py", "from pejling.core.jobs import queue\n", {"pejling.core.jobs"}),
        ("tenants/x.py", "from pejling.core import insights, settings\n", {"pejling.core.insights"}),
        ("tenants/x.py", "from pejling.core.auth.actor import Actor\nfrom pejling.core.settings import Settings\n",
         set()),
        ("core/x.py", "from graphql import parse\nfrom pejling.core.surveys import bank\nURL = '/plugins/'\n", set()),
        ("core/x.py", '"""pejling.graphql is where the API lives."""\n', set()),
    ],
)
def test_the_rules_catch_each_way_of_reaching_in(rel: str, source: str, expected: set[str]) -> None:
    assert violations(ROOT / rel, source) == expected
