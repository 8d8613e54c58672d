"""atelier.billing.v1.BillingService: translates protobuf to billing's use cases and back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier_billing.api import wire_inputs
from atelier_billing.api.wire_messages import parked_event, payment, plan_terms, subscription
from atelier_billing.application.daily_credits import DailyCredits
from atelier_billing.application.intake import WebhookIntake
from atelier_billing.application.queries import BillingQueries
from atelier_runtime.proto_time import to_timestamp

Context = grpc.aio.ServicerContext[Any, Any]


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    def __init__(
        self,
        intake: WebhookIntake,
        queries: BillingQueries,
        daily: DailyCredits,
        clock: Callable[[], datetime],
    ) -> None:
        self._intake = intake
        self._queries = queries
        self._daily = daily
        self._clock = clock

    async def HandleStripeWebhook(
        self, request: billing_pb2.HandleStripeWebhookRequest, context: Context
    ) -> billing_pb2.HandleStripeWebhookResponse:
        header = wire_inputs.signature_header(request.headers)
        received = await self._intake.receive(request.body, header)
        return billing_pb2.HandleStripeWebhookResponse(
            event_id=received.event_id, type=received.type, duplicate=received.duplicate
        )

    async def HandleStripeEvent(
        self, request: billing_pb2.HandleStripeEventRequest, context: Context
    ) -> billing_pb2.HandleStripeEventResponse:
        received = await self._intake.receive(request.payload, request.signature_header or None)
        return billing_pb2.HandleStripeEventResponse(
            event_id=received.event_id, duplicate=received.duplicate
        )

    async def GetSubscription(
        self, request: billing_pb2.GetSubscriptionRequest, context: Context
    ) -> billing_pb2.GetSubscriptionResponse:
        account = wire_inputs.account_id("account_id", request.account_id)
        view = await self._queries.subscription(account)
        return billing_pb2.GetSubscriptionResponse(
            account_id=account,
            plan=plan_terms(view.plan),
            subscription=subscription(view.subscription) if view.subscription else None,
        )

    async def GetPlan(
        self, request: billing_pb2.GetPlanRequest, context: Context
    ) -> billing_pb2.GetPlanResponse:
        account = wire_inputs.account_id("account_id", request.account_id)
        plan = (await self._queries.subscription(account)).plan
        # A plan without monthly credits (the free one) is measured by its day.
        per_period = plan.monthly_credits or plan.daily_free_credits
        return billing_pb2.GetPlanResponse(plan=plan.name, credits_per_period=per_period)

    async def ListPayments(
        self, request: billing_pb2.ListPaymentsRequest, context: Context
    ) -> billing_pb2.ListPaymentsResponse:
        account = wire_inputs.account_id("account_id", request.account_id)
        size = wire_inputs.page_size("page_size", request.page_size)
        before = wire_inputs.cursor_of("page_token", request.page_token)
        page = await self._queries.payments(account, limit=size, before=before)
        return billing_pb2.ListPaymentsResponse(
            payments=[payment(p) for p in page.items],
            next_page_token=wire_inputs.page_token(page.next_cursor),
        )

    async def GrantDaily(
        self, request: billing_pb2.GrantDailyRequest, context: Context
    ) -> billing_pb2.GrantDailyResponse:
        account = wire_inputs.account_id("account_id", request.account_id)
        outcome = await self._daily.grant_today(account)
        return billing_pb2.GrantDailyResponse(
            granted=outcome.granted,
            amount=outcome.amount,
            grant_id=outcome.grant_id,
            date=outcome.day.isoformat(),
            expires_at=to_timestamp(outcome.expires_at),
            plan=outcome.plan,
        )

    async def ClaimDailyCredits(
        self, request: billing_pb2.ClaimDailyCreditsRequest, context: Context
    ) -> billing_pb2.ClaimDailyCreditsResponse:
        account = wire_inputs.account_id("account_id", request.account_id)
        wire_inputs.day("date", request.date, self._clock().date())
        outcome = await self._daily.grant_today(account)
        return billing_pb2.ClaimDailyCreditsResponse(granted=outcome.granted, amount=outcome.amount)

    async def ListParked(
        self, request: billing_pb2.ListParkedRequest, context: Context
    ) -> billing_pb2.ListParkedResponse:
        size = wire_inputs.page_size("page_size", request.page_size)
        after = wire_inputs.cursor_of("page_token", request.page_token) or 0
        page = await self._queries.stuck_events(limit=size, after=after)
        return billing_pb2.ListParkedResponse(
            events=[parked_event(e) for e in page.items],
            next_page_token=wire_inputs.page_token(page.next_cursor),
        )
