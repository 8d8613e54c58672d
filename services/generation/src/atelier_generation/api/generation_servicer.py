"""atelier.generation.v1.GenerationService: translates protobuf to catalogue use cases and back.

Submit, GetGeneration and CancelGeneration come with the saga; until then they answer
UNIMPLEMENTED.
"""

from __future__ import annotations

from typing import Any, Never

import grpc

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier_generation.api.catalogue_messages import tool_message
from atelier_generation.api.error_details import field_violations
from atelier_generation.api.wire_inputs import catalogue_id, params_object
from atelier_generation.application.catalogue_queries import CatalogueQueries

Context = grpc.aio.ServicerContext[Any, Any]


class GenerationServicer(generation_pb2_grpc.GenerationServiceServicer):
    """The catalogue is fixed for the life of the process, so its listing is built once."""

    def __init__(self, queries: CatalogueQueries) -> None:
        self._queries = queries
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
        await _not_yet(context)

    async def GetGeneration(
        self, request: generation_pb2.GetGenerationRequest, context: Context
    ) -> generation_pb2.GetGenerationResponse:
        await _not_yet(context)

    async def CancelGeneration(
        self, request: generation_pb2.CancelGenerationRequest, context: Context
    ) -> generation_pb2.CancelGenerationResponse:
        await _not_yet(context)


async def _not_yet(context: Context) -> Never:
    await context.abort(grpc.StatusCode.UNIMPLEMENTED, "generations are not served yet")
