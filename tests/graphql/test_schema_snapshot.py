from __future__ import annotations

from pathlib import Path

from pejling.graphql.export_schema import sdl

SNAPSHOT = Path(__file__).parents[2] / "graphql" / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SNAPSHOT.read_text() == sdl(), "GraphQL schema drifted: run `make schema` and commit graphql/schema.graphql"
