"""Print the schema in SDL: ``python -m pejling.graphql.export_schema > graphql/schema.graphql``."""

from __future__ import annotations

from pejling.graphql.schema import build_schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
