"""OpenTelemetry setup, gRPC interceptors, and W3C trace context for messages and the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import grpc.aio
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.instrumentation.grpc import filters as grpc_filters
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

Exporter = Literal["none", "console", "otlp"]
TRACEPARENT = "traceparent"


def configure_tracing(
    service_name: str,
    exporter: Exporter = "none",
    *,
    span_processor: SpanProcessor | None = None,
) -> TracerProvider:
    """Install the process-wide TracerProvider (once per process); "none" still mints trace ids."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    span_exporter = _span_exporter(exporter)
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    if span_processor is not None:
        provider.add_span_processor(span_processor)
    trace.set_tracer_provider(provider)
    return provider


def _span_exporter(exporter: Exporter) -> SpanExporter | None:
    if exporter == "console":
        return ConsoleSpanExporter()
    if exporter == "otlp":
        # Endpoint and headers come from the standard OTEL_EXPORTER_OTLP_* variables.
        return OTLPSpanExporter()
    return None


def _traced_calls() -> Any:
    # Probes and reflection would drown the real calls in spans.
    untraced = grpc_filters.any_of(
        grpc_filters.health_check(), grpc_filters.service_prefix("grpc.reflection.")
    )
    return grpc_filters.negate(untraced)


def server_interceptor(
    tracer_provider: trace.TracerProvider | None = None,
) -> grpc.aio.ServerInterceptor:
    """Server spans that continue the caller's trace (global provider unless one is given)."""
    interceptor: grpc.aio.ServerInterceptor = aio_server_interceptor(  # type: ignore[no-untyped-call]
        tracer_provider=tracer_provider, filter_=_traced_calls()
    )
    return interceptor


def client_interceptors(
    tracer_provider: trace.TracerProvider | None = None,
) -> list[grpc.aio.ClientInterceptor]:
    """Client spans that send the current trace context with every call."""
    interceptors: list[grpc.aio.ClientInterceptor] = aio_client_interceptors(  # type: ignore[no-untyped-call]
        tracer_provider=tracer_provider, filter_=_traced_calls()
    )
    return interceptors


def inject_headers(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """`headers` plus the current trace context (traceparent, tracestate) for a message."""
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> Context:
    """The trace context a message carried; an empty context when it carried none."""
    return propagate.extract(dict(headers or {}))


def current_traceparent() -> str | None:
    """The active span's W3C traceparent, to store with an outbox event; None outside a span."""
    return inject_headers().get(TRACEPARENT)


def context_from_traceparent(traceparent: str | None) -> Context:
    """The context to parent a span on, from a traceparent stored earlier (e.g. by an outbox)."""
    return extract_context({TRACEPARENT: traceparent} if traceparent else None)
