"""The account's generations: start one (once per Idempotency-Key), list, read, cancel.

`/v1/generations/{id}/events` (the SSE stream) belongs beside these routes in a module of its own.
"""

from __future__ import annotations

import json
from typing import Annotated

import grpc
from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse

from atelier_edge.adapters.generation_client import GenerationClient
from atelier_edge.application.idempotent_submit import (
    IdempotentSubmit,
    KeyInFlight,
    KeyReused,
    Outcome,
)
from atelier_edge.application.inflight import InflightLimit
from atelier_edge.domain.idempotency import KEY_FORM, fingerprint, is_valid_key
from atelier_edge.http_api import models, wire
from atelier_edge.http_api.auth import Caller
from atelier_edge.http_api.pagination import Cursor, Limit, next_cursor
from atelier_edge.http_api.problems import ProblemError, problem_responses
from atelier_edge.http_api.upstream_errors import upstream_problem

router = APIRouter(tags=["generations"])
GenerationId = Annotated[str, Path(min_length=1, max_length=200)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=f"chosen by the client, {KEY_FORM}; a repeat returns the first answer",
    ),
]


def _generation(request: Request) -> GenerationClient:
    client: GenerationClient = request.app.state.generation
    return client


@router.post(
    "/v1/generations",
    status_code=202,
    response_model=models.Generation,
    responses=problem_responses(400, 402, 404, 409),
)
async def submit(
    request: Request,
    principal: Caller,
    body: models.GenerationRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Starts a generation; its cost is frozen before this answers (402 when it cannot be paid)."""
    key = _checked_key(idempotency_key)
    account = principal.account_id
    submitting: IdempotentSubmit = request.app.state.idempotent_submit
    limit: InflightLimit = request.app.state.inflight

    async def attempt() -> Outcome:
        try:
            g = await _generation(request).submit(
                account,
                key,
                body.tool,
                body.model,
                body.prompt,
                json.dumps(body.params or {}),
                body.inputs or [],
            )
        except grpc.aio.AioRpcError as error:
            refused = upstream_problem(error)
            return Outcome(refused.status_code, json.loads(bytes(refused.body)))
        return Outcome(202, wire.generation(g).model_dump(mode="json"))

    with limit.slot(account):
        try:
            outcome = await submitting(
                account, key, fingerprint(body.model_dump(mode="json")), attempt
            )
        except KeyInFlight:
            raise ProblemError(
                409,
                "idempotency-key-in-flight",
                "A request with this Idempotency-Key is still being answered",
                "retry once it has been answered; the repeat then gets the same answer",
                headers={"Retry-After": "1"},
            ) from None
        except KeyReused:
            raise ProblemError(
                422,
                "idempotency-key-reused",
                "The Idempotency-Key was used for a different request",
                errors=[{"field": "Idempotency-Key", "problem": "already used with another body"}],
            ) from None
    return _answer(outcome)


def _checked_key(value: str | None) -> str:
    if value is None or not is_valid_key(value):
        problem = "is required" if value is None else f"must be {KEY_FORM}"
        raise ProblemError(
            400,
            "idempotency-key-required" if value is None else "invalid-idempotency-key",
            "A valid Idempotency-Key header is required",
            f"Idempotency-Key {problem}",
            errors=[{"field": "Idempotency-Key", "problem": problem}],
        )
    return value


def _answer(outcome: Outcome) -> JSONResponse:
    media_type = "application/json" if outcome.status < 400 else "application/problem+json"
    response = JSONResponse(outcome.body, status_code=outcome.status, media_type=media_type)
    if outcome.status == 503:
        response.headers["Retry-After"] = "5"
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.get("/v1/generations", response_model=models.GenerationPage, responses=problem_responses())
async def list_generations(
    request: Request, principal: Caller, limit: Limit = 20, cursor: Cursor = ""
) -> models.GenerationPage:
    """The account's generations, newest first."""
    page = await _generation(request).page(principal.account_id, limit, cursor)
    return models.GenerationPage(
        generations=[wire.generation(g) for g in page.generations],
        next_cursor=next_cursor(page.next_page_token),
    )


@router.get(
    "/v1/generations/{generation_id}",
    response_model=models.Generation,
    responses=problem_responses(404),
)
async def get_generation(
    request: Request, principal: Caller, generation_id: GenerationId
) -> models.Generation:
    """Another account's generation answers 404, as if it did not exist."""
    return wire.generation(await _generation(request).get(principal.account_id, generation_id))


@router.post(
    "/v1/generations/{generation_id}/cancel",
    response_model=models.Generation,
    responses=problem_responses(404, 409),
)
async def cancel_generation(
    request: Request, principal: Caller, generation_id: GenerationId
) -> models.Generation:
    """Cancels a queued or running generation; its credits are rolled back. Idempotent."""
    return wire.generation(await _generation(request).cancel(principal.account_id, generation_id))
