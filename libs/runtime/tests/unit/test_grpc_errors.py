from __future__ import annotations

import grpc
import grpc.aio
import pytest
from google.protobuf.struct_pb2 import Struct
from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-untyped]

from atelier_runtime.errors import (
    AtelierError,
    ErrorCode,
    FailedPrecondition,
    NotFound,
    Unavailable,
    error_class,
)
from atelier_runtime.grpc_errors import (
    INTERNAL_MESSAGE,
    STATUS_BY_CODE,
    error_details,
    to_atelier_error,
    to_rpc_status,
)


def as_rpc_error(status: grpc.Status) -> grpc.aio.AioRpcError:
    """What a client receives when a server aborts with `status`."""
    return grpc.aio.AioRpcError(
        status.code,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(*status.trailing_metadata),
        details=status.details,
    )


def shortfall() -> Struct:
    detail = Struct()
    detail.update({"needed": 30, "available": 12})
    return detail


def test_every_error_code_maps_to_its_own_grpc_status() -> None:
    assert set(STATUS_BY_CODE) == set(ErrorCode)
    assert len(set(STATUS_BY_CODE.values())) == len(ErrorCode)
    assert all(STATUS_BY_CODE[code].name == code.value for code in ErrorCode)


def test_every_code_has_a_subclass_that_carries_it() -> None:
    for code in ErrorCode:
        cls = error_class(code)
        assert cls("x", reason="SOME_REASON").code is code


def test_a_domain_error_becomes_its_status_with_error_info_and_details() -> None:
    error = FailedPrecondition(
        "insufficient credits",
        reason="INSUFFICIENT_CREDITS",
        metadata={"account_id": "acct-1"},
        details=[shortfall()],
    )

    status = to_rpc_status(error, domain="atelier.credits")

    assert status.code is grpc.StatusCode.FAILED_PRECONDITION
    assert status.details == "insufficient credits"
    [(key, value)] = status.trailing_metadata
    rich = status_pb2.Status.FromString(value)
    assert key == "grpc-status-details-bin"
    assert rich.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    info = error_details_pb2.ErrorInfo()
    assert rich.details[0].Unpack(info)
    assert (info.reason, info.domain) == ("INSUFFICIENT_CREDITS", "atelier.credits")
    assert dict(info.metadata) == {"account_id": "acct-1"}
    unpacked = Struct()
    assert rich.details[1].Unpack(unpacked)
    assert unpacked == shortfall()


def test_an_unexpected_exception_becomes_internal_without_its_message() -> None:
    status = to_rpc_status(KeyError("db password is hunter2"), domain="atelier.credits")

    assert status.code is grpc.StatusCode.INTERNAL
    assert status.details == INTERNAL_MESSAGE
    assert b"hunter2" not in status.trailing_metadata[0][1]


def test_a_client_reads_back_error_info_and_packed_details() -> None:
    error = NotFound("no such account", reason="ACCOUNT_NOT_FOUND", details=[shortfall()])
    rpc_error = as_rpc_error(to_rpc_status(error, domain="atelier.credits"))

    info, details = error_details(rpc_error)

    assert info is not None
    assert info.reason == "ACCOUNT_NOT_FOUND"
    [packed] = details
    assert packed.Is(Struct.DESCRIPTOR)


def test_a_client_rebuilds_the_same_business_error() -> None:
    error = FailedPrecondition(
        "insufficient credits", reason="INSUFFICIENT_CREDITS", metadata={"account_id": "acct-1"}
    )

    rebuilt = to_atelier_error(as_rpc_error(to_rpc_status(error, domain="atelier.credits")))

    assert isinstance(rebuilt, FailedPrecondition)
    assert rebuilt.message == "insufficient credits"
    assert rebuilt.reason == "INSUFFICIENT_CREDITS"
    assert rebuilt.metadata == {"account_id": "acct-1"}


def test_transport_failures_without_error_info_keep_their_code_as_reason() -> None:
    rpc_error = grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), details="refused"
    )

    rebuilt = to_atelier_error(rpc_error)

    assert isinstance(rebuilt, Unavailable)
    assert rebuilt.reason == "UNAVAILABLE"
    assert error_details(rpc_error) == (None, [])


def test_internal_errors_are_not_turned_into_business_errors() -> None:
    rpc_error = as_rpc_error(to_rpc_status(RuntimeError("bug"), domain="atelier.media"))

    assert to_atelier_error(rpc_error) is None


def test_reasons_must_be_upper_snake_case() -> None:
    with pytest.raises(ValueError, match="UPPER_SNAKE_CASE"):
        NotFound("missing", reason="account-missing")


def test_a_bare_atelier_error_must_say_its_code() -> None:
    with pytest.raises(TypeError):
        AtelierError("what kind?", reason="UNSPECIFIED")

    explicit = AtelierError("conflict", reason="VERSION_CLASH", code=ErrorCode.ABORTED)
    assert explicit.code is ErrorCode.ABORTED
    assert str(explicit) == "conflict"
