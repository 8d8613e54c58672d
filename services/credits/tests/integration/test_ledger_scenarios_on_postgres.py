"""The shared ledger scenarios on PostgreSQL, through both executors."""

from __future__ import annotations

import pytest
from services.credits.tests.ledger_scenarios import SCENARIOS, LedgerBench, Scenario, scenario_id

from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.postgres_store import PostgresAccountStore
from atelier_runtime.db import DbPool


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
async def test_ledger_scenario_holds_on_postgres(scenario: Scenario, pool: DbPool) -> None:
    await scenario(LedgerBench.over(PostgresAccountStore(pool, event_mapper(), snapshot_every=3)))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
async def test_ledger_scenario_holds_on_postgres_with_batched_commits(
    scenario: Scenario, pool: DbPool
) -> None:
    bench = LedgerBench.batched(PostgresAccountStore(pool, event_mapper(), snapshot_every=3))
    try:
        await scenario(bench)
    finally:
        await bench.ledger.close()
