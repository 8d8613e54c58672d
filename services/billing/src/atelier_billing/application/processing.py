"""What every event handler works with: the transaction, the event and the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from atelier_billing.adapters import account_links, event_table
from atelier_billing.adapters.billing_messages import BillingMessages
from atelier_billing.domain.dispositions import Disposition, parked
from atelier_billing.domain.facts import Attribution
from atelier_billing.domain.plans import PlanBook
from atelier_billing.domain.stripe_event import StripeEvent
from atelier_runtime.db import DbConnection


@dataclass(frozen=True)
class Processing:
    conn: DbConnection
    event: StripeEvent
    plans: PlanBook
    grace: timedelta
    messages: BillingMessages


async def account_of(p: Processing, who: Attribution) -> str | None:
    """The account an event names outright, or the one its subscription or customer is linked to."""
    if who.account_id is not None:
        return who.account_id
    return await account_links.account_for(p.conn, who.keys())


async def remember(p: Processing, account_id: str, who: Attribution) -> None:
    """Links the subscription and customer to the account, and wakes what waited for that."""
    await account_links.link(p.conn, account_id, who.keys())
    await event_table.wake_waiting(p.conn, who.keys())


def unattributed(what: str, who: Attribution) -> Disposition:
    keys = who.keys()
    if not keys:
        return parked(f"{what} names no account, subscription or customer", ())
    return parked(f"{what}: no account is known for {' or '.join(keys)}", keys)
