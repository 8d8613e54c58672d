"""The SSE bench's report: soundness, the ratio and the targets."""

from __future__ import annotations

from dataclasses import replace

from atelier_bench.sse.report import Latency, SseReport, render_table

REPORT = SseReport(
    clients=2000, source="bus", duration_s=2.0, streams_open_at_peak=1900, clients_complete=2000,
    clients_with_wrong_events=0, client_errors=0, first_problem="",
    progress_events_delivered=6000, edge=Latency(12000, 40.0, 300.0),
    nats_direct=Latency(14000, 30.0, 200.0), edge_rss_before_mib=70.0, edge_rss_peak_mib=150.0,
    kib_per_stream=43.1, nats_subscriptions_of_the_edge=1, wall_s=60.0,
)  # fmt: skip


def test_a_complete_run_is_sound_and_meets_the_targets() -> None:
    assert REPORT.sound
    assert REPORT.p99_ratio == 1.5
    assert REPORT.to_json()["targets"] == {"streams": 2000, "p99_ms": 500.0, "met": True}
    assert "1.50" in render_table(REPORT)


def test_a_client_missing_an_event_makes_the_run_unsound() -> None:
    assert not replace(REPORT, clients_with_wrong_events=1).sound
    assert not replace(REPORT, clients_complete=1999).sound


def test_a_slow_run_misses_the_latency_target() -> None:
    slow = replace(REPORT, edge=Latency(12000, 40.0, 800.0))
    assert slow.to_json()["targets"] == {"streams": 2000, "p99_ms": 500.0, "met": False}
    assert "NOT met" in render_table(slow)
