"""What makes a call's outcome a finding: crashes, hangs, echoes, and refusals that explain nothing."""

from __future__ import annotations

import grpc
import grpc.aio
from google.rpc import error_details_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status

from atelier_testing.grpc_fuzzer.calls import Outcome

_CODE = grpc.StatusCode
# Requests above the server's receive limit are never sent, so none of these is the input's fault.
FAILING = {
    _CODE.UNKNOWN: "server error",
    _CODE.INTERNAL: "server error",
    _CODE.RESOURCE_EXHAUSTED: "resource exhausted below the receive limit (an echoed input?)",
    _CODE.DEADLINE_EXCEEDED: "no answer within the deadline (a hang)",
    _CODE.UNAVAILABLE: "service unavailable",
}
# A refusal names the problem; it must not hand a 100 KB input back to the caller (or its logs).
MAX_MESSAGE_CHARS = 1_024
MAX_DETAILS_BYTES = 4_096
_DETAILS_KEY = "grpc-status-details-bin"


def problems(outcome: Outcome, *, must_refuse: bool) -> list[str]:
    """Everything wrong with one outcome; empty when the server handled the input well."""
    found: list[str] = []
    if outcome.code in FAILING:
        found.append(FAILING[outcome.code])
    elif must_refuse and outcome.code is not _CODE.INVALID_ARGUMENT:
        found.append(f"must be refused with INVALID_ARGUMENT, got {outcome.code.name}")
    if outcome.error is not None:
        found.extend(_unbounded(outcome.message, outcome.error))
    if outcome.error is not None and outcome.code is _CODE.INVALID_ARGUMENT:
        found.extend(_unexplained(outcome.error))
    return found


def _unbounded(message: str, error: grpc.aio.AioRpcError) -> list[str]:
    found = []
    if len(message) > MAX_MESSAGE_CHARS:
        found.append(f"error message of {len(message):,} characters (echoes the input?)")
    details = sum(len(v) for k, v in error.trailing_metadata() or () if k == _DETAILS_KEY)
    if details > MAX_DETAILS_BYTES:
        found.append(f"error details of {details:,} bytes (echo the input?)")
    return found


def _unexplained(error: grpc.aio.AioRpcError) -> list[str]:
    """INVALID_ARGUMENT must say which field is wrong, in a google.rpc.BadRequest detail."""
    try:
        status = rpc_status.from_call(error)
    except ValueError as mismatch:
        return [f"rich status disagrees with the call's status: {str(mismatch)[:120]}"]
    if status is None:
        return ["INVALID_ARGUMENT without a google.rpc.BadRequest detail"]
    violations = []
    for packed in status.details:
        if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            packed.Unpack(bad_request)
            violations.extend(bad_request.field_violations)
    if not violations:
        return ["INVALID_ARGUMENT without a google.rpc.BadRequest detail"]
    if not any(violation.field for violation in violations):
        return ["BadRequest field violations name no field"]
    return []
