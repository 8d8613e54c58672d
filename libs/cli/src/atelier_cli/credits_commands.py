"""`atelier credits grant|balance|history`: talk to the running credits service over gRPC."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

import grpc

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_cli.durations import EXPIRY_FORM, expiry_argument
from atelier_cli.home import AtelierHome
from atelier_cli.rpc_error_text import rpc_error_line
from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.proto_time import to_timestamp

T = TypeVar("T")
if TYPE_CHECKING:
    CreditsStub = credits_pb2_grpc.CreditsServiceAsyncStub
_CALL_TIMEOUT_S = 10.0


def _call(work: Callable[[CreditsStub], Awaitable[T]]) -> T:
    # Every credits replica `atelier up` started; calls are dealt among them round robin.
    addresses = AtelierHome.from_env().read_record().services["credits"]

    async def run() -> T:
        async with balanced_channel(addresses, variable="credits in platform.json") as ch:
            stub: CreditsStub = credits_pb2_grpc.CreditsServiceStub(ch)  # type: ignore[assignment]
            return await work(stub)

    return asyncio.run(run())


def _print_balance(balance: credits_pb2.Balance) -> None:
    print(f"account    {balance.account_id}")
    for field in ("available", "frozen", "consumed", "expired", "revoked", "granted"):
        print(f"{field:<10} {getattr(balance, field)}")


def _report_rpc_error(
    error: grpc.aio.AioRpcError, requested: Mapping[str, object] | None = None
) -> int:
    print(f"atelier credits: {rpc_error_line(error, requested)}", file=sys.stderr)
    return 1


def grant(args: argparse.Namespace) -> int:
    request = credits_pb2.GrantRequest(
        account_id=args.account,
        grant_id=args.grant_id or f"cli-{uuid.uuid4().hex[:12]}",
        amount=args.amount,
        source=args.source,
        priority=args.priority,
        expires_at=to_timestamp(args.expires) if args.expires else None,
    )
    try:
        reply = _call(lambda stub: stub.Grant(request, timeout=_CALL_TIMEOUT_S))
    except grpc.aio.AioRpcError as error:
        # What we asked for, named as the service names the original, so a conflict says
        # which argument differs.
        asked = {"amount": args.amount, "source": args.source, "priority": args.priority}
        return _report_rpc_error(error, {**asked, "expires_at": args.expires})
    print(f"granted {args.amount} credits to {args.account} (grant {reply.grant_id})")
    _print_balance(reply.balance)
    return 0


def balance(args: argparse.Namespace) -> int:
    request = credits_pb2.GetBalanceRequest(account_id=args.account)
    try:
        reply = _call(lambda stub: stub.GetBalance(request, timeout=_CALL_TIMEOUT_S))
    except grpc.aio.AioRpcError as error:
        return _report_rpc_error(error)
    _print_balance(reply.balance)
    return 0


def history(args: argparse.Namespace) -> int:
    request = credits_pb2.ListStatementRequest(account_id=args.account, page_size=args.limit)
    try:
        reply = _call(lambda stub: stub.ListStatement(request, timeout=_CALL_TIMEOUT_S))
    except grpc.aio.AioRpcError as error:
        return _report_rpc_error(error)
    if not reply.lines:
        print(f"no ledger entries for {args.account} yet")
        return 0
    print(
        f"{'when (UTC)':<20} {'entry':<14} {'amount':>8} {'available':>10} {'frozen':>8}  id / reference"
    )
    for line in reply.lines:
        when = line.occurred_at.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")
        label = line.entry_id + (f"  ({line.reference})" if line.reference else "")
        print(
            f"{when:<20} {line.kind:<14} {line.amount:>8} {line.available_after:>10} {line.frozen_after:>8}  {label}"
        )
    if reply.next_page_token:
        print(f"... older entries exist; use --limit to see more than {args.limit}")
    return 0


def add_credits_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    credits = commands.add_parser("credits", help="grant, inspect and audit credits")
    sub = credits.add_subparsers(dest="credits_command", required=True)
    g = sub.add_parser("grant", help="grant credits to an account")
    g.add_argument("account")
    g.add_argument("amount", type=int)
    g.add_argument("--expires", type=expiry_argument, help=f"{EXPIRY_FORM}; never when omitted")
    g.add_argument("--priority", type=int, default=0, help="higher is spent first (default 0)")
    g.add_argument("--source", default="cli", help="where the credits come from (default cli)")
    g.add_argument("--grant-id", help="idempotency key; repeating it grants once (default: random)")
    g.set_defaults(handler=grant)
    b = sub.add_parser("balance", help="show an account's balance")
    b.add_argument("account")
    b.set_defaults(handler=balance)
    h = sub.add_parser("history", help="show an account's statement, newest first")
    h.add_argument("account")
    h.add_argument("--limit", type=int, default=50)
    h.set_defaults(handler=history)
    a = sub.add_parser(
        "audit", help="have the credits service replay its whole log and check every invariant"
    )
    a.add_argument("--account", help="audit one account only")
    a.add_argument("--json", action="store_true", help="machine-readable report")
    a.set_defaults(handler=_audit)


def _audit(args: argparse.Namespace) -> int:
    from atelier_cli.credits_audit import run_audit
    from atelier_cli.platform_access import credits_admin_target

    return run_audit(credits_admin_target(AtelierHome.from_env()), args.account, args.json)
