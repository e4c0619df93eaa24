"""Structured logging: JSON lines outside dev, readable lines in dev."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from pejling.core.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr, as JSON unless running in dev."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.json_logs:
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"}
        )
        handler.setFormatter(formatter)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # Tortoise logs every SQL statement with its parameters at DEBUG; keep them out unless asked.
    logging.getLogger("tortoise").setLevel(max(logging.INFO, root.level))
