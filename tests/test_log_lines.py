"""Outside dev every log record is one JSON line, whatever its message holds (ASVS V16.4.1): a line break in a
message (a shopper's comment, a header value) cannot forge a second entry."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterator

import pytest

from pejling.core.logs import configure_logging
from pejling.core.settings import Settings

FORGED = 'comment text\n{"asctime": "2026-01-01T00:00:00+00:00", "level": "ERROR", "message": "forged"}\r\nmore'


@pytest.fixture
def logging_of() -> Iterator[Callable[[Settings], io.StringIO]]:
    """Set up logging with :func:`configure_logging` for some settings; returns what its stderr handler writes.
    The root logger is restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def configure(settings: Settings) -> io.StringIO:
        configure_logging(settings)
        [handler] = root.handlers
        assert isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr
        captured = io.StringIO()
        handler.setStream(captured)
        return captured

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("environment", ["production", "test"])
def test_a_message_with_line_breaks_is_one_json_line(
    settings: Settings, logging_of: Callable[[Settings], io.StringIO], environment: str
) -> None:
    stderr = logging_of(settings.model_copy(update={"environment": environment, "log_json": None, "log_level": "INFO"}))
    logging.getLogger("pejling.test").warning("shopper wrote %s", FORGED)
    try:
        raise ValueError(FORGED)
    except ValueError:
        logging.getLogger("pejling.test").exception("failed")
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 2, lines
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == f"shopper wrote {FORGED}" and first["level"] == "WARNING"
    assert second["message"] == "failed" and FORGED in second["exc_info"]


def test_dev_lines_are_text_for_people(settings: Settings, logging_of: Callable[[Settings], io.StringIO]) -> None:
    stderr = logging_of(settings.model_copy(update={"environment": "dev", "log_json": None, "log_level": "INFO"}))
    logging.getLogger("pejling.test").warning("two\nlines")
    assert stderr.getvalue().endswith("pejling.test: two\nlines\n")  # dev only: readable, not for log shipping
