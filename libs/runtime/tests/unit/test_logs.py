from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from atelier_runtime.logs import configure_logging


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("credits", "INFO", stream=stream)
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_object_with_the_standard_fields(log_output: io.StringIO) -> None:
    logging.getLogger("atelier.test").info("granted %d credits", 5, extra={"account_id": "a-1"})

    [entry] = lines(log_output)
    assert entry["level"] == "INFO"
    assert entry["service"] == "credits"
    assert entry["logger"] == "atelier.test"
    assert entry["message"] == "granted 5 credits"
    assert entry["account_id"] == "a-1"
    assert entry["ts"].endswith("+00:00")
    assert "trace_id" not in entry


def test_an_exception_is_logged_with_its_traceback(log_output: io.StringIO) -> None:
    try:
        raise ValueError("bad ledger line")
    except ValueError:
        logging.getLogger("atelier.test").exception("replay failed")

    [entry] = lines(log_output)
    assert entry["level"] == "ERROR"
    assert "ValueError: bad ledger line" in entry["exc_info"]


def test_records_inside_a_span_carry_its_trace_and_span_ids(log_output: io.StringIO) -> None:
    tracer = TracerProvider().get_tracer("test")

    with tracer.start_as_current_span("freeze") as span:
        logging.getLogger("atelier.test").warning("frozen")
    context = span.get_span_context()

    [entry] = lines(log_output)
    assert entry["trace_id"] == trace.format_trace_id(context.trace_id)
    assert entry["span_id"] == trace.format_span_id(context.span_id)


def test_records_below_the_level_are_dropped_and_values_of_any_type_serialise(
    log_output: io.StringIO,
) -> None:
    log = logging.getLogger("atelier.test")
    log.debug("too detailed")
    log.info("odd value", extra={"amount": object.__new__(type("Credits", (), {}))})

    [entry] = lines(log_output)
    assert entry["message"] == "odd value"
    assert "Credits object" in entry["amount"]


def test_reconfiguring_replaces_the_handler_instead_of_duplicating_lines(
    log_output: io.StringIO,
) -> None:
    second = io.StringIO()
    configure_logging("media", "INFO", stream=second)

    logging.getLogger("atelier.test").info("once")

    assert log_output.getvalue() == ""
    assert [entry["service"] for entry in lines(second)] == ["media"]
