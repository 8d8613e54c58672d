"""A failed gRPC call as one line a person reads: the service's typed details put into words."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import grpc.aio
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2  # type: ignore[import-untyped]

from atelier.credits.v1 import credits_pb2
from atelier_runtime.grpc_errors import error_details

Requested = Mapping[str, object]
Render = Callable[[Any, Mapping[str, str], Requested], str]


def rpc_error_line(error: grpc.aio.AioRpcError, requested: Requested | None = None) -> str:
    """The first detail we know how to say, or the status message; `requested` is what we sent."""
    info, packed = error_details(error)
    metadata = dict(info.metadata) if info is not None else {}
    for detail in packed:
        for message_class, render in _RENDERERS:
            if detail.Is(message_class.DESCRIPTOR):
                return render(_unpacked(detail, message_class), metadata, requested or {})
    return f"{error.details() or 'no message'} ({error.code().name})"


def _unpacked(detail: any_pb2.Any, message_class: type[Message]) -> Any:
    message = message_class()
    detail.Unpack(message)
    return message


def _conflict(detail: Any, metadata: Mapping[str, str], requested: Requested) -> str:
    original = {
        key.removeprefix("original_"): value
        for key, value in metadata.items()
        if key.startswith("original_")
    }
    differences = [
        f"{key} {original[key] or '(none)'} ≠ {_said(value) or '(none)'}"
        for key, value in requested.items()
        if key in original and original[key] != _said(value)
    ]
    said = ", ".join(differences) or detail.existing
    return f"{detail.operation.lower()} {detail.id} already exists with other arguments: {said}"


def _insufficient(detail: Any, _: Mapping[str, str], __: Requested) -> str:
    return f"insufficient credits: {detail.available} available, {detail.requested} requested"


def _resolved(detail: Any, _: Mapping[str, str], __: Requested) -> str:
    why = f" ({detail.reason})" if detail.reason else ""
    return f"freeze {detail.freeze_id} is already {detail.resolution.replace('_', ' ')}{why}"


def _bad_request(detail: Any, _: Mapping[str, str], __: Requested) -> str:
    said = "; ".join(f"{v.field}: {v.description}" for v in detail.field_violations)
    return f"invalid request: {said}"


def _said(value: object) -> str:
    # As the service describes the original call, so equal values compare equal.
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


_RENDERERS: tuple[tuple[type[Message], Render], ...] = (
    (credits_pb2.IdempotencyConflict, _conflict),
    (credits_pb2.InsufficientCredits, _insufficient),
    (credits_pb2.FreezeAlreadyResolved, _resolved),
    (error_details_pb2.BadRequest, _bad_request),
)
