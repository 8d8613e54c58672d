"""A customer's whole life through Stripe, against a real credits ledger: subscribe, renew,
upgrade, a partial then a full refund, a dispute won, a dispute lost on another payment. The
ledger ends exactly where the hand computation below says, and the credits audit is clean.

Draw order (credits): higher priority first, then earliest expiry, then the oldest grant.
Subscription grants have priority 10, packs 0; a period's grant is two parts: 200 expiring at
the period's end + 3 days of grace, and the rollover-capped 200 a period later.
"""

from __future__ import annotations

import asyncpg
from services.billing.tests.billing_service import Platform
from services.billing.tests.stripe_fake import DAY, MONTH, SignedEvent
from services.billing.tests.subscription_story import START

from atelier.billing.v1 import billing_pb2
from atelier.credits.v1 import credits_pb2
from atelier_credits.adapters.audit_reader import audit_database
from atelier_credits.adapters.memory_store import event_mapper
from atelier_testing.ids import random_id
from atelier_testing.polling import eventually

BASIC, PRO = "price_basic_monthly", "price_pro_monthly"


class Customer:
    """One account's Stripe objects; each method sends one step and waits for its effects."""

    def __init__(self, platform: Platform) -> None:
        self.platform, self.stripe = platform, platform.stripe
        self.account = random_id("acct")
        self.customer, self.sub = self.stripe.id("cus"), self.stripe.id("sub")
        self.spent = 0

    async def send(self, *events: SignedEvent) -> None:
        await self.platform.deliver(*events)
        await self.platform.settled()

    def subscription(self, price: str, start: int) -> dict[str, object]:
        return self.stripe.subscription(
            self.sub, customer=self.customer, price=price, account=self.account, start=start
        )

    def invoice(self, invoice_id: str, pi: str, *lines: dict[str, object]) -> SignedEvent:
        invoice = self.stripe.invoice(
            invoice_id,
            subscription=self.sub,
            customer=self.customer,
            account=self.account,
            lines=list(lines),
            payment_intent=pi,
        )
        return self.stripe.event("invoice.paid", invoice)

    async def spend(self, amount: int) -> None:
        credits, freeze_id = self.platform.credits, random_id("gen")
        request = credits_pb2.FreezeRequest(
            account_id=self.account, freeze_id=freeze_id, amount=amount
        )
        await credits.Freeze(request)
        await credits.Confirm(
            credits_pb2.ConfirmRequest(account_id=self.account, freeze_id=freeze_id)
        )
        self.spent += amount

    async def available(self) -> int:
        return (await self.platform.balance(self.account)).available

    def dispute(self, dispute_id: str, kind: str, charge: str, pi: str, status: str) -> SignedEvent:
        dispute = self.stripe.dispute(
            dispute_id, charge=charge, payment_intent=pi, amount=0, status=status
        )
        return self.stripe.event(kind, dispute)


