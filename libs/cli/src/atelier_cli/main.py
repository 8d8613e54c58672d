"""The `atelier` command: one entry point, one small module per sub-command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from atelier_cli.bench_command import add_bench_commands
from atelier_cli.billing_command import add_billing_commands
from atelier_cli.credits_commands import add_credits_commands
from atelier_cli.dlq_command import add_dlq_commands
from atelier_cli.home import AlreadyRunning, AtelierHome
from atelier_cli.scale import MAX_REPLICAS, SCALABLE, ScaleError, parse_scale
from atelier_runtime.grpc_targets import InvalidAddresses

Handler = Callable[[argparse.Namespace], int]
EXIT_USAGE = 2


def _up(args: argparse.Namespace) -> int:
    try:
        replicas = parse_scale(args.scale)
    except ScaleError as error:
        # Refused before anything starts, as one line an operator can act on.
        print(f"atelier up: {error}", file=sys.stderr)
        return EXIT_USAGE
    from atelier_cli.supervisor import run_platform

    return run_platform(AtelierHome.from_env(), replicas)


def _status(args: argparse.Namespace) -> int:
    from atelier_cli.status import print_status

    return print_status(AtelierHome.from_env())


def _replay(args: argparse.Namespace) -> int:
    from atelier_cli.platform_access import credits_admin_target
    from atelier_cli.replay_command import run_replay

    return run_replay(credits_admin_target(AtelierHome.from_env()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atelier", description="Run and operate an Atelier platform."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser(
        "up", help="start PostgreSQL, NATS, S3 and all five services; Ctrl-C stops everything"
    )
    up.add_argument(
        "--scale",
        action="append",
        default=[],
        metavar="SERVICE=N",
        help=f"run N processes of a backend ({', '.join(SCALABLE)}; N up to {MAX_REPLICAS}); repeatable",
    )
    up.set_defaults(handler=_up)
    commands.add_parser(
        "status", help="show the running platform found through ATELIER_HOME"
    ).set_defaults(handler=_status)
    add_credits_commands(commands)
    commands.add_parser(
        "replay", help="rebuild the credits projections (balances, statements) from the log"
    ).set_defaults(handler=_replay)
    add_bench_commands(commands)
    add_dlq_commands(commands)
    add_billing_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except InvalidAddresses as error:
        print(f"atelier: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (AlreadyRunning, FileNotFoundError, TimeoutError, RuntimeError) as error:
        print(f"atelier: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
