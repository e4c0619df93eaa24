"""The GraphQL form of an engine answer, converted once per answer.

The engine (``core/insights/engine.py``) hands out the same frozen answer for as long as the rollups have not changed
(its cache is keyed by the request, the viewer's visible stores included, and the rollup version). Converting that
answer into the GraphQL types is pure: the types hold data and no resolver reads the request. So the converted
object is kept beside the answer it came from, and a dashboard reloaded between two data changes reuses it,
the fields its earlier queries read already converted (``graphql/insights/lazy_sections.py``). At most as many
conversions are kept as the engine keeps answers, the least recently used dropped first.
"""

from __future__ import annotations

from collections import OrderedDict

from pejling.core.insights import sections
from pejling.core.insights.engine import CACHE_SIZE
from pejling.graphql.insights.sections import Insights

#: ``id(answer)`` -> (the answer, its conversion). The answer is held, so its ``id`` cannot be reused by another
#: object while the entry lives; the ``is`` check below still guards against it.
_converted: OrderedDict[int, tuple[sections.Insights, Insights]] = OrderedDict()


def graphql_insights(answer: sections.Insights) -> Insights:
    """``Insights.from_section(answer)``, made once per answer object and reused while the engine reuses it."""
    entry = _converted.get(id(answer))
    if entry is not None and entry[0] is answer:
        _converted.move_to_end(id(answer))
        return entry[1]
    converted = Insights.from_section(answer)
    _converted[id(answer)] = (answer, converted)
    while len(_converted) > CACHE_SIZE:
        _converted.popitem(last=False)
    return converted
