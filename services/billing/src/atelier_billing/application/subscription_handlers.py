"""customer.subscription.*: the account's subscription state, and PlanChanged when it moves."""

from __future__ import annotations

from atelier_billing.adapters import subscription_table
from atelier_billing.application.processing import (
    Processing,
    account_of,
    remember,
    unattributed,
)
from atelier_billing.domain.dispositions import PROCESSED, Disposition
from atelier_billing.domain.facts import SubscriptionChanged
from atelier_billing.domain.subscriptions import applied, what_others_see


async def on_subscription_changed(p: Processing, fact: SubscriptionChanged) -> Disposition:
    account = await account_of(p, fact.who)
    if account is None:
        return unattributed(f"subscription {fact.subscription_id}", fact.who)
    await remember(p, account, fact.who)
    before = await subscription_table.load(p.conn, fact.subscription_id)
    after = applied(before, fact, account)
    if after == before:
        return PROCESSED  # an older or repeated change
    await subscription_table.save(p.conn, after)
    if before is None or what_others_see(before, p.plans) != what_others_see(after, p.plans):
        await p.messages.plan_changed(p.conn, after, stripe_event_id=p.event.event_id)
    return PROCESSED
