"""Webhooks in: each delivery goes to the service that owns it, raw, for that one to verify."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from atelier.generation.v1 import generation_pb2
from atelier_edge.http_api.problems import problem
from atelier_edge.http_api.upstream_errors import upstream_problem

router = APIRouter(tags=["webhooks"])

# Stripe's events are far smaller; past this the body is refused before it is read whole.
MAX_WEBHOOK_BYTES = 1024 * 1024


@router.post(
    "/v1/webhooks/stripe",
    summary="Stripe events (signed with the endpoint's secret)",
    responses={400: {"description": "bad signature, stale timestamp or oversized body"}},
)
async def stripe_webhook(request: Request) -> Response:
    """Passes the body byte for byte (the signature covers it) and the headers to billing,
    which verifies, stores the event once and answers at once; it is processed afterwards."""
    body = await _bounded_body(request)
    if body is None:
        return problem(
            400,
            "invalid-request",
            "The request is not valid",
            f"the body exceeds {MAX_WEBHOOK_BYTES} bytes",
            errors=[{"field": "body", "problem": f"at most {MAX_WEBHOOK_BYTES} bytes"}],
        )
    try:
        stored = await request.app.state.billing.handle_stripe_webhook(body, dict(request.headers))
    except grpc.aio.AioRpcError as error:
        return upstream_problem(error)
    return JSONResponse(
        {"received": True, "event_id": stored.event_id, "duplicate": stored.duplicate}
    )


# Headers a proxy adds or that describe the connection: none is signed by a provider.
_NOT_FORWARDED = frozenset({"connection", "keep-alive", "transfer-encoding", "forwarded"})
_OUTCOMES = {
    generation_pb2.WEBHOOK_OUTCOME_RECORDED: "recorded",
    generation_pb2.WEBHOOK_OUTCOME_IGNORED: "ignored",
    generation_pb2.WEBHOOK_OUTCOME_UNKNOWN_JOB: "unknown_job",
}


@router.post(
    "/v1/webhooks/providers/{provider}",
    summary="A generation provider's callback (verified by the provider's adapter)",
    responses={
        400: {"description": "oversized body or malformed headers"},
        401: {"description": "the signature does not verify"},
        404: {"description": "no such provider"},
        412: {"description": "the provider is not configured"},
    },
)
async def provider_webhook(provider: str, request: Request) -> Response:
    """Passes the body byte for byte and the headers to generation, whose adapter for
    `provider` verifies the signature; a genuine callback is recorded and its job's driver
    acts on it at once. A callback about a job nobody knows is acknowledged, so the provider
    stops retrying it."""
    body = await _bounded_body(request)
    if body is None:
        return problem(
            400,
            "invalid-request",
            "The request is not valid",
            f"the body exceeds {MAX_WEBHOOK_BYTES} bytes",
            errors=[{"field": "body", "problem": f"at most {MAX_WEBHOOK_BYTES} bytes"}],
        )
    headers = {k: v for k, v in request.headers.items() if k not in _NOT_FORWARDED}
    try:
        answer = await request.app.state.generation.handle_provider_webhook(provider, headers, body)
    except grpc.aio.AioRpcError as error:
        return upstream_problem(error)
    return JSONResponse({"received": True, "outcome": _OUTCOMES.get(answer.outcome, "recorded")})


async def _bounded_body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            return None
    return bytes(body)
