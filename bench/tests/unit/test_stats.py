"""Throughput, percentiles and the ratio, as the report computes them."""

from __future__ import annotations

import pytest

from atelier_bench.credits.stats import Slice, percentile, ratio, summarize


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0


def test_percentile_ignores_the_input_order() -> None:
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 0.99) == 0.0


def test_percentile_rejects_a_fraction_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="fraction"):
        percentile([1.0], 0.0)


def test_throughput_is_all_cycles_over_all_measured_time() -> None:
    summary = summarize(
        [Slice(100, 0, 1.0, [0.01] * 100), Slice(300, 1, 2.0, [0.02] * 300, "UNAVAILABLE: down")]
    )
    assert summary.cycles == 400
    assert summary.errors == 1
    assert summary.ops_per_s == pytest.approx(400 / 3.0)
    assert summary.slice_ops_per_s == (100.0, 150.0)
    assert summary.first_error == "UNAVAILABLE: down"


def test_latency_percentiles_pool_every_slice_in_milliseconds() -> None:
    summary = summarize([Slice(2, 0, 1.0, [0.001, 0.002]), Slice(2, 0, 1.0, [0.003, 0.004])])
    assert summary.p50_ms == pytest.approx(2.0)
    assert summary.p99_ms == pytest.approx(4.0)


def test_ratio_is_ours_over_the_baseline() -> None:
    ours = summarize([Slice(300, 0, 1.0, [0.01])])
    baseline = summarize([Slice(200, 0, 1.0, [0.01])])
    assert ratio(ours, baseline) == pytest.approx(1.5)


def test_there_is_no_ratio_against_a_baseline_that_completed_nothing() -> None:
    ours = summarize([Slice(300, 0, 1.0, [0.01])])
    idle = summarize([Slice(0, 5, 1.0, [])])
    assert ratio(ours, idle) is None
