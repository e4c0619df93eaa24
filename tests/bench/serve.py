"""``pejling serve`` for the bench: the same server and options, serving :func:`tests.bench.bench_app.create_bench_app`.

    python -m tests.bench.serve --port 8123 --workers 2
"""

from __future__ import annotations

from pejling.core.cli import parser, run_server
from pejling.core.logs import configure_logging
from pejling.core.settings import get_settings

BENCH_APP = "tests.bench.bench_app:create_bench_app"


def main(argv: list[str] | None = None) -> int:
    """Parse ``serve``'s own options and serve the bench app."""
    args = parser().parse_args(["serve", *(argv or [])])
    settings = get_settings()
    configure_logging(settings)
    return run_server(settings, args, app_factory=BENCH_APP)


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
