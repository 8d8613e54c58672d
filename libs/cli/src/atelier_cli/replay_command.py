"""`atelier replay`: rebuilds the credits projections from the event log."""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.replay import RebuildSummary, rebuild_projections
from atelier_credits.adapters.schema import MIGRATIONS
from atelier_runtime.db import apply_migrations, create_pool

EXIT_OK = 0
EXIT_FAILED = 1


def run_replay(database_url: str) -> int:
    """Rebuilds balances and statement lines in one transaction; exit 0 on success, 1 if not."""
    try:
        summary = asyncio.run(_replay(database_url))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        print(f"atelier replay: cannot rebuild the credits projections: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"rebuilt the credits projections from {summary.events} events: "
        f"{summary.accounts} account balances, {summary.lines} statement lines"
    )
    return EXIT_OK


async def _replay(database_url: str) -> RebuildSummary:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        # The same migrations the credits service applies at start: a no-op once it has run.
        await apply_migrations(pool, "credits", MIGRATIONS)
        return await rebuild_projections(pool, event_mapper())
    finally:
        await pool.close()