async def test_a_whole_life_leaves_the_ledger_where_the_hand_computation_says(
    platform: Platform, credits_database_url: str
) -> None:
    c = Customer(platform)
    stripe = c.stripe

    # Subscribe to basic for the month that ended today: 200 (live 3 more days) + 200.
    checkout = stripe.checkout(
        "cs_sub", mode="subscription", account=c.account, customer=c.customer, subscription=c.sub
    )
    await c.send(
        stripe.event("checkout.session.completed", checkout),
        stripe.event("customer.subscription.created", c.subscription(BASIC, START - MONTH)),
        c.invoice("in_1", "pi_1", stripe.line(BASIC, 900, start=START - MONTH)),
    )
    assert await c.available() == 400
    await c.spend(150)  # from in_1's first part, the earliest to expire: 50 left there

    # Renew: 200 + 200 more for this month.
    await c.send(
        stripe.event("customer.subscription.updated", c.subscription(BASIC, START)),
        c.invoice("in_2", "pi_2", stripe.line(BASIC, 900, start=START)),
    )
    assert await c.available() == 650

    # Upgrade to pro mid-month: topped up by pro's 2000 less basic's 400.
    now = START + DAY // 2
    await c.send(
        stripe.event("customer.subscription.updated", c.subscription(PRO, START)),
        c.invoice(
            "in_3",
            "pi_3",
            stripe.line(BASIC, -450, start=now, end=START + MONTH, proration=True),
            stripe.line(PRO, 1500, start=now, end=START + MONTH, proration=True),
        ),
    )
    assert await c.available() == 2250

    # Half of the upgrade refunded: half its 1600 credits clawed back.
    await c.send(
        stripe.event(
            "refund.created",
            stripe.refund("re_1", charge="ch_3", payment_intent="pi_3", amount=525),
        )
    )
    assert await c.available() == 1450
    # The other half, then the charge's own report of the full refund: 800 more, no more.
    await c.send(
        stripe.event(
            "refund.created",
            stripe.refund("re_2", charge="ch_3", payment_intent="pi_3", amount=525),
        ),
        stripe.event(
            "charge.refunded",
            stripe.charge("ch_3", payment_intent="pi_3", amount=1050, refunded=1050),
        ),
    )
    assert await c.available() == 650

    # A pack, then spending that leaves 250 of it.
    pack = stripe.checkout(
        "cs_pack",
        mode="payment",
        account=c.account,
        customer=c.customer,
        price="price_pack_500",
        payment_intent="pi_pack",
        amount_total=1000,
    )
    await c.send(stripe.event("checkout.session.completed", pack))
    await c.spend(900)
    assert await c.available() == 250

    # The renewal disputed: its 400 are due back but only 250 are unspent; won, exactly 250 return.
    await c.send(c.dispute("du_1", "charge.dispute.created", "ch_2", "pi_2", "needs_response"))
    assert await c.available() == 0
    await c.send(c.dispute("du_1", "charge.dispute.closed", "ch_2", "pi_2", "won"))
    assert await c.available() == 250

    # The pack disputed and lost: its 500 are due back, 250 can be taken; nothing more on losing.
    await c.send(
        c.dispute("du_2", "charge.dispute.created", "ch_pack", "pi_pack", "needs_response"),
        c.dispute("du_2", "charge.dispute.closed", "ch_pack", "pi_pack", "lost"),
    )

    balance = await platform.balance(c.account)
    granted = 400 + 400 + 1600 + 500 + 250
    revoked = 800 + 800 + 250 + 250
    assert (balance.granted, balance.consumed, balance.revoked) == (granted, c.spent, revoked)
    assert (balance.available, balance.frozen, balance.expired) == (0, 0, 0)
    assert c.spent == 1050

    await _statement_shows_each_movement_once(platform, c.account)
    await _payments_show_what_was_clawed_back(platform, c.account)
    await _credits_audit_is_clean(credits_database_url)


async def _statement_shows_each_movement_once(platform: Platform, account: str) -> None:
    expected = {
        ("granted", "invoice:in_1", 200),
        ("granted", "invoice:in_1:rollover", 200),
        ("granted", "invoice:in_2", 200),
        ("granted", "invoice:in_2:rollover", 200),
        ("granted", "invoice:in_3:upgrade", 1600),
        ("granted", "pack:cs_pack", 500),
        ("granted", "dispute-won:du_1", 250),
        ("revoked", "refund:re_1", 800),
        ("revoked", "refund:re_2", 800),
        ("revoked", "dispute:du_1", 250),
        ("revoked", "dispute:du_2", 250),
    }

    async def movements() -> bool:
        lines = await platform.statement(account)
        seen = [(x.kind, x.entry_id, x.amount) for x in lines if x.kind in ("granted", "revoked")]
        return sorted(seen) == sorted(expected)

    await eventually(movements, what="the statement lists every grant and clawback once")


async def _payments_show_what_was_clawed_back(platform: Platform, account: str) -> None:
    page = await platform.billing.ListPayments(billing_pb2.ListPaymentsRequest(account_id=account))
    rows = {
        p.payment_id: (p.credits, p.refunded_cents, p.credits_clawed_back) for p in page.payments
    }
    assert [p.payment_id for p in page.payments] == ["cs_pack", "in_3", "in_2", "in_1"]
    assert rows == {
        "in_1": (400, 0, 0),
        "in_2": (400, 0, 0),  # the dispute was won: nothing stands clawed back
        "in_3": (1600, 1050, 1600),
        "cs_pack": (500, 0, 500),
    }


async def _credits_audit_is_clean(credits_database_url: str) -> None:
    conn = await asyncpg.connect(credits_database_url)
    try:
        audit = await audit_database(conn, event_mapper())
    finally:
        await conn.close()
    assert audit.ok, audit.violations[:5]
