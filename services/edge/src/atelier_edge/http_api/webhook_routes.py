"""Webhooks in: each delivery goes to the service that owns it, raw, for that one to verify."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

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
