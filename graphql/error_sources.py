"""Where the messages the API can return are written: a scan of the source for the English text of typed errors.

The messages of :class:`~pejling.graphql.errors.UserError` and :class:`~pejling.graphql.errors.ApiError` are
English in the code and translated when a response is written (:mod:`pejling.graphql.error_languages`). This
module finds every such English text without running anything: string literals and f-strings passed to the error
constructors of ``graphql/`` (and to the helpers that make its limit and rate-limit errors), to the refusals of
``core/``, ``tenants/`` and ``plugins/`` whose message the API passes on, and pydantic's common messages (a plugin's
configuration). An f-string becomes a template: ``f"Use at least {MIN_LENGTH} characters."`` is
``"Use at least {min_length} characters."``, the value's name lower-cased (an attribute's last part, ``value``
for anything else). The catalogs are keyed by these texts; ``tests/graphql/test_error_languages.py`` fails when
one has no translation, and ``python -m pejling.graphql.error_sources`` lists those (``--all`` lists every one).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The folders whose code can word an error the API returns.
FOLDERS = ("graphql", "core", "tenants", "plugins")

#: Error constructors of graphql/errors.py and the position of their ``message`` argument.
CONSTRUCTORS = {"UserError": None, "invalid": 1, "not_found": 1, "forbidden": 0, "ApiError": 0}
#: Helpers of one module that make a deliberate ``GraphQLError`` (with ``extensions.code``) of their first argument.
MODULE_CONSTRUCTORS = {"graphql/limits.py": {"_too_complex": 0}, "graphql/operation_limits.py": {"_refused": 0},
                       # a tenant statement's id: its ValueError becomes a SurveyChangeRefused
                       "core/surveys/bank.py": {"ValueError": 0}}
#: Variables of one module whose text becomes a message (the billing plugin's read-only reason, an ApiError's).
MODULE_MESSAGES = {"plugins/billing/subscription_state.py": ("reason",)}
#: Exceptions (and refusal records) whose message a mutation or query passes on as its error's message: the argument
#: is found by the position of ``message`` in the class's ``__init__`` (or its dataclass fields), or ``message=``.
REFUSALS = frozenset({
    "ApiTokenRefused", "BrandingRefused", "CodeRefused", "EndpointRefused", "FieldProblem", "FollowUpRefused",
    "ImportRefused",
    "IngestRefused", "InsightsRefused", "InvitationRefused", "LoginRefused", "MemberChangeRefused",
    "PasswordChangeRefused", "PlanLimitReached", "ResetRefused", "SignupRefused", "SsoConfigRefused",
    "SurveyChangeRefused", "Throttled", "UrlRefused", "WeakPassword",
})
#: pydantic's messages (its ``message_template_python``) that a plugin's configuration schema can return through
#: ``configurePlugin`` (core/plugin_enablement.py passes ``error["msg"]`` on), by pydantic error type. Other, rarer
#: pydantic messages stay English. ``{expected_plural}`` is pydantic's English plural "s": translations leave it out.
PYDANTIC_MESSAGES = {
    "missing": "Field required",
    "extra_forbidden": "Extra inputs are not permitted",
    "int_type": "Input should be a valid integer",
    "int_parsing": "Input should be a valid integer, unable to parse string as an integer",
    "int_from_float": "Input should be a valid integer, got a number with a fractional part",
    "float_type": "Input should be a valid number",
    "float_parsing": "Input should be a valid number, unable to parse string as a number",
    "finite_number": "Input should be a finite number",
    "bool_type": "Input should be a valid boolean",
    "bool_parsing": "Input should be a valid boolean, unable to interpret input",
    "string_type": "Input should be a valid string",
    "string_too_short": "String should have at least {min_length} character{expected_plural}",
    "string_too_long": "String should have at most {max_length} character{expected_plural}",
    "string_pattern_mismatch": "String should match pattern '{pattern}'",
    "greater_than": "Input should be greater than {gt}",
    "greater_than_equal": "Input should be greater than or equal to {ge}",
    "less_than": "Input should be less than {lt}",
    "less_than_equal": "Input should be less than or equal to {le}",
    "literal_error": "Input should be {expected}",
    "list_type": "Input should be a valid list",
    "dict_type": "Input should be a valid dictionary",
    "too_short": "{field_type} should have at least {min_length} item{expected_plural} after validation, not "
                 "{actual_length}",
    "too_long": "{field_type} should have at most {max_length} item{expected_plural} after validation, not "
                "{actual_length}",
    "url_type": "URL input should be a string or URL",
    "url_parsing": "Input should be a valid URL, {error}",
    "url_scheme": "URL scheme should be {expected_schemes}",
    "value_error": "Value error, {error}",
}
#: Placeholders of a library's English grammar that a translation may leave out.
DROPPABLE = frozenset({"expected_plural"})
#: Modules whose refusals of those names never reach the API (the command line's invitation import).
NOT_API = frozenset({"core/surveys/invitation_import.py", "core/surveys/response_csv.py", "core/cli.py"})


@dataclass(frozen=True)
class Source:
    """One English message (or template) and where it is written."""

    message: str
    path: str
    line: int


def _placeholder(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id.lower()
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    return "value"


def template(node: ast.JoinedStr) -> str:
    """The template of an f-string: each ``{expression}`` becomes a ``{name}`` (``name_2`` for a second of one name)."""
    parts: list[str] = []
    seen: dict[str, int] = {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
        elif isinstance(value, ast.FormattedValue):
            name = _placeholder(value.value)
            seen[name] = seen.get(name, 0) + 1
            parts.append("{" + (name if seen[name] == 1 else f"{name}_{seen[name]}") + "}")
    return "".join(parts)


def _texts(node: ast.expr | None, constants: dict[str, ast.expr],
           helpers: dict[str, list[ast.expr]] | None = None) -> Iterator[str]:
    """The English texts an expression can be: literals, f-string templates, both sides of ``a if c else b``, each
    part of ``a + b`` (translated sentence by sentence) and what a helper function of the module returns."""
    helpers = helpers or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        yield node.value.strip().replace("{", "{{").replace("}", "}}")
    elif isinstance(node, ast.JoinedStr):
        text = template(node).strip()
        if text:
            yield text
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _texts(node.left, constants, helpers)
        yield from _texts(node.right, constants, helpers)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
        for returned in helpers[node.func.id]:
            yield from _texts(returned, constants)
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body, constants, helpers)
        yield from _texts(node.orelse, constants, helpers)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _texts(value, constants, helpers)
    elif isinstance(node, ast.Name) and node.id in constants:
        yield from _texts(constants[node.id], constants, helpers)


def _message_argument(call: ast.Call, position: int | None) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "message":
            return keyword.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.expr]:
    """The default of a ``message`` parameter (``forbidden(message="...")``, ``Throttled.__init__``)."""
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    for argument, default in zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults,
                                 strict=True):
        if argument.arg == "message":
            yield default
    for argument, keyword_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if argument.arg == "message" and keyword_default is not None:
            yield keyword_default


def _returns(function: ast.FunctionDef) -> list[ast.expr]:
    return [node.value for node in ast.walk(function) if isinstance(node, ast.Return) and node.value is not None]


def message_positions(trees: list[ast.Module]) -> dict[str, int | None]:
    """Each refusal's position of ``message`` among its constructor's arguments (None: keyword only or none)."""
    positions: dict[str, int | None] = {}
    fallback: dict[str, int | None] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef) or node.name not in REFUSALS:
                continue
            init = next((item for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "__init__"),
                        None)
            if init is not None:
                names = [argument.arg for argument in init.args.posonlyargs + init.args.args][1:]
            else:  # a dataclass: its fields in order
                names = [item.target.id for item in node.body
                         if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)]
            if names:
                positions.setdefault(node.name, names.index("message") if "message" in names else None)
            else:  # an Exception subclass with neither: its message is the first argument (unless one of the same
                fallback.setdefault(node.name, 0)  # name elsewhere says otherwise)
    return fallback | positions


def module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """A module's top-level assignments by name."""
    constants = {target.id: statement.value for statement in tree.body if isinstance(statement, ast.Assign)
                 for target in statement.targets if isinstance(target, ast.Name)}
    constants |= {statement.target.id: statement.value for statement in tree.body
                  if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                  and statement.value is not None}
    return constants


