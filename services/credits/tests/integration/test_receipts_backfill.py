"""The migration that derives receipts from a log written before receipts existed agrees with
the receipts the store writes itself."""

from __future__ import annotations

from typing import Any

from services.credits.tests.integration.projection_support import Activity

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.receipts_backfill import RECEIPTS_BACKFILL
from atelier_runtime.db import DbPool


async def _receipts(pool: DbPool) -> dict[tuple[Any, str, str], tuple[int, Any]]:
    transcoder = event_mapper().transcoder
    rows = await pool.fetch("SELECT aggregate_id, kind, op_id, version, body FROM credits_receipts")
    return {
        (row["aggregate_id"], row["kind"], row["op_id"]): (
            row["version"],
            transcoder.decode(bytes(row["body"])),
        )
        for row in rows
    }


async def test_receipts_derived_from_the_log_equal_those_written_with_it(pool: DbPool) -> None:
    await Activity(pool, seed=31, accounts=3).run(120)
    written = await _receipts(pool)
    assert {kind for _, kind, _ in written} == {"grant", "freeze", "resolution", "revocation"}

    await pool.execute("DELETE FROM credits_receipts")
    await pool.execute(RECEIPTS_BACKFILL)
    derived = await _receipts(pool)

    # The store records a batch's receipts at the batch's last version, the log at each event's.
    assert {key: body for key, (_, body) in derived.items()} == {
        key: body for key, (_, body) in written.items()
    }
