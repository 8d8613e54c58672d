"""A service's refusal, in words: its typed details, never raw protobuf."""

from __future__ import annotations

import grpc
import grpc.aio
from google.protobuf.message import Message

from atelier.credits.v1 import credits_pb2
from atelier_cli.rpc_error_text import rpc_error_line
from atelier_runtime.errors import AlreadyExists, AtelierError, FailedPrecondition, InvalidArgument
from atelier_runtime.grpc_errors import to_rpc_status


def failed_call(error: AtelierError) -> grpc.aio.AioRpcError:
    status = to_rpc_status(error, domain="atelier.credits")
    return grpc.aio.AioRpcError(
        status.code,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(*status.trailing_metadata),
        status.details,
    )


def with_detail(error: AtelierError, detail: Message) -> AtelierError:
    error.details = (detail,)
    return error


def test_a_reused_grant_id_names_the_argument_that_differs() -> None:
    conflict = with_detail(
        AlreadyExists(
            "Grant 'g-1' was already recorded with different arguments",
            reason="IDEMPOTENCY_CONFLICT",
            metadata={
                "operation": "Grant",
                "id": "g-1",
                "original_amount": "30",
                "original_source": "cli",
                "original_priority": "0",
                "original_expires_at": "",
            },
        ),
        credits_pb2.IdempotencyConflict(
            operation="Grant", id="g-1", existing="amount=30, priority=0, source=cli"
        ),
    )

    line = rpc_error_line(
        failed_call(conflict), {"amount": 7, "source": "cli", "priority": 0, "expires_at": None}
    )

    assert line == "grant g-1 already exists with other arguments: amount 30 ≠ 7"


def test_insufficient_credits_says_what_is_available_and_what_was_asked() -> None:
    refusal = with_detail(
        FailedPrecondition("cannot freeze 5 credits", reason="INSUFFICIENT_CREDITS"),
        credits_pb2.InsufficientCredits(account_id="acct-1", available=3, requested=5),
    )

    assert rpc_error_line(failed_call(refusal)) == "insufficient credits: 3 available, 5 requested"


def test_a_freeze_resolved_before_says_how() -> None:
    refusal = with_detail(
        FailedPrecondition("freeze 'f-1' is already rolled_back", reason="FREEZE_ALREADY_RESOLVED"),
        credits_pb2.FreezeAlreadyResolved(
            freeze_id="f-1", resolution="rolled_back", reason="expired"
        ),
    )

    assert rpc_error_line(failed_call(refusal)) == "freeze f-1 is already rolled back (expired)"


def test_an_invalid_argument_names_the_field() -> None:
    invalid = InvalidArgument(
        "account_id must not be empty",
        reason="INVALID_ACCOUNT_ID",
        metadata={"field": "account_id"},
    )

    line = rpc_error_line(failed_call(invalid))

    assert line == "invalid request: account_id: account_id must not be empty"


def test_an_error_without_details_is_its_message_and_status() -> None:
    call = grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "connection refused"
    )

    assert rpc_error_line(call) == "connection refused (UNAVAILABLE)"