def _names_in_scope(tree: ast.Module, relative: str, known: dict[str, dict[str, ast.expr]]) -> dict[str, ast.expr]:
    """What a name given as a message can be: a constant imported from another scanned module, a text assigned to it
    anywhere in this module (``message = f"..."`` in a function), a constant of this module (which wins)."""
    names: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pejling."):
            source = "/".join(node.module.split(".")[1:]) + ".py"
            for alias in node.names:
                if alias.name in known.get(source, {}):
                    names[alias.asname or alias.name] = known[source][alias.name]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.JoinedStr | ast.BinOp):
            names.update({target.id: node.value for target in node.targets if isinstance(target, ast.Name)})
    return names | module_constants(tree)


def scan_file(path: Path, tree: ast.Module, positions: dict[str, int | None],
              known: dict[str, dict[str, ast.expr]] | None = None) -> Iterator[Source]:
    """The messages written in one module (``known``: every scanned module's constants, for imported ones)."""
    relative = path.relative_to(ROOT).as_posix()
    constants = _names_in_scope(tree, relative, known or {})
    helpers = {statement.name: _returns(statement) for statement in tree.body
               if isinstance(statement, ast.FunctionDef)}
    constructors = CONSTRUCTORS | MODULE_CONSTRUCTORS.get(relative, {})
    for node in ast.walk(tree):
        found: list[ast.expr | None] = []
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in constructors:
                found.append(_message_argument(node, constructors[name]))
            elif name in REFUSALS and relative not in NOT_API:
                found.append(_message_argument(node, positions.get(name)))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in CONSTRUCTORS:
            found.extend(_defaults(node))
        elif isinstance(node, ast.ClassDef) and node.name in REFUSALS:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    found.extend(_defaults(item))
                elif isinstance(item, ast.FunctionDef) and item.name == "message":  # a message worked out
                    found.extend(_returns(item))
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id in
                                                MODULE_MESSAGES.get(relative, ()) for target in node.targets):
            found.append(node.value)
        for argument in found:
            for text in _texts(argument, constants, helpers):
                yield Source(text, relative, getattr(argument, "lineno", getattr(node, "lineno", 0)))


