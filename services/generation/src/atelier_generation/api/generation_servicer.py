"""atelier.generation.v1.GenerationService: translates protobuf to use cases and back."""

from __future__ import annotations

from typing import Any

import grpc

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier_generation.api.catalogue_messages import tool_message
from atelier_generation.api.error_details import field_violations
from atelier_generation.api.generation_messages import generation_message
from atelier_generation.api.webhook_inputs import webhook_body, webhook_headers
from atelier_generation.api.wire_inputs import (
    catalogue_id,
    page_size,
    page_token,
    params_object,
    submitted_params,
    token_after,
)
from atelier_generation.application.catalogue_queries import CatalogueQueries
from atelier_generation.application.generation_queries import GenerationQueries
from atelier_generation.application.provider_webhooks import ReceiveWebhook, WebhookOutcome
from atelier_generation.application.submission import SubmitGeneration

Context = grpc.aio.ServicerContext[Any, Any]
_OUTCOMES = {
    WebhookOutcome.RECORDED: generation_pb2.WEBHOOK_OUTCOME_RECORDED,
    WebhookOutcome.IGNORED: generation_pb2.WEBHOOK_OUTCOME_IGNORED,
    WebhookOutcome.UNKNOWN_JOB: generation_pb2.WEBHOOK_OUTCOME_UNKNOWN_JOB,
}


class GenerationServicer(generation_pb2_grpc.GenerationServiceServicer):
    """The catalogue is fixed for the life of the process, so its listing is built once."""

    def __init__(
        self,
        queries: CatalogueQueries,
        submit: SubmitGeneration | None = None,
        generations: GenerationQueries | None = None,
        webhooks: ReceiveWebhook | None = None,
    ) -> None:
        self._queries = queries
        self._submit = submit
        self._generations = generations
        self._webhooks = webhooks
        self._listing = generation_pb2.ListToolsResponse(
            tools=[tool_message(tool, queries) for tool in queries.tools()]
        )

    async def ListTools(
        self, request: generation_pb2.ListToolsRequest, context: Context
    ) -> generation_pb2.ListToolsResponse:
        return self._listing

    async def EstimateCost(
        self, request: generation_pb2.EstimateCostRequest, context: Context
    ) -> generation_pb2.EstimateCostResponse:
        tool = catalogue_id("tool", request.tool)
        model = catalogue_id("model", request.model)
        params = params_object("params_json", request.params_json)
        with field_violations():
            estimate = self._queries.estimate(tool, model, params)
        return generation_pb2.EstimateCostResponse(
            credits=estimate.credits, cost_rule=estimate.rule
        )

    async def Submit(
        self, request: generation_pb2.SubmitGenerationRequest, context: Context
    ) -> generation_pb2.SubmitGenerationResponse:
        account = catalogue_id("account_id", request.account_id)
        key = catalogue_id("idempotency_key", request.idempotency_key)
        tool = catalogue_id("tool", request.tool)
        model = catalogue_id("model", request.model)
        params = submitted_params(request)
        assert self._submit is not None
        with field_violations():
            g = await self._submit(account, key, tool, model, params)
        return generation_pb2.SubmitGenerationResponse(generation=generation_message(g))

    async def GetGeneration(
        self, request: generation_pb2.GetGenerationRequest, context: Context
    ) -> generation_pb2.GetGenerationResponse:
        account = catalogue_id("account_id", request.account_id)
        gid = catalogue_id("generation_id", request.generation_id)
        assert self._generations is not None
        g = await self._generations.get(account, gid)
        return generation_pb2.GetGenerationResponse(generation=generation_message(g))

    async def CancelGeneration(
        self, request: generation_pb2.CancelGenerationRequest, context: Context
    ) -> generation_pb2.CancelGenerationResponse:
        account = catalogue_id("account_id", request.account_id)
        gid = catalogue_id("generation_id", request.generation_id)
        assert self._generations is not None
        g = await self._generations.cancel(account, gid)
        return generation_pb2.CancelGenerationResponse(generation=generation_message(g))

    async def ListGenerations(
        self, request: generation_pb2.ListGenerationsRequest, context: Context
    ) -> generation_pb2.ListGenerationsResponse:
        account = catalogue_id("account_id", request.account_id)
        limit = page_size(request.page_size)
        before = page_token(request.page_token)
        assert self._generations is not None
        page, after = await self._generations.page(account, before_seq=before, limit=limit)
        return generation_pb2.ListGenerationsResponse(
            generations=[generation_message(g) for g in page], next_page_token=token_after(after)
        )

    async def HandleProviderWebhook(
        self, request: generation_pb2.HandleProviderWebhookRequest, context: Context
    ) -> generation_pb2.HandleProviderWebhookResponse:
        provider = catalogue_id("provider", request.provider)
        body = webhook_body(request.body)
        headers = webhook_headers(request.headers)
        assert self._webhooks is not None
        outcome = await self._webhooks(provider, headers, body)
        return generation_pb2.HandleProviderWebhookResponse(outcome=_OUTCOMES[outcome])
