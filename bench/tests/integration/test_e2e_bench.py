"""The e2e bench with two clients: `atelier up`'s platform serves generations through the edge
to stored media, the ledger floor runs beside it, and the report adds up."""

from __future__ import annotations

from atelier_bench.e2e.report import render_table
from atelier_bench.e2e.runner import Parameters, run_e2e_bench


def test_every_generation_reaches_stored_media_and_the_floor_is_measured() -> None:
    lines: list[str] = []
    report = run_e2e_bench(Parameters(clients=2, duration_s=1.5, warmup_s=0.5), lines.append)

    assert report.sound, report.first_error
    assert report.generations > 0
    assert 0 < report.succeeded_p50_ms <= report.stored_p50_ms
    assert report.floor_cycles > 0
    assert report.ratio == report.generations_per_s / report.floor_cycles_per_s
    assert "generations: submit → stored" in render_table(report)
    assert report.to_json()["targets"] == {
        "generations_per_s": 50.0,
        "succeeded_p99_ms": 250.0,
        "met": report.generations_per_s >= 50 and report.succeeded_p99_ms < 250,
    }
    assert any("platform up" in line for line in lines)
