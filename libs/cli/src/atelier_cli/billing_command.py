"""`atelier billing replay|parked`: the billing service's stored Stripe events, operated over its
API as the operator, with a token signed by the home's secret."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier_cli.home import AtelierHome
from atelier_cli.one_line_parser import OneLineParser
from atelier_cli.operator_calls import (
    exit_status,
    platform_operator_metadata,
    rpc_failure,
    service_address,
)
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    BillingStub = billing_pb2_grpc.BillingServiceAsyncStub
    AdminStub = billing_pb2_grpc.BillingAdminServiceAsyncStub

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
BILLING = "billing"
_MAX_WAIT_S = 300
Work = Callable[[grpc.aio.Channel, tuple[tuple[str, str], ...]], Awaitable[int]]


def _call(work: Work) -> int:
    home = AtelierHome.from_env()
    address = service_address(home, BILLING)
    metadata = platform_operator_metadata(home)

    async def run() -> int:
        async with balanced_channel(address, variable="billing in platform.json") as opened:
            return await work(opened, metadata)

    return asyncio.run(run())


async def _replay(args: argparse.Namespace, opened: grpc.aio.Channel, metadata: Any) -> int:
    stub: AdminStub = billing_pb2_grpc.BillingAdminServiceStub(opened)  # type: ignore[assignment]
    request = billing_pb2.ReplayRequest(wait_seconds=args.wait)
    report = await stub.Replay(request, metadata=metadata, timeout=args.wait + 30)
    counts = {
        "requeued": report.requeued,
        "processed": report.processed,
        "parked": report.parked,
        "ignored": report.ignored,
        "failed": report.failed,
        "pending": report.pending,
    }
    if args.json:
        print(json.dumps(counts))
    else:
        print(
            f"replayed {report.requeued} events: {report.processed} processed, "
            f"{report.parked} parked, {report.ignored} ignored, {report.failed} failed, "
            f"{report.pending} still pending"
        )
    return EXIT_FAILED if report.failed else EXIT_OK


async def _parked(args: argparse.Namespace, opened: grpc.aio.Channel, metadata: Any) -> int:
    stub: BillingStub = billing_pb2_grpc.BillingServiceStub(opened)  # type: ignore[assignment]
    events: list[billing_pb2.ParkedEvent] = []
    request = billing_pb2.ListParkedRequest(page_size=100)
    while True:
        page = await stub.ListParked(request, metadata=metadata, timeout=10)
        events.extend(page.events)
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    if args.json:
        print(json.dumps([_parked_json(e) for e in events], indent=2))
        return EXIT_OK
    for event in events:
        print(f"{event.event_id}  {event.type}  {event.state}  {event.reason}")
    print(f"{len(events)} event{'' if len(events) == 1 else 's'} parked or failed")
    return EXIT_OK


def _parked_json(event: billing_pb2.ParkedEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "type": event.type,
        "object_id": event.object_id,
        "state": event.state,
        "reason": event.reason,
        "waiting_for": list(event.waiting_for),
        "received_at": event.received_at.ToJsonString(),
        "attempts": event.attempts,
    }


_ACTIONS = {"replay": _replay, "parked": _parked}


def run_billing(args: argparse.Namespace) -> int:
    """Exit 0 done, 1 when events failed, 2 when the command cannot run."""
    prog = f"atelier billing {args.action}"
    action = _ACTIONS[args.action]
    if args.action == "replay" and not 0 <= args.wait <= _MAX_WAIT_S:
        print(f"{prog}: --wait must be 0 to {_MAX_WAIT_S} seconds", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _call(lambda opened, metadata: action(args, opened, metadata))
    except (FileNotFoundError, LookupError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.aio.AioRpcError as error:
        print(f"{prog}: billing: {rpc_failure(error)}", file=sys.stderr)
        return exit_status(error)


def add_billing_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    billing = commands.add_parser("billing", help="operate the billing service's Stripe events")
    actions = billing.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    replay = actions.add_parser(
        "replay", help="process every stored Stripe event again; nothing is granted twice"
    )
    replay.add_argument(
        "--wait",
        type=int,
        default=60,
        metavar="SECONDS",
        help=f"wait up to this long (0 to {_MAX_WAIT_S}) for the events to be processed",
    )
    parked = actions.add_parser("parked", help="list the events that wait or failed, and why")
    for action in (replay, parked):
        action.add_argument("--json", action="store_true", help="machine-readable output")
        action.set_defaults(handler=run_billing)
