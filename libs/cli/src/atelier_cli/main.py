"""The `atelier` command: one entry point, one small module per sub-command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from atelier_cli.bench_command import add_bench_commands
from atelier_cli.billing_command import add_billing_commands
from atelier_cli.configuration_error import EXIT_USAGE, ConfigurationError
from atelier_cli.credits_commands import add_credits_commands
from atelier_cli.dlq_command import add_dlq_commands
from atelier_cli.home import AlreadyRunning, AtelierHome
from atelier_cli.keys_command import add_keys_commands
from atelier_cli.one_line_parser import OneLineParser
from atelier_cli.scale import MAX_REPLICAS, SCALABLE
from atelier_cli.token_command import add_token_command
from atelier_runtime.grpc_targets import InvalidAddresses

Handler = Callable[[argparse.Namespace], int]
EXIT_INTERRUPTED = 130


def _up(args: argparse.Namespace) -> int:
    from atelier_cli.supervisor import run_platform
    from atelier_cli.up_settings import plan_up

    # Everything is read and checked first, so a bad value stops up with nothing started.
    plan = plan_up(args.scale)
    return run_platform(AtelierHome.from_env(), plan)


def _status(args: argparse.Namespace) -> int:
    from atelier_cli.status import print_status

    return print_status(AtelierHome.from_env())


def _replay(args: argparse.Namespace) -> int:
    from atelier_cli.platform_access import credits_admin_target
    from atelier_cli.replay_command import run_replay

    return run_replay(credits_admin_target(AtelierHome.from_env()))


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = OneLineParser(
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
    add_token_command(commands)
    add_keys_commands(commands)
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
    who = f"atelier {args.command}"
    try:
        return handler(args)
    except ConfigurationError as error:
        for problem in error.problems:
            print(f"{who}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except InvalidAddresses as error:
        print(f"{who}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (AlreadyRunning, FileNotFoundError, TimeoutError, RuntimeError) as error:
        print(f"{who}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Ctrl-C before anything started (a check still running): nothing to stop or report.
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