def scan() -> list[Source]:
    """Every English message the API can return, in file order (a message written twice appears twice)."""
    paths = [path for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))
             if "migrations" not in path.parts]
    trees = [ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in paths]
    positions = message_positions(trees)
    known = {path.relative_to(ROOT).as_posix(): module_constants(tree) for path, tree in zip(paths, trees, strict=True)}
    sources: list[Source] = []
    for path, tree in zip(paths, trees, strict=True):
        sources.extend(scan_file(path, tree, positions, known))
    sources.extend(Source(template, f"pydantic:{kind}", 0) for kind, template in PYDANTIC_MESSAGES.items())
    return sources


def messages() -> dict[str, list[Source]]:
    """Each distinct English message and the places it is written."""
    grouped: dict[str, list[Source]] = {}
    for source in scan():
        grouped.setdefault(source.message, []).append(source)
    return grouped


def main(argv: list[str]) -> int:
    from pejling.graphql.error_languages import ENGLISH_ONLY, TRANSLATED, catalog

    missing = 0
    for message, places in messages().items():
        if message in ENGLISH_ONLY:
            continue
        lacking = [language for language in TRANSLATED if message not in catalog(language)]
        if lacking or "--all" in argv:
            missing += bool(lacking)
            where = ", ".join(f"{place.path}:{place.line}" for place in places)
            print(f"{message!r}  [{where}]" + (f"  missing: {' '.join(lacking)}" if lacking else ""))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
