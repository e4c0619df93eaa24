"""Nothing lost (issue 16): under load, PostgreSQL restarts and an app process is killed; the clients send each
failed submission again with its id; afterwards every accepted response is stored once with all its answers, nothing
else is, and the rollups equal a full recomputation.

The short version of the fault bench (``tests/bench/fault_bench.py``): a private PostgreSQL cluster (the shared one is
never restarted), ``pejling serve --workers 2``, a few seconds of load. It makes its own cluster whatever the suite's
backend, so it runs once (the SQLite pass). No timing is asserted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError

from pejling.core.plugin_manager import load_plugins
from pejling.core.settings import Settings
from pejling.core.surveys import response_writing
from pejling.core.surveys.ingest import IngestRefused, ingest_response
from tests.bench import fault_bench
from tests.bench.fault_bench import SHORT_FAULTS, judge, nothing_lost, rollup_differences
from tests.bench.fault_load import Tally
from tests.support.private_postgres import unavailable
from tests.support.stored import stored_counts
from tests.surveys.conftest import make_shop

_REASON = unavailable()


@pytest.mark.once
@pytest.mark.skipif(_REASON is not None, reason=_REASON or "")
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the uvicorn worker processes")
def test_nothing_is_lost_when_postgres_restarts_and_a_worker_is_killed(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    result = fault_bench.run_faults(seconds=6, clients=8, faults=SHORT_FAULTS, demo=False, environment="test",
                                    keep_log=log)
    shown = fault_bench.table(result) + "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])

    # The faults struck and were felt: PostgreSQL went away and came back, a worker died and was replaced, and some
    # submissions failed and were sent again; those that met the dead database were answered 503 (retryable).
    assert [event["kind"] for event in result["faults"]] == ["postgres-restart", "kill-worker"], shown
    assert result["faults"][1]["workers_after"], shown  # the supervisor started another worker
    assert result["server_alive"], shown
    assert result["attempts"] > result["submitted"] > 0, shown
    assert result["failures"].get("503", 0) > 0, shown

    # Nothing lost, nothing twice, nothing stored that no client was told of; the rollups equal a recomputation.
    assert result["lost"] == [] and result["unannounced"] == [] and result["duplicates"] == [], shown
    assert result["incomplete"] == [] and result["refused"] == {} and result["given_up"] == [], shown
    assert result["submitted"] == result["accepted"] == result["stored"], shown
    assert result["rollup_differences"] == [] and result["rollup_rows"] > 0, shown
    assert nothing_lost(result)


def _rollups(n: float) -> fault_bench.Rollups:
    return {"insights_daily": {("s", "z", "qr", "2026-01-01", "3"): {"n": n, "sum": 2.5}},
            "insights_statement_daily": {}, "insights_store_daily": {("s", "2026-01-01"): {"n": n}}}


def test_the_judgement_sees_a_lost_a_doubled_an_unannounced_and_an_incomplete_response() -> None:
    tally = Tally(submitted={"a", "b", "c", "d"}, accepted={"a", "b", "c"})
    result = judge(tally, ["a", "b", "b", "d"], {"a": 9, "b": 18, "d": 9}, _rollups(3), _rollups(3), taps=9)

    assert result["lost"] == ["c"]
    assert result["duplicates"] == ["b"]
    assert result["unannounced"] == ["d"]
    assert result["incomplete"] == ["b"]
    assert not nothing_lost(result)
    clean = judge(Tally(submitted={"a"}, accepted={"a"}), ["a"], {"a": 9}, _rollups(1), _rollups(1), taps=9)
    assert nothing_lost(clean)


def test_rollups_that_differ_from_the_recomputation_are_named() -> None:
    assert rollup_differences(_rollups(3), _rollups(3)) == []
    changed = rollup_differences(_rollups(3), _rollups(4))
    assert len(changed) == 2 and all("kept 3, recomputed 4" in line for line in changed)
    missing = _rollups(3)
    del missing["insights_store_daily"][("s", "2026-01-01")]
    assert rollup_differences(missing, _rollups(3)) == ["insights_store_daily ('s', '2026-01-01'): missing"]


def test_a_database_that_is_away_is_told_from_a_refusal() -> None:
    import asyncpg
    from tortoise.exceptions import IntegrityError, OperationalError

    from pejling.core.database import database_unavailable

    def raised_from(cause: BaseException) -> OperationalError:
        try:
            raise OperationalError(cause) from cause
        except OperationalError as error:
            return error

    assert database_unavailable(ConnectionRefusedError(111, "Connect call failed"))
    assert database_unavailable(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert database_unavailable(raised_from(asyncpg.exceptions.AdminShutdownError("terminating connection")))
    assert database_unavailable(asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle of operation"))
    assert not database_unavailable(IntegrityError("duplicate key value violates unique constraint"))
    assert not database_unavailable(raised_from(ValueError("invalid input syntax")))
    assert not database_unavailable(FileNotFoundError(2, "No such file"))


@pytest.mark.postgres_only
async def test_a_batch_whose_transaction_was_aborted_is_not_answered_as_stored(
    database: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error caught inside the batch's transaction leaves it aborted, and PostgreSQL's COMMIT then rolls it back
    without an error: the ingest must notice before it answers, not answer 2xx for responses that are not stored."""
    shop = await make_shop()
    plugins = await load_plugins(database)
    real = response_writing.record_responses

    async def record_then_swallow_an_error(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        try:
            await connections.get("default").execute_query("SELECT 1 / 0")
        except OperationalError:
            pass  # the fault: a caught database error inside the transaction

    monkeypatch.setattr(response_writing, "record_responses", record_then_swallow_an_error)
    with pytest.raises(Exception) as refused:
        await ingest_response(shop.payload(), tenant_slug=shop.tenant.slug, store_slug=shop.store.slug,
                              client_address="10.9.9.9", user_agent="", via="json", plugins=plugins)

    assert not isinstance(refused.value, IngestRefused) or refused.value.status >= 500
    assert await stored_counts(shop.tenant.id) == (0, 0, 0)  # and nothing half-stored
