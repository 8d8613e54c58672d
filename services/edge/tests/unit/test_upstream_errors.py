"""The one table from a backend's status and typed details to a problem, fed by the runtime's own
server-side mapping (the same bytes a backend puts on the wire)."""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.rpc import error_details_pb2  # type: ignore[import-untyped]

from atelier.credits.v1 import credits_pb2
from atelier_edge.http_api.upstream_errors import upstream_problem
from atelier_runtime.errors import (
    AlreadyExists,
    AtelierError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unavailable,
)
from atelier_runtime.grpc_errors import to_rpc_status


def as_received(error: Exception) -> grpc.aio.AioRpcError:
    status = to_rpc_status(error, domain="atelier.test")
    return grpc.aio.AioRpcError(
        status.code,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(*status.trailing_metadata),
        details=status.details,
    )


def answer(error: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = upstream_problem(as_received(error))
    assert response.media_type == "application/problem+json"
    return response.status_code, json.loads(bytes(response.body)), dict(response.headers)


def test_insufficient_credits_is_a_402_with_available_and_required() -> None:
    shortfall = credits_pb2.InsufficientCredits(account_id="acct-1", available=3, requested=16)
    refused: AtelierError = FailedPrecondition(
        "not enough", reason="INSUFFICIENT_CREDITS", details=[shortfall]
    )

    status, body, _ = answer(refused)

    assert status == 402
    assert body["type"] == "https://atelier.dev/problems/insufficient-credits"
    assert (body["available"], body["required"]) == (3, 16)


def test_a_reused_idempotency_key_is_a_422() -> None:
    status, body, _ = answer(
        AlreadyExists("idempotency_key: used", reason="IDEMPOTENCY_KEY_REUSED")
    )

    assert status == 422
    assert body["type"].endswith("/idempotency-key-reused")


def test_credits_idempotency_conflict_detail_is_a_422_too() -> None:
    conflict = credits_pb2.IdempotencyConflict(operation="Freeze", id="f1", existing="5")

    status, _, _ = answer(AlreadyExists("x", reason="CONFLICT", details=[conflict]))

    assert status == 422


def test_field_violations_become_a_422_naming_each_field() -> None:
    bad = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field="params.duration", description="too long"
            ),
            error_details_pb2.BadRequest.FieldViolation(
                field="params.seed", description="negative"
            ),
        ]
    )

    status, body, _ = answer(InvalidArgument("bad params", reason="INVALID_PARAMS", details=[bad]))

    assert status == 422
    assert [e["field"] for e in body["errors"]] == ["params.duration", "params.seed"]


def test_not_found_is_a_404_and_unavailable_a_503_with_retry_after() -> None:
    assert answer(NotFound("no generation", reason="GENERATION_NOT_FOUND"))[0] == 404

    status, body, headers = answer(Unavailable("down", reason="DOWN"))

    assert status == 503
    assert headers["retry-after"] == "5"
    assert "detail" not in body


def test_a_webhook_signature_refusal_stays_a_400() -> None:
    refused = InvalidArgument("bad", reason="SIGNATURE_MISMATCH", metadata={"field": "body"})

    assert answer(refused)[0] == 400


def test_a_backend_bug_is_a_502_that_tells_nothing() -> None:
    status, body, _ = answer(RuntimeError("secret internals"))

    assert status == 502
    assert "secret" not in json.dumps(body)
