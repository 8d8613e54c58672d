"""`atelier bench credits`: our ledger and a naive row-locked baseline, side by side, one run."""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK = 0
EXIT_UNSOUND = 1
CASES = ("hot", "spread", "history")
DEFAULT_CASES = ("hot", "spread")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def _progress(line: str) -> None:
    # Progress goes to stderr, so `--json` output stays one clean document on stdout.
    print(f"atelier bench: {line}", file=sys.stderr, flush=True)


def bench_credits(args: argparse.Namespace) -> int:
    """Exit 0 when both sides ran cleanly (whatever the ratio), 1 if a side failed or miscounted."""
    # Imported here: the benchmark pulls in the servers' code, which other commands never need.
    from atelier_bench.credits.report import Parameters, render_table
    from atelier_bench.credits.runner import run_credits_bench

    parameters = Parameters(
        clients=args.clients,
        duration_s=args.duration,
        accounts=args.accounts,
        rounds=args.rounds,
        warmup_s=args.warmup,
        cases=tuple(dict.fromkeys(args.case or DEFAULT_CASES)),
        history_cycles=args.history_cycles,
    )
    report = run_credits_bench(parameters, _progress)
    print(json.dumps(report.to_json(), indent=2) if args.json else render_table(report))
    return EXIT_OK if report.sound else EXIT_UNSOUND


def bench_media(args: argparse.Namespace) -> int:
    """Exit 0 when both copies arrived whole (whatever the ratio), 1 otherwise."""
    from atelier_bench.media.report import render_table as render_media
    from atelier_bench.media.runner import run_media_bench

    mib = 1024 * 1024
    report = run_media_bench(args.size_mib * mib, args.part_mib * mib, _progress)
    print(json.dumps(report.to_json(), indent=2) if args.json else render_media(report))
    return EXIT_OK if report.sound else EXIT_UNSOUND


def _add_media_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    media = sub.add_parser(
        "media",
        help="the media fallback transfer (HTTP source → S3, streamed multipart) vs boto3 "
        "upload_fileobj of the same bytes; throughputs, ratio and the transfer's RSS growth",
    )
    media.add_argument(
        "--size-mib", type=_positive_int, default=1024, help="object size in MiB (1024)"
    )
    media.add_argument(
        "--part-mib", type=_positive_int, default=8, help="multipart part size in MiB, ≥ 5 (8)"
    )
    media.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    media.set_defaults(handler=bench_media)


def bench_sse(args: argparse.Namespace) -> int:
    """Exit 0 when every client got every event of its generation (whatever the latency), 1 otherwise."""
    from atelier_bench.sse.report import render_table as render_sse
    from atelier_bench.sse.runner import Parameters as SseParameters
    from atelier_bench.sse.runner import run_sse_bench

    report = run_sse_bench(SseParameters(args.clients, args.duration, args.source), _progress)
    print(json.dumps(report.to_json(), indent=2) if args.json else render_sse(report))
    return EXIT_OK if report.sound else EXIT_UNSOUND


def bench_e2e(args: argparse.Namespace) -> int:
    """Exit 0 when every generation reached stored media (whatever the speed), 1 otherwise."""
    from atelier_bench.e2e.report import render_table as render_e2e
    from atelier_bench.e2e.runner import Parameters as E2eParameters
    from atelier_bench.e2e.runner import run_e2e_bench

    parameters = E2eParameters(args.clients, args.duration, args.warmup, args.tool, args.model)
    report = run_e2e_bench(parameters, _progress)
    print(json.dumps(report.to_json(), indent=2) if args.json else render_e2e(report))
    return EXIT_OK if report.sound else EXIT_UNSOUND


def _add_e2e_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    e2e = sub.add_parser(
        "e2e",
        help="generations through the edge (HTTP submit → SSE succeeded → media stored) with the "
        "local provider at zero latency, beside bare ledger freeze→confirm cycles",
    )
    e2e.add_argument("--clients", type=_positive_int, default=32, help="concurrent clients (32)")
    e2e.add_argument(
        "--duration", type=_positive_seconds, default=20.0, help="measured seconds per side (20)"
    )
    e2e.add_argument(
        "--warmup", type=_positive_seconds, default=3.0, help="unmeasured seconds first (3)"
    )
    e2e.add_argument("--tool", default="text-to-image", help="the tool (text-to-image)")
    e2e.add_argument("--model", default="local", help="the tool's model (local)")
    e2e.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    e2e.set_defaults(handler=bench_e2e)


def _add_sse_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sse = sub.add_parser(
        "sse",
        help="N SSE clients on one edge, each following its own generation: delivery latency "
        "p50/p99 beside NATS read directly, memory per open stream",
    )
    sse.add_argument(
        "--clients", type=_positive_int, default=2000, help="concurrent SSE clients (2000)"
    )
    sse.add_argument(
        "--duration",
        type=_positive_seconds,
        default=10.0,
        help="seconds each generation runs, from its first event to its last (10)",
    )
    sse.add_argument(
        "--source",
        choices=("bus", "generation"),
        default="bus",
        help="bus: the benchmark publishes each generation's events on generation's stream as "
        "the service does (default; reaches N streams at once on a small machine); generation: "
        "real generations submitted to the generation service (local provider)",
    )
    sse.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    sse.set_defaults(handler=bench_sse)


def add_bench_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser("bench", help="run a benchmark beside its baseline")
    sub = bench.add_subparsers(dest="bench_command", required=True)
    credits = sub.add_parser(
        "credits",
        help="freeze→confirm cycles over gRPC: our ledger vs naive row-locked updates, "
        "on one hot account and on many accounts",
    )
    credits.add_argument(
        "--clients", type=_positive_int, default=16, help="concurrent clients (16)"
    )
    credits.add_argument(
        "--duration",
        type=_positive_seconds,
        default=10.0,
        help="measured seconds per side per case (10)",
    )
    credits.add_argument(
        "--accounts", type=_positive_int, default=10_000, help="accounts of the spread case (10000)"
    )
    credits.add_argument(
        "--rounds",
        type=_positive_int,
        default=4,
        help="alternating slices each side's duration is cut into (4)",
    )
    credits.add_argument(
        "--warmup",
        type=_positive_seconds,
        default=2.0,
        help="unmeasured seconds per side per case (2)",
    )
    credits.add_argument(
        "--case",
        action="append",
        choices=CASES,
        help="run this case (repeatable; default hot and spread). history: many cycles on one "
        "account, reporting late_vs_early, snapshot_bytes and RSS",
    )
    credits.add_argument(
        "--history-cycles",
        type=_positive_int,
        default=100_000,
        help="cycles of the history case (100000)",
    )
    credits.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    credits.set_defaults(handler=bench_credits)
    _add_media_bench(sub)
    _add_sse_bench(sub)
    _add_e2e_bench(sub)
