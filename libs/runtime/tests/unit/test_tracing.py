from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from atelier_runtime.tracing import (
    context_from_traceparent,
    current_traceparent,
    extract_context,
    inject_headers,
)

tracer = TracerProvider().get_tracer("test")


def test_injected_headers_carry_the_trace_and_keep_existing_headers() -> None:
    with tracer.start_as_current_span("publish") as span:
        headers = inject_headers({"Nats-Msg-Id": "evt-1"})
    sent = span.get_span_context()

    received = trace.get_current_span(extract_context(headers)).get_span_context()

    assert headers["Nats-Msg-Id"] == "evt-1"
    assert (received.trace_id, received.span_id) == (sent.trace_id, sent.span_id)
    assert received.is_remote


def test_a_consumer_span_continues_the_producer_trace() -> None:
    with tracer.start_as_current_span("publish") as producer:
        headers = inject_headers()

    with tracer.start_as_current_span("consume", context=extract_context(headers)) as consumer:
        pass

    assert consumer.get_span_context().trace_id == producer.get_span_context().trace_id
    assert isinstance(consumer, ReadableSpan)
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.get_span_context().span_id


def test_the_current_traceparent_is_w3c_formatted_inside_a_span_and_none_outside() -> None:
    assert current_traceparent() is None

    with tracer.start_as_current_span("write event") as span:
        stored = current_traceparent()
    context = span.get_span_context()

    assert stored is not None
    version, trace_id, span_id, flags = stored.split("-")
    assert (version, trace_id) == ("00", trace.format_trace_id(context.trace_id))
    assert span_id == trace.format_span_id(context.span_id)
    assert int(flags, 16) & 0x01, "the span is sampled"


def test_a_stored_traceparent_parents_a_later_span() -> None:
    with tracer.start_as_current_span("grant") as request_span:
        stored = current_traceparent()

    with tracer.start_as_current_span("relay", context=context_from_traceparent(stored)) as relay:
        pass

    assert relay.get_span_context().trace_id == request_span.get_span_context().trace_id


def test_messages_without_or_with_broken_trace_context_start_nothing() -> None:
    for headers in (None, {}, {"traceparent": "not-a-traceparent"}):
        span = trace.get_current_span(extract_context(headers))
        assert not span.get_span_context().is_valid
    assert not trace.get_current_span(context_from_traceparent(None)).get_span_context().is_valid
