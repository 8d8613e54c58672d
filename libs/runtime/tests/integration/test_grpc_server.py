from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.struct_pb2 import Struct
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from atelier_runtime.errors import FailedPrecondition, NotFound
from atelier_runtime.grpc_client import DEFAULT_TIMEOUT_S, call_timeout, channel
from atelier_runtime.grpc_errors import INTERNAL_MESSAGE, error_details
from atelier_runtime.grpc_server import GrpcServer, GrpcService
from atelier_runtime.settings import ServiceSettings

SERVICE = "atelier.test.v1.Ledger"
REGISTERED = "atelier.test.v1.Registered"


def struct(**values: Any) -> Struct:
    message = Struct()
    message.update(values)
    return message


async def freeze(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
    raise FailedPrecondition(
        "insufficient credits",
        reason="INSUFFICIENT_CREDITS",
        metadata={"account_id": request.fields["account_id"].string_value},
        details=[struct(needed=30, available=12)],
    )


async def crash(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
    raise RuntimeError("connection string postgresql://admin:hunter2@db")


async def refuse(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
    await context.abort(grpc.StatusCode.PERMISSION_DENIED, "servicer decided")


async def budget(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
    return struct(timeout=call_timeout())


async def history(
    request: Struct, context: grpc.aio.ServicerContext[Any, Any]
) -> AsyncIterator[Struct]:
    yield struct(entry=1)
    raise NotFound("history truncated", reason="HISTORY_GONE")


class HangingCall:
    """A handler that waits until its call is cancelled, recording how it ended."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.ended = asyncio.Event()
        self.outcome = ""

    async def __call__(
        self, request: Struct, context: grpc.aio.ServicerContext[Any, Any]
    ) -> Struct:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.outcome = "cancelled"
            raise
        finally:
            self.ended.set()
        return Struct()


HANGING = {"call": HangingCall()}


async def hang(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
    return await HANGING["call"](request, context)


def unary(behavior: Any) -> grpc.RpcMethodHandler[Any, Any]:
    return grpc.unary_unary_rpc_method_handler(
        behavior,
        request_deserializer=Struct.FromString,
        response_serializer=Struct.SerializeToString,
    )


LEDGER = grpc.method_handlers_generic_handler(
    SERVICE,
    {
        "Freeze": unary(freeze),
        "Crash": unary(crash),
        "Refuse": unary(refuse),
        "Budget": unary(budget),
        "Hang": unary(hang),
        "History": grpc.unary_stream_rpc_method_handler(
            history,
            request_deserializer=Struct.FromString,
            response_serializer=Struct.SerializeToString,
        ),
    },
)


def add_registered(server: grpc.aio.Server) -> None:
    # The way generated code mounts a servicer: registered method handlers, not a generic one.
    handlers = {"Freeze": unary(freeze)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(REGISTERED, handlers),))
    server.add_registered_method_handlers(REGISTERED, handlers)


@pytest.fixture
async def server() -> AsyncIterator[GrpcServer]:
    settings = ServiceSettings(service_name="ledger", shutdown_drain_s=0, shutdown_grace_s=1)
    services = [
        GrpcService(SERVICE, lambda server: server.add_generic_rpc_handlers((LEDGER,))),
        GrpcService(REGISTERED, add_registered),
    ]
    running = GrpcServer(services, settings)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def client(server: GrpcServer) -> AsyncIterator[grpc.aio.Channel]:
    async with channel(f"127.0.0.1:{server.port}") as opened:
        yield opened


async def call(client: grpc.aio.Channel, method: str, request: Struct, **kwargs: Any) -> Struct:
    stub = client.unary_unary(
        f"/{SERVICE}/{method}",
        request_serializer=Struct.SerializeToString,
        response_deserializer=Struct.FromString,
    )
    response: Struct = await stub(request, **kwargs)
    return response


async def test_a_domain_error_arrives_with_its_code_reason_metadata_and_details(
    client: grpc.aio.Channel,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(client, "Freeze", struct(account_id="acct-7"))

    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.details() == "insufficient credits"
    info, details = error_details(caught.value)
    assert info is not None
    assert (info.reason, info.domain) == ("INSUFFICIENT_CREDITS", "atelier.ledger")
    assert dict(info.metadata) == {"account_id": "acct-7"}
    shortfall = Struct()
    assert details[0].Unpack(shortfall)
    assert shortfall == struct(needed=30, available=12)


async def test_an_unexpected_exception_arrives_as_internal_without_its_message(
    client: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(client, "Crash", struct())

    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert caught.value.details() == INTERNAL_MESSAGE
    assert "hunter2" not in str(caught.value)
    [logged] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert logged.exc_info is not None
    assert "hunter2" in str(logged.exc_info[1])


async def test_an_abort_by_the_servicer_passes_through_unchanged(client: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(client, "Refuse", struct())

    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.details() == "servicer decided"


async def collect(responses: AsyncIterable[Struct], *, into: list[Struct]) -> None:
    async for response in responses:
        into.append(response)


async def test_a_streaming_error_arrives_after_the_messages_already_sent(
    client: grpc.aio.Channel,
) -> None:
    stub = client.unary_stream(
        f"/{SERVICE}/History",
        request_serializer=Struct.SerializeToString,
        response_deserializer=Struct.FromString,
    )
    received: list[Struct] = []

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await collect(stub(struct()), into=received)

    assert received == [struct(entry=1)]
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    info, _ = error_details(caught.value)
    assert info is not None
    assert info.reason == "HISTORY_GONE"


async def test_errors_from_registered_method_handlers_are_mapped_too(
    client: grpc.aio.Channel,
) -> None:
    stub = client.unary_unary(
        f"/{REGISTERED}/Freeze",
        request_serializer=Struct.SerializeToString,
        response_deserializer=Struct.FromString,
    )

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub(struct(account_id="acct-8"))

    assert caught.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    info, _ = error_details(caught.value)
    assert info is not None
    assert info.reason == "INSUFFICIENT_CREDITS"


async def test_health_reports_serving_for_the_server_and_each_service(
    client: grpc.aio.Channel,
) -> None:
    stub = health_pb2_grpc.HealthStub(client)
    serving = health_pb2.HealthCheckResponse.SERVING

    for name in ("", SERVICE, REGISTERED):
        response = await stub.Check(health_pb2.HealthCheckRequest(service=name))
        assert response.status == serving

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Check(health_pb2.HealthCheckRequest(service="atelier.unknown.v1.Nothing"))
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


async def test_outbound_timeouts_are_cut_to_the_inbound_deadline(
    client: grpc.aio.Channel,
) -> None:
    bounded = await call(client, "Budget", struct(), timeout=DEFAULT_TIMEOUT_S / 4)
    unbounded = await call(client, "Budget", struct())

    # Not exactly the caller's timeout: the deadline crosses the wire in rounded units.
    assert 0 < bounded.fields["timeout"].number_value < DEFAULT_TIMEOUT_S / 2
    assert unbounded.fields["timeout"].number_value == DEFAULT_TIMEOUT_S


async def test_reflection_lists_the_application_and_standard_services(
    client: grpc.aio.Channel,
) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(client)
    request = reflection_pb2.ServerReflectionRequest(list_services="")

    names: set[str] = set()
    async for response in stub.ServerReflectionInfo(iter([request])):
        names.update(service.name for service in response.list_services_response.service)

    assert {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= names


async def test_port_zero_binds_a_free_port_and_a_taken_port_is_refused(
    server: GrpcServer,
) -> None:
    assert server.port > 0
    taken = ServiceSettings(service_name="ledger", grpc_port=server.port, shutdown_drain_s=0)
    second = GrpcServer([], taken)

    with pytest.raises(RuntimeError):
        await second.start()


@pytest.mark.parametrize("cancel_by", ["the call", "the awaiting task"])
async def test_a_cancelled_call_cancels_its_handler_and_is_not_reported_as_a_failure(
    client: grpc.aio.Channel, caplog: pytest.LogCaptureFixture, cancel_by: str
) -> None:
    probe = HANGING["call"] = HangingCall()
    stub = client.unary_unary(
        f"/{SERVICE}/Hang",
        request_serializer=Struct.SerializeToString,
        response_deserializer=Struct.FromString,
    )
    pending = stub(struct(), timeout=30)
    awaiting = asyncio.ensure_future(pending)
    await asyncio.wait_for(probe.started.wait(), timeout=10)

    (pending if cancel_by == "the call" else awaiting).cancel()

    await asyncio.wait_for(probe.ended.wait(), timeout=10)
    assert probe.outcome == "cancelled"
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
    with pytest.raises(asyncio.CancelledError):
        await awaiting


async def test_health_watchers_see_not_serving_when_the_server_starts_draining() -> None:
    settings = ServiceSettings(service_name="ledger", shutdown_drain_s=0.2, shutdown_grace_s=1)
    draining = GrpcServer([], settings)
    port = await draining.start()
    async with channel(f"127.0.0.1:{port}") as client:
        watch = health_pb2_grpc.HealthStub(client).Watch(health_pb2.HealthCheckRequest())
        first = await watch.read()

        stopping = asyncio.create_task(draining.stop())
        second = await watch.read()

        assert first.status == health_pb2.HealthCheckResponse.SERVING
        assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
        await stopping
