"""The report's verdicts and shapes: what a reader and a script rely on."""

from __future__ import annotations

from atelier_bench.credits.report import (
    BenchReport,
    CaseResult,
    LedgerCheck,
    Parameters,
    render_table,
)
from atelier_bench.credits.stats import SideSummary, Slice, summarize

PARAMETERS = Parameters(clients=16, duration_s=10.0, accounts=10_000, rounds=4, warmup_s=2.0)
HOST = {"cpus": "2", "python": "3.11.9"}
POSTGRES = {"server_version": "18.6", "fsync": "on", "synchronous_commit": "on"}


def _side(cycles: int, errors: int = 0) -> SideSummary:
    return summarize([Slice(cycles, errors, 10.0, [0.005] * cycles)])


def _case(
    ours: int, baseline: int, *, target: float = 1.0, consumed: int | None = None
) -> CaseResult:
    return CaseResult(
        name="hot",
        accounts=1,
        target=target,
        sides={"ours": _side(ours), "baseline": _side(baseline)},
        checks={
            "ours": LedgerCheck(expected=ours, consumed=ours if consumed is None else consumed),
            "baseline": LedgerCheck(expected=baseline, consumed=baseline),
        },
    )


def test_a_case_meets_its_target_when_the_ratio_reaches_it() -> None:
    assert _case(3000, 3000).meets_target
    assert not _case(2900, 3000).meets_target
    assert _case(1500, 3000, target=0.5).meets_target


def test_a_case_is_unsound_when_a_ledger_disagrees_with_the_cycles_run() -> None:
    assert _case(3000, 2000).sound
    assert not _case(3000, 2000, consumed=2999).sound


def test_a_case_is_unsound_when_a_side_failed_calls_or_did_nothing() -> None:
    failing = CaseResult(
        "spread", 50, 0.5, {"ours": _side(10, errors=1), "baseline": _side(10)}, {}
    )
    idle = CaseResult("spread", 50, 0.5, {"ours": _side(0), "baseline": _side(10)}, {})
    assert not failing.sound
    assert not idle.sound


def test_the_json_report_names_both_sides_and_the_ratio_of_each_case() -> None:
    report = BenchReport(PARAMETERS, HOST, POSTGRES, (_case(3000, 2000),), wall_time_s=61.234)
    document = report.to_json()
    case = document["cases"][0]  # type: ignore[index]
    assert case["ratio"] == 1.5
    assert case["ours"]["cycles"] == 3000
    assert case["baseline"]["ops_per_s"] == 200.0
    assert case["ledger_check"]["ok"] is True
    assert document["postgres"] == POSTGRES
    assert document["host"] == HOST
    assert document["sound"] is True
    assert document["wall_time_s"] == 61.2


def test_the_table_shows_each_side_its_ratio_and_the_wall_time() -> None:
    table = render_table(
        BenchReport(PARAMETERS, HOST, POSTGRES, (_case(3000, 2000),), wall_time_s=61.2)
    )
    assert "| hot | ours | 3000 | 300 |" in table
    assert "| hot | baseline | 2000 | 200 |" in table
    assert "1.50 (target ≥ 1: met)" in table
    assert "2 CPUs, PostgreSQL 18.6 fsync=on synchronous_commit=on" in table
    assert table.endswith("total wall time 61.2 s")
