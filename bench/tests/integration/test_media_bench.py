"""The media bench end to end on a few MiB: both copies arrive whole and the report is complete."""

from __future__ import annotations

from atelier_bench.media.report import MIB
from atelier_bench.media.runner import run_media_bench


def test_the_media_bench_copies_the_object_both_ways() -> None:
    report = run_media_bench(12 * MIB, 5 * MIB, lambda line: None)
    assert report.sound
    assert report.transfer_s > 0
    assert report.baseline_s > 0
    assert report.rss_growth_bytes < 100 * MIB
