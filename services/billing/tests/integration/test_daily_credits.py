"""Daily free credits: once per account and UTC day, expiring at the day's end, drawn first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from services.billing.tests.billing_service import Platform

from atelier.billing.v1 import billing_pb2
from atelier.credits.v1 import credits_pb2
from atelier_testing.ids import random_id


async def test_the_days_credits_are_granted_on_first_sight_only(platform: Platform) -> None:
    account = random_id("acct")
    request = billing_pb2.GrantDailyRequest(account_id=account)

    first = await platform.billing.GrantDaily(request)
    again = await platform.billing.GrantDaily(request)

    today = datetime.now(UTC).date()
    assert (first.granted, first.amount, first.plan) == (True, 10, "free")
    assert first.grant_id == f"free:{account}:{today.isoformat()}"
    assert first.expires_at.ToDatetime(tzinfo=UTC) == datetime.combine(
        today + timedelta(days=1), datetime.min.time(), UTC
    )
    assert (again.granted, again.amount, again.grant_id) == (False, 10, first.grant_id)
    assert (await platform.balance(account)).granted == 10


async def test_the_days_credits_are_drawn_before_a_packs(platform: Platform) -> None:
    stripe, account = platform.stripe, random_id("acct")
    pack = stripe.checkout(
        "cs_d",
        mode="payment",
        account=account,
        customer="cus_d",
        price="price_pack_500",
        payment_intent="pi_d",
        amount_total=1000,
    )
    await platform.deliver(stripe.event("checkout.session.completed", pack))
    await platform.settled()
    daily = await platform.billing.GrantDaily(billing_pb2.GrantDailyRequest(account_id=account))

    frozen = await platform.credits.Freeze(
        credits_pb2.FreezeRequest(account_id=account, freeze_id="gen-1", amount=15)
    )

    assert [(d.grant_id, d.amount) for d in frozen.draws] == [
        (daily.grant_id, 10),
        ("pack:cs_d", 5),
    ]


async def test_claiming_a_day_other_than_today_is_refused(platform: Platform) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    request = billing_pb2.ClaimDailyCreditsRequest(account_id="acct-1", date=tomorrow)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await platform.billing.ClaimDailyCredits(request)

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    today = billing_pb2.ClaimDailyCreditsRequest(account_id="acct-1", date=tomorrow[:0])
    assert (await platform.billing.ClaimDailyCredits(today)).granted
