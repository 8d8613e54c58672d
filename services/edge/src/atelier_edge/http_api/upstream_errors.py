"""The one table from a backend's gRPC status (and its typed details) to an HTTP problem."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi.responses import JSONResponse
from google.rpc import error_details_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status

from atelier_edge.http_api.problems import problem

# status → (HTTP status, stable problem type, title)
_TABLE: dict[grpc.StatusCode, tuple[int, str, str]] = {
    grpc.StatusCode.INVALID_ARGUMENT: (400, "invalid-request", "The request is not valid"),
    grpc.StatusCode.NOT_FOUND: (404, "not-found", "Not found"),
    grpc.StatusCode.ALREADY_EXISTS: (409, "conflict", "Already exists with other content"),
    grpc.StatusCode.ABORTED: (409, "conflict", "Changed meanwhile; try again"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "failed-precondition", "Not possible now"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "forbidden", "Not allowed"),
    grpc.StatusCode.UNAUTHENTICATED: (401, "unauthenticated", "Not signed in"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "rate-limited", "Too many requests"),
    grpc.StatusCode.UNAVAILABLE: (503, "unavailable", "A service is unavailable; try again"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (503, "unavailable", "A service did not answer in time"),
}
_RETRY_AFTER_S = "5"


def upstream_problem(error: grpc.aio.AioRpcError) -> JSONResponse:
    """The problem response for a failed backend call; anything unexpected is a 502."""
    status, kind, title = _TABLE.get(
        error.code(), (502, "upstream-error", "A service failed to answer")
    )
    extra: dict[str, Any] = {}
    violations = _field_violations(error)
    if violations:
        extra["errors"] = violations
    # A bug's message is the backend's own business; a refusal's is meant for the caller.
    detail = (error.details() or "") if status < 500 else ""
    response = problem(status, kind, title, detail, **extra)
    if status == 503:
        response.headers["Retry-After"] = _RETRY_AFTER_S
    return response


def _field_violations(error: grpc.aio.AioRpcError) -> list[dict[str, str]]:
    status = rpc_status.from_call(error)
    found: list[dict[str, str]] = []
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found += [
                {"field": v.field, "problem": v.description} for v in bad_request.field_violations
            ]
    return found
