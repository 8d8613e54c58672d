"""Hostile input against every method of the real billing service: nothing crashes, hangs or
echoes, every refusal names its field, and billing still turns a paid pack into credits after."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from services.billing.tests.billing_service import Platform, fast_settings, serving_billing
from services.billing.tests.stripe_fake import StripeFake

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.credits.v1 import credits_pb2_grpc
from atelier_runtime.db import DbPool
from atelier_runtime.grpc_client import channel
from atelier_runtime.service_auth import bearer_metadata, sign_service_token
from atelier_testing.grpc_fuzzer import Baseline, Case, Trait, assert_no_findings, fuzz_service

SERVICE = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name
ADMIN = billing_pb2.DESCRIPTOR.services_by_name["BillingAdminService"].full_name
ACCOUNT = "acct-fuzz"
JWT = secrets.token_hex(32)

# The documented bounds at the door: account ids of printable characters, no NUL anywhere,
# bodies of at most 1 MiB, page tokens the service issued.
_ALWAYS_REFUSED = {Trait.NUL, Trait.LONG}


def outside_the_documented_bounds(case: Case) -> bool:
    return case.trait in _ALWAYS_REFUSED or (
        case.trait is Trait.CONTROL and case.field.endswith("_id")
    )


class Baselines:
    """Valid requests; each webhook is a new event, freshly signed."""

    def __init__(self) -> None:
        self._stripe = StripeFake()
        self._n = itertools.count()

    def _pack_event(self) -> tuple[bytes, dict[str, str]]:
        n = next(self._n)
        session = self._stripe.checkout(
            f"cs_fuzz_{n}",
            mode="payment",
            account=ACCOUNT,
            customer="cus_fuzz",
            price="price_pack_500",
            payment_intent=f"pi_fuzz_{n}",
            amount_total=1000,
        )
        event = self._stripe.event("checkout.session.completed", session)
        return event.body, event.headers

    def webhook(self) -> billing_pb2.HandleStripeWebhookRequest:
        body, headers = self._pack_event()
        return billing_pb2.HandleStripeWebhookRequest(body=body, headers=headers)

    def event(self) -> billing_pb2.HandleStripeEventRequest:
        body, headers = self._pack_event()
        return billing_pb2.HandleStripeEventRequest(
            payload=body, signature_header=headers["Stripe-Signature"]
        )

    def by_method(self) -> dict[str, Baseline]:
        today = datetime.now(UTC).date().isoformat()
        return {
            f"{SERVICE}/HandleStripeWebhook": self.webhook,
            f"{SERVICE}/HandleStripeEvent": self.event,
            f"{SERVICE}/GetSubscription": billing_pb2.GetSubscriptionRequest(account_id=ACCOUNT),
            f"{SERVICE}/GetPlan": billing_pb2.GetPlanRequest(account_id=ACCOUNT),
            f"{SERVICE}/ListPayments": billing_pb2.ListPaymentsRequest(
                account_id=ACCOUNT, page_size=10
            ),
            f"{SERVICE}/GrantDaily": billing_pb2.GrantDailyRequest(account_id=ACCOUNT),
            f"{SERVICE}/ClaimDailyCredits": billing_pb2.ClaimDailyCreditsRequest(
                account_id=ACCOUNT, date=today
            ),
            f"{SERVICE}/ListParked": billing_pb2.ListParkedRequest(page_size=10),
            f"{ADMIN}/Replay": billing_pb2.ReplayRequest(wait_seconds=0),
        }


@pytest.fixture
async def served(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool
) -> AsyncIterator[tuple[str, Platform]]:
    settings = fast_settings(database_url, nats_url, bus_prefix, credits_address, jwt_secret=JWT)
    async with (
        serving_billing(settings) as address,
        channel(address) as billing,
        channel(credits_address) as credits,
    ):
        yield (
            address,
            Platform(
                billing_pb2_grpc.BillingServiceStub(billing),  # type: ignore[arg-type]
                credits_pb2_grpc.CreditsServiceStub(credits),  # type: ignore[arg-type]
                db_pool,
                StripeFake(),
            ),
        )


async def test_hostile_input_is_refused_cleanly_and_billing_keeps_working(
    served: tuple[str, Platform],
) -> None:
    address, platform = served
    operator = sign_service_token(JWT, role="operator", subject="fuzzer")
    account = "acct-after-fuzz"

    async def still_grants_a_pack() -> None:
        pack = platform.stripe.checkout(
            platform.stripe.id("cs"),
            mode="payment",
            account=account,
            customer="cus_a",
            price="price_pack_500",
            payment_intent=platform.stripe.id("pi"),
            amount_total=1000,
        )
        before = (await platform.balance(account)).granted
        await platform.deliver(platform.stripe.event("checkout.session.completed", pack))
        await platform.settled()
        assert (await platform.balance(account)).granted == before + 500

    report = await fuzz_service(
        address,
        baselines=Baselines().by_method(),
        must_refuse=outside_the_documented_bounds,
        invariant=still_grants_a_pack,
        metadata=bearer_metadata(operator),
    )

    assert_no_findings(report)
    assert {m.rsplit("/", 1)[0] for m in report.methods} >= {SERVICE, ADMIN}
    assert report.cases > 150
