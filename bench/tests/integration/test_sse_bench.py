"""The SSE bench end to end with a few clients: every client gets every event of its generation
through one edge subscription, and the report is complete."""

from __future__ import annotations

import pytest

from atelier_bench.sse.runner import Parameters, run_sse_bench


@pytest.mark.parametrize(("source", "clients"), [("bus", 12), ("generation", 4)])
def test_the_sse_bench_delivers_every_event_to_every_client(source: str, clients: int) -> None:
    report = run_sse_bench(Parameters(clients, duration_s=0.5, source=source), lambda line: None)

    assert report.sound, report.first_problem
    assert report.clients_complete == clients
    assert report.nats_subscriptions_of_the_edge == 1
    assert report.edge.events > 0
    assert report.nats_direct.events >= report.edge.events
    assert report.to_json()["sound"] is True
