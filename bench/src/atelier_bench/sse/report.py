"""What `atelier bench sse` prints: delivery latency through the edge beside NATS read directly,
memory per open stream, and whether every client got every event."""

from __future__ import annotations

from dataclasses import asdict, dataclass

P99_TARGET_MS = 500.0
STREAMS_TARGET = 2000


@dataclass(frozen=True)
class Latency:
    events: int
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class SseReport:
    clients: int
    source: str
    duration_s: float
    streams_open_at_peak: int
    clients_complete: int
    clients_with_wrong_events: int
    client_errors: int
    first_problem: str
    progress_events_delivered: int
    edge: Latency
    nats_direct: Latency
    edge_rss_before_mib: float
    edge_rss_peak_mib: float
    kib_per_stream: float
    nats_subscriptions_of_the_edge: int
    wall_s: float

    @property
    def p99_ratio(self) -> float:
        return self.edge.p99_ms / self.nats_direct.p99_ms if self.nats_direct.p99_ms else 0.0

    @property
    def sound(self) -> bool:
        return (
            self.clients_complete == self.clients
            and self.clients_with_wrong_events == 0
            and self.client_errors == 0
        )

    def to_json(self) -> dict[str, object]:
        body = asdict(self)
        body["p99_ratio_edge_vs_nats_direct"] = round(self.p99_ratio, 2)
        body["sound"] = self.sound
        body["targets"] = {
            "streams": STREAMS_TARGET,
            "p99_ms": P99_TARGET_MS,
            "met": self.clients >= STREAMS_TARGET and self.edge.p99_ms < P99_TARGET_MS,
        }
        return body


_SOURCES = {
    "bus": "events published on generation's stream by the benchmark",
    "generation": "real generations, local provider",
}


def render_table(report: SseReport) -> str:
    r = report
    met = "met" if r.edge.p99_ms < P99_TARGET_MS else "NOT met"
    return "\n".join([
        f"atelier bench sse: {r.clients} clients on one edge, each following its own generation "
        f"({_SOURCES.get(r.source, r.source)}, {r.duration_s:g} s each); wall {r.wall_s:.0f} s",
        "",
        "| path | events | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
        f"| edge SSE (recorded → client) | {r.edge.events} | {r.edge.p50_ms:.1f} | {r.edge.p99_ms:.1f} |",
        f"| NATS direct, one subscription (baseline) | {r.nats_direct.events} | "
        f"{r.nats_direct.p50_ms:.1f} | {r.nats_direct.p99_ms:.1f} |",
        "",
        f"p99 edge / NATS direct: {r.p99_ratio:.2f}; p99 target < {P99_TARGET_MS:.0f} ms: {met}",
        f"streams open at once (peak): {r.streams_open_at_peak}; edge NATS subscriptions: "
        f"{r.nats_subscriptions_of_the_edge}",
        f"edge RSS {r.edge_rss_before_mib:.1f} → {r.edge_rss_peak_mib:.1f} MiB: "
        f"{r.kib_per_stream:.1f} KiB per open stream",
        f"clients complete: {r.clients_complete}/{r.clients}; with missing or extra events: "
        f"{r.clients_with_wrong_events}; errors: {r.client_errors}; progress events delivered: "
        f"{r.progress_events_delivered}",
        *([f"first problem: {r.first_problem}"] if r.first_problem else []),
    ])  # fmt: skip
