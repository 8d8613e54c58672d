"""The run's result, as a table for people and as JSON for machines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from atelier_bench.credits.history_case import (
    TARGET_LATE_VS_EARLY,
    TARGET_SNAPSHOT_BYTES,
    HistoryResult,
)
from atelier_bench.credits.stats import SideSummary, ratio

SIDES = ("ours", "baseline")


@dataclass(frozen=True)
class Parameters:
    """What the run was asked to do."""

    clients: int
    duration_s: float
    accounts: int
    rounds: int
    warmup_s: float
    cases: tuple[str, ...] = ("hot", "spread")
    history_cycles: int = 100_000


@dataclass(frozen=True)
class LedgerCheck:
    """Credits one side reports consumed against the cycles the load saw complete."""

    expected: int
    consumed: int

    @property
    def ok(self) -> bool:
        return self.expected == self.consumed


@dataclass(frozen=True)
class CaseResult:
    """Both sides of one case, side by side."""

    name: str
    accounts: int
    target: float
    sides: Mapping[str, SideSummary]
    checks: Mapping[str, LedgerCheck]

    @property
    def ratio(self) -> float | None:
        return ratio(self.sides["ours"], self.sides["baseline"])

    @property
    def meets_target(self) -> bool:
        return self.ratio is not None and self.ratio >= self.target

    @property
    def sound(self) -> bool:
        """Every side completed cycles, none failed, and each ledger counted exactly those."""
        summaries = self.sides.values()
        checks = self.checks.values()
        return all(s.cycles > 0 and s.errors == 0 for s in summaries) and all(c.ok for c in checks)

    def to_json(self) -> dict[str, object]:
        found = self.ratio
        return {
            "name": self.name,
            "accounts": self.accounts,
            **{side: self.sides[side].to_json() for side in SIDES},
            "ratio": None if found is None else round(found, 3),
            "target": self.target,
            "meets_target": self.meets_target,
            "ledger_check": {
                **{
                    side: {"expected": c.expected, "consumed": c.consumed}
                    for side, c in self.checks.items()
                },
                "ok": all(c.ok for c in self.checks.values()),
            },
        }


@dataclass(frozen=True)
class BenchReport:
    """A whole `atelier bench credits` run."""

    parameters: Parameters
    host: Mapping[str, str]
    postgres: Mapping[str, str]
    cases: tuple[CaseResult, ...]
    wall_time_s: float
    history: HistoryResult | None = None

    @property
    def sound(self) -> bool:
        history_sound = self.history is None or self.history.sound
        return all(case.sound for case in self.cases) and history_sound

    def to_json(self) -> dict[str, object]:
        return {
            "benchmark": "credits",
            "op": "one Freeze then Confirm of 1 credit over gRPC (a cycle)",
            "parameters": {
                "clients": self.parameters.clients,
                "duration_s": self.parameters.duration_s,
                "accounts": self.parameters.accounts,
                "rounds": self.parameters.rounds,
                "warmup_s": self.parameters.warmup_s,
            },
            "host": dict(self.host),
            "postgres": dict(self.postgres),
            "cases": [
                *(case.to_json() for case in self.cases),
                *([self.history.to_json()] if self.history is not None else []),
            ],
            "sound": self.sound,
            "wall_time_s": round(self.wall_time_s, 1),
        }


def render_table(report: BenchReport) -> str:
    """Markdown, so the README can take it as printed."""
    p = report.parameters
    lines = [
        f"credits: {p.clients} clients, {p.duration_s:g} s per side per case in {p.rounds} alternating "
        f"rounds, {report.host.get('cpus', '?')} CPUs, PostgreSQL "
        f"{report.postgres.get('server_version', '?')} fsync={report.postgres.get('fsync', '?')} "
        f"synchronous_commit={report.postgres.get('synchronous_commit', '?')}",
    ]
    if report.cases:
        lines += [
            "",
            "| case | side | cycles | ops/s | p50 ms | p99 ms | errors | ours/baseline |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
    for case in report.cases:
        label = case.name if case.accounts == 1 else f"{case.name} ({case.accounts:,} accounts)"
        for side in SIDES:
            s = case.sides[side]
            verdict = _verdict(case) if side == "ours" else ""
            lines.append(
                f"| {label} | {side} | {s.cycles} | {s.ops_per_s:.0f} | {s.p50_ms:.2f} | "
                f"{s.p99_ms:.2f} | {s.errors} | {verdict} |"
            )
    if report.history is not None:
        lines += ["", *_history_lines(report.history)]
    lines += ["", f"total wall time {report.wall_time_s:.1f} s"]
    if not report.sound:
        lines.append("NOT SOUND: a side failed calls or its ledger disagrees with the cycles run")
    return "\n".join(lines)


def _history_lines(history: HistoryResult) -> list[str]:
    flat = "met" if history.late_vs_early >= TARGET_LATE_VS_EARLY else "missed"
    small = "met" if history.snapshot_bytes < TARGET_SNAPSHOT_BYTES else "missed"
    mib = 1024 * 1024
    return [
        f"history: {history.cycles:,} cycles on one account (ours only), {history.errors} errors",
        "",
        "| first 10% ops/s | last 10% ops/s | late_vs_early | snapshot bytes | RSS start → end MiB |",
        "|---:|---:|---|---|---:|",
        f"| {history.early_ops_per_s:.0f} | {history.late_ops_per_s:.0f} | "
        f"{history.late_vs_early:.2f} (target ≥ {TARGET_LATE_VS_EARLY:g}: {flat}) | "
        f"{history.snapshot_bytes:,} (target < {TARGET_SNAPSHOT_BYTES:,}: {small}) | "
        f"{history.rss_start_bytes / mib:.0f} → {history.rss_end_bytes / mib:.0f} |",
    ]


def _verdict(case: CaseResult) -> str:
    found = case.ratio
    if found is None:
        return "n/a"
    mark = "met" if case.meets_target else "missed"
    return f"{found:.2f} (target ≥ {case.target:g}: {mark})"
