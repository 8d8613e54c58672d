"""customer.subscription.* keep the account's plan current, newest change wins whatever the
arrival order, and each change is published as atelier.billing.plan_changed; a failed payment
flags the account past due and revokes nothing."""

from __future__ import annotations

import nats
from services.billing.tests.billing_service import Platform
from services.billing.tests.subscription_story import START

from atelier.billing.v1 import billing_pb2
from atelier.events.v1 import billing_pb2 as events_pb2
from atelier.events.v1 import envelope_pb2
from atelier_runtime.bus_names import BusNames
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually


async def published(nats_url: str, names: BusNames, event: str) -> list[envelope_pb2.Envelope]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        subscription = await js.subscribe(names.subject("billing", event), ordered_consumer=True)
        envelopes: list[envelope_pb2.Envelope] = []
        while True:
            try:
                message = await subscription.next_msg(timeout=0.5)
            except nats.errors.TimeoutError:
                return envelopes
            envelopes.append(envelope_pb2.Envelope.FromString(message.data))
    finally:
        await client.close()


async def subscription_of(platform: Platform, account: str) -> billing_pb2.GetSubscriptionResponse:
    return await platform.billing.GetSubscription(
        billing_pb2.GetSubscriptionRequest(account_id=account)
    )


async def test_the_newest_change_wins_whatever_the_arrival_order(
    platform: Platform, nats_url: str, bus_prefix: str
) -> None:
    stripe, account = platform.stripe, random_id("acct")

    def change(**fields: object) -> dict[str, object]:
        base = stripe.subscription(
            "sub_s", customer="cus_s", price="price_basic_monthly", account=account, start=START
        )
        return {**base, **fields}

    created = stripe.event("customer.subscription.created", change(status="incomplete"))
    active = stripe.event("customer.subscription.updated", change(status="active"))
    upgraded = stripe.event(
        "customer.subscription.updated",
        change(
            items={
                "data": [
                    {
                        "price": {"id": "price_pro_monthly"},
                        "current_period_start": START,
                        "current_period_end": START + 100,
                    }
                ]
            },
            cancel_at_period_end=True,
        ),
    )
    await platform.deliver(upgraded, created, active)
    await platform.settled()

    state = await subscription_of(platform, account)
    assert state.plan.plan == "pro"
    assert state.plan.monthly_credits == 2000
    assert (state.subscription.status, state.subscription.cancel_at_period_end) == ("active", True)

    async def announced() -> bool:
        envelopes = await published(nats_url, BusNames(bus_prefix), "plan_changed")
        return [e.causation_id for e in envelopes] == [upgraded.event_id]

    await eventually(announced, what="one plan_changed for the newest change")
    [envelope] = await published(nats_url, BusNames(bus_prefix), "plan_changed")
    change_event = events_pb2.PlanChanged()
    envelope.payload.Unpack(change_event)
    assert (change_event.account_id, change_event.plan) == (account, "pro")


async def test_a_deleted_subscription_puts_the_account_back_on_the_free_plan(
    platform: Platform,
) -> None:
    stripe, account = platform.stripe, random_id("acct")
    subscription = stripe.subscription(
        "sub_d", customer="cus_d", price="price_basic_monthly", account=account, start=START
    )

    await platform.deliver(
        stripe.event("customer.subscription.created", subscription),
        stripe.event("customer.subscription.deleted", subscription),
    )
    await platform.settled()

    state = await subscription_of(platform, account)
    assert (state.plan.plan, state.subscription.status) == ("free", "canceled")
    plan = await platform.billing.GetPlan(billing_pb2.GetPlanRequest(account_id=account))
    assert (plan.plan, plan.credits_per_period) == ("free", 10)


async def test_a_failed_payment_flags_past_due_until_a_later_one_succeeds(
    platform: Platform, nats_url: str, bus_prefix: str
) -> None:
    stripe, account = platform.stripe, random_id("acct")
    subscription = stripe.subscription(
        "sub_f", customer="cus_f", price="price_basic_monthly", account=account, start=START
    )
    invoice = stripe.invoice(
        "in_f",
        subscription="sub_f",
        customer="cus_f",
        account=account,
        lines=[stripe.line("price_basic_monthly", 900, start=START)],
    )
    await platform.deliver(
        stripe.event("customer.subscription.created", subscription),
        stripe.event("invoice.payment_failed", invoice),
    )
    await platform.settled()

    assert (await subscription_of(platform, account)).subscription.past_due
    assert (await platform.balance(account)).granted == 0

    async def failure_published() -> bool:
        envelopes = await published(nats_url, BusNames(bus_prefix), "payment_failed")
        return [e.subject_id for e in envelopes] == [account]

    await eventually(failure_published, what="payment_failed published once")

    await platform.deliver(stripe.event("invoice.paid", invoice))
    await platform.settled()

    assert not (await subscription_of(platform, account)).subscription.past_due
    assert (await platform.balance(account)).granted == 400


async def test_an_account_that_never_subscribed_is_on_the_free_plan(platform: Platform) -> None:
    state = await subscription_of(platform, random_id("acct"))

    assert state.plan.plan == "free"
    assert not state.HasField("subscription")
