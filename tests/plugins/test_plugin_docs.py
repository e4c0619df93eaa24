"""docs/plugins.md documents every hook with its exact signature and docstring (as datasette's test_docs does)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pejling.core import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hook_specs() -> dict[str, Callable[..., Any]]:
    marker = f"{hookspecs.PROJECT}_spec"
    return {name: fn for name, fn in vars(hookspecs).items() if inspect.isfunction(fn) and hasattr(fn, marker)}


def signature(fn: Callable[..., Any]) -> str:
    """``def name(param: Annotation, ...) -> Return:`` exactly as written in the hookspec module."""
    sig = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {fn.__name__}({params}) -> {sig.return_annotation}:"


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


def test_hookspecs_are_found() -> None:
    assert {"register_scoring_models", "register_routes", "response_received"} <= set(hook_specs())


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_is_documented_with_its_exact_signature(name: str, docs: str) -> None:
    fn = hook_specs()[name]
    assert f"#### `{name}`" in docs, f"docs/plugins.md has no section for hook {name}"
    section = docs.split(f"#### `{name}`", 1)[1].split("\n#### ", 1)[0]
    documented = [line.strip() for line in section.splitlines() if line.strip().startswith(f"def {name}(")]
    assert documented == [signature(fn)], f"documented signature of {name} differs from core/hookspecs.py"
    assert squash(inspect.getdoc(fn) or "") in squash(section), f"docstring of {name} differs from the docs"


def test_docs_name_no_hook_that_does_not_exist(docs: str) -> None:
    documented = set(re.findall(r"^#### `(\w+)`", docs, flags=re.M))
    assert documented == set(hook_specs())


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hookspec_is_typed_and_keyword_callable(name: str) -> None:
    fn = hook_specs()[name]
    sig = inspect.signature(fn)
    assert inspect.getdoc(fn), f"{name} has no docstring"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name} has no return annotation"
    for param in sig.parameters.values():
        assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name}) has no type"
        # pluggy only matches plain parameters; callers always pass keywords.
        assert param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert param.default is inspect.Parameter.empty
