"""The catalogue: tools, their models, what each costs and the params each accepts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from atelier_edge.adapters.generation_client import GenerationClient
from atelier_edge.http_api import models, wire
from atelier_edge.http_api.auth import Caller
from atelier_edge.http_api.problems import problem_responses

router = APIRouter(tags=["catalogue"])


@router.get("/v1/tools", response_model=models.ToolList, responses=problem_responses())
async def tools(request: Request, principal: Caller) -> models.ToolList:
    generation: GenerationClient = request.app.state.generation
    return models.ToolList(tools=[wire.tool(t) for t in await generation.tools()])
