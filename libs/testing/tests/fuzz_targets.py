"""Services for the fuzzer's own tests: the credits API served by fakes, well and badly, on the
project's gRPC bootstrap, so reflection describes them exactly as it describes a real service."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2  # type: ignore[import-untyped]

from atelier.credits.v1 import credits_pb2
from atelier_runtime.errors import InvalidArgument
from atelier_runtime.grpc_server import GrpcServer, GrpcService
from atelier_runtime.settings import ServiceSettings

CREDITS = credits_pb2.DESCRIPTOR.services_by_name["CreditsService"]
MAX_TEXT = 200
MAX_NUMBER = 10**9
MAX_ELEMENTS = 100
LAST_VALID_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z
Behavior = Callable[[Any], Awaitable[Message]]


def field_violation(field: str, problem: str) -> InvalidArgument:
    """A refusal as a well-behaved service words it: short, naming the field, never the value."""
    violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=problem)
    return InvalidArgument(
        f"{field}: {problem}",
        reason="INVALID_FIELD",
        details=[error_details_pb2.BadRequest(field_violations=[violation])],
    )


def refuse_hostile(message: Message, prefix: str = "") -> None:
    """Raises a field violation for the first field a careful service would not accept."""
    for field, value in message.ListFields():
        name = f"{prefix}{field.name}"
        values = _elements(field, value)
        if len(values) > MAX_ELEMENTS:
            raise field_violation(name, f"at most {MAX_ELEMENTS} elements")
        for one in values:
            problem = _problem(field, one, name)
            if problem is not None:
                raise field_violation(name, problem)


def _elements(field: FieldDescriptor, value: Any) -> list[Any]:
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        return [*value.keys(), *value.values()]
    return list(value) if field.is_repeated else [value]


def _problem(field: FieldDescriptor, value: Any, name: str) -> str | None:
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = field.enum_type is not None and value in field.enum_type.values_by_number
        return None if known else "unknown value"
    if isinstance(value, Message):
        return _message_problem(value, name)
    if isinstance(value, str):
        printable = all(char.isprintable() for char in value)
        return None if printable and len(value) <= MAX_TEXT else "printable, at most 200"
    if isinstance(value, bytes):
        return None if len(value) <= MAX_TEXT else "at most 200 bytes"
    if isinstance(value, float):
        return None if math.isfinite(value) and value >= 0 else "finite, not negative"
    if isinstance(value, int) and not isinstance(value, bool):
        return None if 0 <= value <= MAX_NUMBER else f"within 0 and {MAX_NUMBER}"
    return None


def _message_problem(message: Message, name: str) -> str | None:
    kind = message.DESCRIPTOR.full_name
    seconds, nanos = getattr(message, "seconds", 0), getattr(message, "nanos", 0)
    if kind == "google.protobuf.Timestamp":
        valid = 0 <= seconds <= LAST_VALID_SECOND and 0 <= nanos < 10**9
        return None if valid else "an instant in 1970-9999"
    if kind == "google.protobuf.Duration":
        valid = 0 < seconds <= 86_400 and 0 <= nanos < 10**9
        return None if valid else "a positive duration up to a day"
    refuse_hostile(message, f"{name}.")
    return None


def well_behaved(response_type: type[Message]) -> Behavior:
    async def handle(request: Message) -> Message:
        refuse_hostile(request)
        return response_type()

    return handle


def response_type(service: ServiceDescriptor, method: str) -> type[Message]:
    return message_factory.GetMessageClass(service.methods_by_name[method].output_type)


def well_behaved_methods(service: ServiceDescriptor) -> dict[str, Behavior]:
    return {m.name: well_behaved(response_type(service, m.name)) for m in service.methods}


def handlers(service: ServiceDescriptor, behaviors: Mapping[str, Behavior]) -> Any:
    """Generic handlers for a service descriptor, each method served by a plain coroutine."""

    def unary(behavior: Behavior) -> Callable[[Any, Any], Awaitable[Message]]:
        # A coroutine function, not a lambda: the error interceptor wraps only those.
        async def handle(request: Any, context: Any) -> Message:
            return await behavior(request)

        return handle

    table: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service.methods:
        request_type = message_factory.GetMessageClass(method.input_type)
        table[method.name] = grpc.unary_unary_rpc_method_handler(
            unary(behaviors[method.name]),
            request_deserializer=request_type.FromString,
            response_serializer=lambda response: response.SerializeToString(),
        )
    return grpc.method_handlers_generic_handler(service.full_name, table)


@dataclass(frozen=True)
class Served:
    address: str
    server: GrpcServer


@contextlib.asynccontextmanager
async def serving(name: str, handler: Any) -> AsyncIterator[Served]:
    """Serves one generic handler with health and reflection."""
    settings = ServiceSettings(service_name="fuzzed", shutdown_drain_s=0, shutdown_grace_s=0)
    server = GrpcServer(
        [GrpcService(name, lambda server: server.add_generic_rpc_handlers((handler,)))], settings
    )
    port = await server.start()
    try:
        yield Served(f"127.0.0.1:{port}", server)
    finally:
        await server.stop()
