from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.struct_pb2 import Struct
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from atelier_runtime.grpc_client import channel
from atelier_runtime.grpc_server import GrpcServer, GrpcService
from atelier_runtime.settings import ServiceSettings
from atelier_runtime.tracing import current_traceparent

SERVICE = "atelier.test.v1.Catalog"


async def describe(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
    # What an outbox would store for an event written while serving this call.
    response = Struct()
    response.update({"traceparent": current_traceparent() or ""})
    return response


CATALOG = grpc.method_handlers_generic_handler(
    SERVICE,
    {
        "Describe": grpc.unary_unary_rpc_method_handler(
            describe,
            request_deserializer=Struct.FromString,
            response_serializer=Struct.SerializeToString,
        )
    },
)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
async def client(provider: TracerProvider) -> AsyncIterator[grpc.aio.Channel]:
    settings = ServiceSettings(service_name="catalog", shutdown_drain_s=0, shutdown_grace_s=1)
    service = GrpcService(SERVICE, lambda server: server.add_generic_rpc_handlers((CATALOG,)))
    server = GrpcServer([service], settings, tracer_provider=provider)
    port = await server.start()
    async with channel(f"127.0.0.1:{port}", tracer_provider=provider) as opened:
        yield opened
    await server.stop()


async def describe_call(client: grpc.aio.Channel) -> Struct:
    stub = client.unary_unary(
        f"/{SERVICE}/Describe",
        request_serializer=Struct.SerializeToString,
        response_deserializer=Struct.FromString,
    )
    response: Struct = await stub(Struct(), timeout=5)
    return response


async def test_client_and_server_spans_share_one_trace(
    client: grpc.aio.Channel, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with provider.get_tracer("test").start_as_current_span("edge request") as root:
        response = await describe_call(client)
    trace_id = root.get_span_context().trace_id

    spans = {span.kind: span for span in exporter.get_finished_spans()}
    client_span, server_span = spans[trace.SpanKind.CLIENT], spans[trace.SpanKind.SERVER]
    assert client_span.context is not None
    assert server_span.context is not None
    assert client_span.context.trace_id == server_span.context.trace_id == trace_id
    assert server_span.parent is not None
    assert server_span.parent.span_id == client_span.context.span_id
    stored_trace_id = response.fields["traceparent"].string_value.split("-")[1]
    assert stored_trace_id == trace.format_trace_id(trace_id)


async def test_health_probes_are_not_traced(
    client: grpc.aio.Channel, exporter: InMemorySpanExporter
) -> None:
    await health_pb2_grpc.HealthStub(client).Check(health_pb2.HealthCheckRequest(), timeout=5)

    assert exporter.get_finished_spans() == ()


CONFIGURE_IN_FRESH_PROCESS = """
import json
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from atelier_runtime.tracing import configure_tracing

exporter = InMemorySpanExporter()
provider = configure_tracing("credits", "none", span_processor=SimpleSpanProcessor(exporter))
with trace.get_tracer("check").start_as_current_span("work") as span:
    valid = span.get_span_context().is_valid
provider.shutdown()
[finished] = exporter.get_finished_spans()
print(json.dumps({"valid": valid, "service": finished.resource.attributes["service.name"]}))
"""


async def test_configured_tracing_mints_trace_ids_even_without_an_exporter() -> None:
    # A fresh process: the global provider can be installed only once per process.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CONFIGURE_IN_FRESH_PROCESS, stdout=subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=30)

    assert process.returncode == 0
    assert json.loads(stdout) == {"valid": True, "service": "credits"}
