"""The media bench's report: throughputs, ratio and the targets."""

from __future__ import annotations

from atelier_bench.media.byte_source import blocks
from atelier_bench.media.report import MIB, MediaBenchReport, render_table


def test_the_ratio_compares_the_transfer_with_the_baseline() -> None:
    report = MediaBenchReport(
        size_bytes=100 * MIB, part_bytes=8 * MIB, transfer_s=1.0, baseline_s=0.9,
        rss_growth_bytes=40 * MIB, sound=True,
    )  # fmt: skip
    assert round(report.ratio, 2) == 0.9
    assert report.meets_targets
    assert report.to_json()["transfer_mib_s"] == 100.0
    assert "ratio" in render_table(report)


def test_a_slow_or_greedy_transfer_misses_the_targets() -> None:
    slow = MediaBenchReport(100 * MIB, 8 * MIB, 2.0, 1.0, 10 * MIB, True)
    greedy = MediaBenchReport(100 * MIB, 8 * MIB, 1.0, 1.0, 200 * MIB, True)
    assert not slow.meets_targets
    assert not greedy.meets_targets


def test_the_source_yields_exactly_the_size_asked_for() -> None:
    block = b"x" * 1000
    assert sum(len(b) for b in blocks(4321, block)) == 4321
    assert next(iter(blocks(4321, block)))[4:8] == b"ftyp"
