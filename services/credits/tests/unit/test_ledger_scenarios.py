"""The shared ledger scenarios, on the in-memory repository."""

from __future__ import annotations

import pytest
from services.credits.tests.ledger_scenarios import (
    SCENARIOS,
    LedgerBench,
    Scenario,
    scenario_id,
)

from atelier_credits.adapters.memory_store import InMemoryAccountStore


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
async def test_ledger_scenario_holds_on_the_memory_store(scenario: Scenario) -> None:
    await scenario(LedgerBench.over(InMemoryAccountStore()))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
async def test_ledger_scenario_holds_with_batched_commits(scenario: Scenario) -> None:
    bench = LedgerBench.batched(InMemoryAccountStore())
    try:
        await scenario(bench)
    finally:
        await bench.ledger.close()
