"""The one table from a backend's gRPC status (and its typed details) to an HTTP problem.

A status has a default row; a stable ErrorInfo reason or a typed detail that changes what the
caller should do (pay, pick another key, fix a field) has a row of its own, checked first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from fastapi.responses import JSONResponse
from google.protobuf import any_pb2
from google.rpc import error_details_pb2  # type: ignore[import-untyped]

from atelier.credits.v1 import credits_pb2
from atelier_edge.http_api.problems import problem
from atelier_runtime.grpc_errors import error_details


@dataclass(frozen=True)
class Row:
    """What the caller gets: HTTP status, the stable problem type (the URI's last part), a title."""

    status: int
    kind: str
    title: str


_BY_STATUS: dict[grpc.StatusCode, Row] = {
    grpc.StatusCode.INVALID_ARGUMENT: Row(422, "invalid-request", "The request is not valid"),
    grpc.StatusCode.NOT_FOUND: Row(404, "not-found", "Not found"),
    grpc.StatusCode.ALREADY_EXISTS: Row(409, "conflict", "Already exists with other content"),
    grpc.StatusCode.ABORTED: Row(409, "conflict", "Changed meanwhile; try again"),
    grpc.StatusCode.FAILED_PRECONDITION: Row(409, "failed-precondition", "Not possible now"),
    grpc.StatusCode.PERMISSION_DENIED: Row(403, "forbidden", "Not allowed"),
    grpc.StatusCode.UNAUTHENTICATED: Row(401, "unauthenticated", "Not signed in"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: Row(429, "rate-limited", "Too many requests"),
    grpc.StatusCode.UNAVAILABLE: Row(503, "unavailable", "A service is unavailable; try again"),
    grpc.StatusCode.DEADLINE_EXCEEDED: Row(503, "unavailable", "A service did not answer in time"),
}
_UNEXPECTED = Row(502, "upstream-error", "A service failed to answer")

_INSUFFICIENT = Row(402, "insufficient-credits", "Not enough credits")
_KEY_REUSED = Row(
    422, "idempotency-key-reused", "The Idempotency-Key was used for a different request"
)
_BAD_SIGNATURE = Row(400, "invalid-request", "The request is not valid")

# Stable reasons the backends put in their ErrorInfo.
_BY_REASON: dict[str, Row] = {
    "INSUFFICIENT_CREDITS": _INSUFFICIENT,
    "IDEMPOTENCY_KEY_REUSED": _KEY_REUSED,
    # A webhook whose signature or size is refused: Stripe treats any 4xx alike, and a 400 is
    # what its dashboard shows as "bad request", not a validation failure of our API.
    "SIGNATURE_MISSING": _BAD_SIGNATURE,
    "SIGNATURE_MALFORMED": _BAD_SIGNATURE,
    "SIGNATURE_MISMATCH": _BAD_SIGNATURE,
    "SIGNATURE_TIMESTAMP_OUT_OF_TOLERANCE": _BAD_SIGNATURE,
    "BODY_TOO_LARGE": _BAD_SIGNATURE,
}
RETRY_AFTER_S = "5"


def upstream_problem(error: grpc.aio.AioRpcError) -> JSONResponse:
    """The problem response for a failed backend call; anything unexpected is a 502."""
    info, details = error_details(error)
    row = _row(error.code(), info, details)
    extra: dict[str, Any] = {}
    violations = _field_violations(details)
    if violations:
        extra["errors"] = violations
    shortfall = _insufficient_credits(details)
    if shortfall is not None:
        extra["available"] = shortfall.available
        extra["required"] = shortfall.requested
    # A bug's message is the backend's own business; a refusal's is meant for the caller.
    detail = (error.details() or "") if row.status < 500 else ""
    response = problem(row.status, row.kind, row.title, detail, **extra)
    if row.status in (429, 503):
        response.headers["Retry-After"] = RETRY_AFTER_S
    return response


def _row(
    code: grpc.StatusCode, info: error_details_pb2.ErrorInfo | None, details: list[any_pb2.Any]
) -> Row:
    if _insufficient_credits(details) is not None:
        return _INSUFFICIENT
    if any(d.Is(credits_pb2.IdempotencyConflict.DESCRIPTOR) for d in details):
        return _KEY_REUSED
    if info is not None and info.reason in _BY_REASON:
        return _BY_REASON[info.reason]
    return _BY_STATUS.get(code, _UNEXPECTED)


def _insufficient_credits(details: list[any_pb2.Any]) -> credits_pb2.InsufficientCredits | None:
    for packed in details:
        if packed.Is(credits_pb2.InsufficientCredits.DESCRIPTOR):
            found = credits_pb2.InsufficientCredits()
            packed.Unpack(found)
            return found
    return None


def _field_violations(details: list[any_pb2.Any]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for packed in details:
        if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            packed.Unpack(bad_request)
            found += [
                {"field": v.field, "problem": v.description} for v in bad_request.field_violations
            ]
    return found
