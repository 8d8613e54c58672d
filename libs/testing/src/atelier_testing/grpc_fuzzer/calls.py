"""One call of a discovered method with raw bytes, under a deadline, reading every response."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import grpc.aio

from atelier_testing.grpc_fuzzer.discovery import Method


@dataclass(frozen=True)
class Outcome:
    """How a call ended; `error` keeps the trailers that carry the rich status."""

    code: grpc.StatusCode
    message: str
    error: grpc.aio.AioRpcError | None = None


OK = Outcome(grpc.StatusCode.OK, "")


def _raw(data: bytes) -> bytes:
    return data


async def invoke(
    channel: grpc.aio.Channel,
    method: Method,
    payload: bytes,
    deadline_s: float,
    metadata: tuple[tuple[str, str], ...] = (),
) -> Outcome:
    """Sends `payload` as the request; a stream is read to its end, since errors come last."""
    path = f"/{method.full_name}"
    try:
        if method.server_streaming:
            stream = channel.unary_stream(path, request_serializer=_raw, response_deserializer=_raw)
            async for _ in stream(payload, timeout=deadline_s, metadata=metadata):
                pass
        else:
            unary = channel.unary_unary(path, request_serializer=_raw, response_deserializer=_raw)
            await unary(payload, timeout=deadline_s, metadata=metadata)
    except grpc.aio.AioRpcError as error:
        return Outcome(error.code(), error.details() or "", error)
    return OK
