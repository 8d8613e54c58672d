"""Which outcomes of a hostile call are findings."""

from __future__ import annotations

import grpc
import grpc.aio
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status

from atelier_testing.grpc_fuzzer.calls import OK, Outcome
from atelier_testing.grpc_fuzzer.verdicts import problems

Violation = error_details_pb2.BadRequest.FieldViolation


def failed(code: grpc.StatusCode, message: str, *details: Message) -> Outcome:
    status = status_pb2.Status(code=code.value[0], message=message)
    for detail in details:
        status.details.add().Pack(detail)
    trailers = rpc_status.to_status(status).trailing_metadata if details else ()
    error = grpc.aio.AioRpcError(
        code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=message
    )
    return Outcome(code, message, error)


def naming(field: str) -> error_details_pb2.BadRequest:
    return error_details_pb2.BadRequest(field_violations=[Violation(field=field, description="x")])


def test_a_refusal_naming_the_field_is_fine() -> None:
    outcome = failed(grpc.StatusCode.INVALID_ARGUMENT, "amount: too big", naming("amount"))

    assert problems(outcome, must_refuse=True) == []


def test_a_refusal_without_a_bad_request_or_naming_no_field_is_a_finding() -> None:
    bare = failed(grpc.StatusCode.INVALID_ARGUMENT, "bad")
    nameless = failed(grpc.StatusCode.INVALID_ARGUMENT, "bad", naming(""))

    assert problems(bare, must_refuse=False) == [
        "INVALID_ARGUMENT without a google.rpc.BadRequest detail"
    ]
    assert problems(nameless, must_refuse=False) == ["BadRequest field violations name no field"]


def test_server_errors_hangs_and_exhaustion_are_findings_whatever_else_holds() -> None:
    for code in (
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNAVAILABLE,
    ):
        assert len(problems(failed(code, "boom"), must_refuse=True)) == 1


def test_an_echoed_input_is_a_finding_even_in_an_ordinary_refusal() -> None:
    echo = failed(grpc.StatusCode.NOT_FOUND, "no account " + "x" * 2_000)

    assert problems(echo, must_refuse=False) == [
        "error message of 2,011 characters (echoes the input?)"
    ]


def test_accepting_or_otherwise_refusing_what_must_be_refused_is_a_finding() -> None:
    not_found = failed(grpc.StatusCode.NOT_FOUND, "no such freeze")

    assert problems(OK, must_refuse=True) == ["must be refused with INVALID_ARGUMENT, got OK"]
    assert problems(not_found, must_refuse=True) == [
        "must be refused with INVALID_ARGUMENT, got NOT_FOUND"
    ]
    assert problems(OK, must_refuse=False) == []
