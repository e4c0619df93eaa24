"""No code is built from input at run time (ASVS V1.3.2) and no template from a string (V1.3.7).

Every ``.py`` file of the four packages and ``frontend/`` is read with ``ast``: a call of ``eval``, ``exec``,
``compile`` or ``__import__``, of a ``.eval(...)`` method, of ``jinja2.Template`` or an environment's
``.from_string(...)``, or a Jinja ``Environment`` without a file loader fails the test, unless it is listed in
:data:`ALLOWED` with the reason it is harmless.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("core", "graphql", "tenants", "plugins", "frontend")

DYNAMIC_BUILTINS = {"eval", "exec", "compile", "__import__"}
TEMPLATE_FROM_TEXT = {"from_string", "Template"}

#: (file, call) pairs that are not dynamic code: Redis runs our own fixed Lua script (``_REFUND``), never input.
ALLOWED = {("core/surveys/rate_limit.py", ".eval")}


def _python_files() -> list[Path]:
    files = [p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "node_modules" not in p.parts]
    assert len(files) > 100, "the scan should see the whole code base"
    return files


def _calls(path: Path) -> list[tuple[str, int]]:
    """The suspicious calls in a file: (what was called, line)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in DYNAMIC_BUILTINS | TEMPLATE_FROM_TEXT:
            found.append((func.id, node.lineno))
        elif isinstance(func, ast.Attribute) and func.attr in {"eval", "exec"} | TEMPLATE_FROM_TEXT:
            found.append((f".{func.attr}", node.lineno))
        elif isinstance(func, ast.Name | ast.Attribute) and (getattr(func, "id", None) or func.attr) == "Environment":
            loader = next((k.value for k in node.keywords if k.arg == "loader"), None)
            loader_func = getattr(loader, "func", None)
            loader_name = getattr(loader_func, "id", None) or getattr(loader_func, "attr", None)
            if loader_name not in {"FileSystemLoader", "PackageLoader"}:
                found.append(("Environment without a file loader", node.lineno))
    return found


def test_no_code_or_template_is_built_from_text_at_run_time() -> None:
    seen: set[tuple[str, str]] = set()
    problems = []
    for path in _python_files():
        relative = path.relative_to(ROOT).as_posix()
        for call, line in _calls(path):
            seen.add((relative, call))
            if (relative, call) not in ALLOWED:
                problems.append(f"{relative}:{line}: {call}")
    assert problems == []
    assert seen == ALLOWED, "an allowed call is gone: take it off ALLOWED"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import jinja2\n"
        "eval(text)\n"
        "exec(text)\n"
        "env.from_string(text)\n"
        "jinja2.Template(text)\n"
        "jinja2.Environment(autoescape=True)\n"
        "jinja2.Environment(loader=jinja2.FileSystemLoader('templates'))\n"
    )
    assert [call for call, _ in _calls(sample)] == [
        "eval", "exec", ".from_string", ".Template", "Environment without a file loader",
    ]
