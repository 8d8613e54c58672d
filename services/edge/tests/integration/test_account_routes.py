"""GET /v1/me applies the day's free credits once; the ledger lists what happened, newest first."""

from __future__ import annotations

import pytest
from services.edge.tests.edge_platform import Platform

from atelier_testing.polling import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_me_grants_todays_free_credits_once_and_shows_the_balance(
    platform: Platform, account: str
) -> None:
    async with platform.client(account) as edge:
        first = await edge.get("/v1/me")
        again = await edge.get("/v1/me")

    assert first.status_code == 200
    body = first.json()
    assert body["account_id"] == account
    assert body["plan"] == "free"
    assert body["credits"] == {"available": 10, "frozen": 0}
    assert body["free_credits_today"]["granted_now"] is True
    assert again.json()["credits"] == {"available": 10, "frozen": 0}
    assert again.json()["free_credits_today"]["granted_now"] is False


async def test_the_ledger_is_newest_first_and_paginated_by_cursor(
    platform: Platform, account: str
) -> None:
    for amount in (1, 2, 3):
        await platform.grant(account, amount)

    async with platform.client(account) as edge:

        async def projected() -> bool:
            page = (await edge.get("/v1/credits/ledger", params={"limit": 5})).json()
            return len(page["lines"]) == 3

        # Statement lines are a projection of the ledger, written just after it.
        await eventually(projected, what="three statement lines")
        first = (await edge.get("/v1/credits/ledger", params={"limit": 2})).json()
        second = (
            await edge.get(
                "/v1/credits/ledger", params={"limit": 2, "cursor": first["next_cursor"]}
            )
        ).json()

    assert [line["amount"] for line in first["lines"]] == [3, 2]
    assert [line["amount"] for line in second["lines"]] == [1]
    assert second["next_cursor"] is None
    assert all(line["kind"] == "granted" for line in first["lines"] + second["lines"])
