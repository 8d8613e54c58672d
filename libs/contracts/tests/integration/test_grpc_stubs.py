"""The generated gRPC modules wire a grpc.aio servicer to a typed async stub over a real socket."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import grpc
import pytest

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc

DAILY_CREDITS = 10


class DailyCreditsDesk(billing_pb2_grpc.BillingServiceServicer):
    """A small BillingService that remembers what it saw, to exercise every generated method."""

    def __init__(self) -> None:
        self.seen_events: set[str] = set()
        self.claimed: set[tuple[str, str]] = set()

    async def HandleStripeEvent(
        self,
        request: billing_pb2.HandleStripeEventRequest,
        context: grpc.aio.ServicerContext[
            billing_pb2.HandleStripeEventRequest, billing_pb2.HandleStripeEventResponse
        ],
    ) -> billing_pb2.HandleStripeEventResponse:
        event_id = hashlib.sha256(request.payload).hexdigest()
        duplicate = event_id in self.seen_events
        self.seen_events.add(event_id)
        return billing_pb2.HandleStripeEventResponse(event_id=event_id, duplicate=duplicate)

    async def GetPlan(
        self,
        request: billing_pb2.GetPlanRequest,
        context: grpc.aio.ServicerContext[billing_pb2.GetPlanRequest, billing_pb2.GetPlanResponse],
    ) -> billing_pb2.GetPlanResponse:
        if not request.account_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "account_id is required")
        return billing_pb2.GetPlanResponse(plan="free", credits_per_period=DAILY_CREDITS)

    async def ClaimDailyCredits(
        self,
        request: billing_pb2.ClaimDailyCreditsRequest,
        context: grpc.aio.ServicerContext[
            billing_pb2.ClaimDailyCreditsRequest, billing_pb2.ClaimDailyCreditsResponse
        ],
    ) -> billing_pb2.ClaimDailyCreditsResponse:
        key = (request.account_id, request.date)
        granted = key not in self.claimed
        self.claimed.add(key)
        return billing_pb2.ClaimDailyCreditsResponse(
            granted=granted, amount=DAILY_CREDITS if granted else 0
        )

    async def HandleStripeWebhook(
        self,
        request: billing_pb2.HandleStripeWebhookRequest,
        context: grpc.aio.ServicerContext[
            billing_pb2.HandleStripeWebhookRequest, billing_pb2.HandleStripeWebhookResponse
        ],
    ) -> billing_pb2.HandleStripeWebhookResponse:
        event_id = hashlib.sha256(request.body).hexdigest()
        duplicate = event_id in self.seen_events
        self.seen_events.add(event_id)
        return billing_pb2.HandleStripeWebhookResponse(event_id=event_id, duplicate=duplicate)

    async def GetSubscription(
        self,
        request: billing_pb2.GetSubscriptionRequest,
        context: grpc.aio.ServicerContext[
            billing_pb2.GetSubscriptionRequest, billing_pb2.GetSubscriptionResponse
        ],
    ) -> billing_pb2.GetSubscriptionResponse:
        free = billing_pb2.PlanTerms(plan="free", daily_free_credits=DAILY_CREDITS)
        return billing_pb2.GetSubscriptionResponse(account_id=request.account_id, plan=free)

    async def ListPayments(
        self,
        request: billing_pb2.ListPaymentsRequest,
        context: grpc.aio.ServicerContext[
            billing_pb2.ListPaymentsRequest, billing_pb2.ListPaymentsResponse
        ],
    ) -> billing_pb2.ListPaymentsResponse:
        return billing_pb2.ListPaymentsResponse()

    async def GrantDaily(
        self,
        request: billing_pb2.GrantDailyRequest,
        context: grpc.aio.ServicerContext[
            billing_pb2.GrantDailyRequest, billing_pb2.GrantDailyResponse
        ],
    ) -> billing_pb2.GrantDailyResponse:
        key = (request.account_id, "today")
        granted = key not in self.claimed
        self.claimed.add(key)
        return billing_pb2.GrantDailyResponse(granted=granted, amount=DAILY_CREDITS)

    async def ListParked(
        self,
        request: billing_pb2.ListParkedRequest,
        context: grpc.aio.ServicerContext[
            billing_pb2.ListParkedRequest, billing_pb2.ListParkedResponse
        ],
    ) -> billing_pb2.ListParkedResponse:
        return billing_pb2.ListParkedResponse()


@pytest.fixture
async def billing() -> AsyncIterator[billing_pb2_grpc.BillingServiceAsyncStub]:
    server = grpc.aio.server()
    billing_pb2_grpc.add_BillingServiceServicer_to_server(DailyCreditsDesk(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield billing_pb2_grpc.BillingServiceStub(channel)
    await server.stop(grace=None)


async def test_a_stub_reaches_the_servicer_through_the_generated_wiring(
    billing: billing_pb2_grpc.BillingServiceAsyncStub,
) -> None:
    first = await billing.ClaimDailyCredits(
        billing_pb2.ClaimDailyCreditsRequest(account_id="acct-3f9a1c", date="2025-03-01")
    )
    again = await billing.ClaimDailyCredits(
        billing_pb2.ClaimDailyCreditsRequest(account_id="acct-3f9a1c", date="2025-03-01")
    )

    assert (first.granted, first.amount) == (True, DAILY_CREDITS)
    assert (again.granted, again.amount) == (False, 0)


async def test_a_bytes_payload_arrives_byte_for_byte(
    billing: billing_pb2_grpc.BillingServiceAsyncStub,
) -> None:
    payload = b'{"id": "evt_1", "type": "invoice.paid"}\r\n\x00\xff'

    reply = await billing.HandleStripeEvent(
        billing_pb2.HandleStripeEventRequest(payload=payload, signature_header="t=1,v1=abc")
    )

    assert reply.event_id == hashlib.sha256(payload).hexdigest()
    assert not reply.duplicate


async def test_a_servicer_abort_reaches_the_caller_as_its_status_code(
    billing: billing_pb2_grpc.BillingServiceAsyncStub,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await billing.GetPlan(billing_pb2.GetPlanRequest(account_id=""))

    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details() == "account_id is required"
