"""`atelier bench credits` runs end to end: both sides serve cycles and their ledgers agree.

Throughput is never asserted here: that is the benchmark's job, on a quiet machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

TINY_RUN = [
    "--duration",
    "1",
    "--clients",
    "2",
    "--accounts",
    "50",
    "--rounds",
    "2",
    "--warmup",
    "0.5",
]


def _bench(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # With no servers given, the benchmark starts its own durable PostgreSQL and NATS.
    for given in ("ATELIER_DATABASE_URL", "ATELIER_NATS_URL"):
        env.pop(given, None)
    return subprocess.run(
        [sys.executable, "-m", "atelier_cli.main", "bench", "credits", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _sides(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [case["ours"], case["baseline"]]


def test_bench_credits_runs_both_sides_of_both_cases_and_reports_json() -> None:
    run = _bench(*TINY_RUN, "--json")

    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["sound"] is True
    assert report["postgres"]["fsync"] == "on"
    assert report["postgres"]["synchronous_commit"] == "on"
    assert report["parameters"]["clients"] == 2
    assert int(report["host"]["cpus"]) >= 1
    assert [(case["name"], case["accounts"]) for case in report["cases"]] == [
        ("hot", 1),
        ("spread", 50),
    ]
    for case in report["cases"]:
        for side in _sides(case):
            assert side["cycles"] > 0
            assert side["errors"] == 0
            assert len(side["rounds_ops_per_s"]) == 2
            assert 0 < side["p50_ms"] <= side["p99_ms"]
        assert case["ratio"] > 0
        assert case["ledger_check"]["ok"] is True
        assert isinstance(case["meets_target"], bool)
    assert report["wall_time_s"] > 0


def test_the_history_case_reports_flatness_snapshot_size_and_memory() -> None:
    run = _bench("--case", "history", "--history-cycles", "300", "--clients", "4", "--json")

    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    (history,) = report["cases"]
    assert history["name"] == "history"
    assert history["cycles"] == 300
    assert history["errors"] == 0
    assert history["ledger_check"]["ok"] is True
    assert history["late_vs_early"] > 0
    assert 0 < history["snapshot_bytes"] < history["snapshot_target_bytes"]
    assert history["rss_end_bytes"] > 0
