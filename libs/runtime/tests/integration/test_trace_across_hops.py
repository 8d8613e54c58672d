"""One trace id crosses a gRPC call and a NATS hop: client → gRPC handler → publish → consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.struct_pb2 import Struct
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from atelier_runtime.bus import Publisher, connect, ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.consumer import IdempotentConsumer
from atelier_runtime.db import DbConnection, create_pool
from atelier_runtime.grpc_client import channel
from atelier_runtime.grpc_server import GrpcServer, GrpcService
from atelier_runtime.settings import ServiceSettings

SERVICE = "atelier.test.v1.Orders"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
async def js(nats_url: str, bus_prefix: str) -> AsyncIterator[JetStreamContext]:
    nc = await connect(nats_url, "test-trace")
    js = nc.jetstream()
    await ensure_stream(js, BusNames(bus_prefix), "orders")
    yield js
    await js.delete_stream(BusNames(bus_prefix).stream("orders"))
    await nc.close()


def orders_service(js: JetStreamContext, names: BusNames) -> GrpcService:
    """A servicer whose one method announces the order on the bus, as producers do."""

    async def place(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
        order_id = str(request["order_id"])
        await Publisher(js).publish(
            names.subject("orders", "placed"), order_id.encode(), msg_id=order_id
        )
        return request

    handler = grpc.unary_unary_rpc_method_handler(
        place, request_deserializer=Struct.FromString, response_serializer=Struct.SerializeToString
    )
    generic = grpc.method_handlers_generic_handler(SERVICE, {"Place": handler})
    return GrpcService(SERVICE, lambda server: server.add_generic_rpc_handlers((generic,)))


@pytest.fixture
async def server(
    js: JetStreamContext, bus_prefix: str, provider: TracerProvider
) -> AsyncIterator[GrpcServer]:
    settings = ServiceSettings(service_name="orders", shutdown_drain_s=0, shutdown_grace_s=1)
    running = GrpcServer(
        [orders_service(js, BusNames(bus_prefix))], settings, tracer_provider=provider
    )
    await running.start()
    yield running
    await running.stop()


async def place_order(server: GrpcServer, provider: TracerProvider, order_id: str) -> None:
    async with channel(f"127.0.0.1:{server.port}", tracer_provider=provider) as opened:
        place = opened.unary_unary(
            f"/{SERVICE}/Place",
            request_serializer=Struct.SerializeToString,
            response_deserializer=Struct.FromString,
        )
        request = Struct()
        request.update({"order_id": order_id})
        await place(request, timeout=5)


async def test_one_trace_spans_the_client_the_grpc_handler_and_the_nats_consumer(
    database_url: str,
    js: JetStreamContext,
    bus_prefix: str,
    server: GrpcServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    seen_by_consumer: list[int] = []

    async def remember_trace(conn: DbConnection, msg: Msg) -> None:
        seen_by_consumer.append(trace.get_current_span().get_span_context().trace_id)

    with provider.get_tracer("test").start_as_current_span("client") as client_span:
        await place_order(server, provider, "ord-1")
    client_trace_id = client_span.get_span_context().trace_id

    pool = await create_pool(database_url)
    consumer = IdempotentConsumer(
        js,
        pool,
        stream=BusNames(bus_prefix).stream("orders"),
        durable="shipping",
        handler=remember_trace,
        tracer_provider=provider,
    )
    assert await consumer.process_batch() == 1
    await pool.close()

    assert seen_by_consumer == [client_trace_id]
    kinds = {span.kind for span in exporter.get_finished_spans()}
    assert {trace.SpanKind.CLIENT, trace.SpanKind.SERVER, trace.SpanKind.CONSUMER} <= kinds
    assert {span.context.trace_id for span in exporter.get_finished_spans()} == {client_trace_id}
