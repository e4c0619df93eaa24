"""The lazy conversion of insight sections into GraphQL types: a nested field is converted the first time it is read.

:func:`section_fields` reads a core section's fields by name (the names read once per type); :class:`LazySection`
and :func:`lazy_section` keep the engine's frozen section and convert the fields a type lists in ``_lazy`` on first
access, so a query that selects the NPS builds no trend points (``graphql/insights/sections.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, ClassVar, TypeVar

_NAMES: dict[type, tuple[str, ...]] = {}


def _names(section_type: type) -> tuple[str, ...]:
    """The field names of a core section type (read once per type: ``dataclasses.fields`` is slow)."""
    names = _NAMES.get(section_type)
    if names is None:
        names = _NAMES[section_type] = tuple(f.name for f in fields(section_type))
    return names


def section_fields(section: Any, **converted: Any) -> dict[str, Any]:
    """The section's fields by name, with ``converted`` (GraphQL sub-sections, global ids) in place of the core's."""
    values = {name: getattr(section, name) for name in _names(type(section))}
    values.update(converted)
    return values


class LazySection:
    """A GraphQL type whose nested fields (``_lazy``: field name -> conversion of the core section) are converted on
    first read. Built by :func:`lazy_section`; the core section is kept outside the dataclass fields."""

    _lazy: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        convert = type(self)._lazy.get(name)
        section = self.__dict__.get("_section")
        if convert is None or section is None:
            raise AttributeError(name)
        value = convert(section)
        self.__dict__[name] = value  # converted once, however often the query selects it
        return value


_T = TypeVar("_T", bound=LazySection)


def lazy_section(cls: type[_T], section: Any, **converted: Any) -> _T:
    """An instance of ``cls`` with the section's plain fields (and ``converted``) set, the lazy ones left for later."""
    instance = cls.__new__(cls)
    values = {name: value for name, value in section_fields(section, **converted).items() if name not in cls._lazy}
    instance.__dict__.update(values, _section=section)
    return instance
