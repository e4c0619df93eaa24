"""The one call the survey ingest makes when a response is stored: rollups and stored scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pejling.core.insights.rollups import record_response
from pejling.core.insights.scores import store_scores


async def response_stored(response: Any, taps: Sequence[Any], *, timezone: str | None = None,
                          plugins: Any | None = None) -> None:
    """Add a stored response to the rollups and store every enabled model's scores of it.

    Call it inside the transaction that stored the response. ``taps`` carry statement_id, goal, polarity, value,
    reaction_ms and warmup; ``timezone`` is the store's; ``plugins`` is ``app.state.plugins`` when at hand.
    """
    await record_response(response, taps, timezone=timezone, scores=False)
    await store_scores(plugins, response, taps, new=True)
