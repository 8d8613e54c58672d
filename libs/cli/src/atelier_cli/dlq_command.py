"""`atelier dlq list|show|retry|drop SERVICE`: operate a service's dead letters over its
DeadLetterService, as the operator, with a token signed by the home's secret."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn

import grpc

from atelier.runtime.v1 import dead_letters_pb2 as pb
from atelier.runtime.v1 import dead_letters_pb2_grpc
from atelier_cli.home import AtelierHome
from atelier_cli.operator_calls import (
    exit_status,
    platform_operator_metadata,
    rpc_failure,
    service_address,
)
from atelier_runtime.grpc_client import balanced_channel

if TYPE_CHECKING:
    Stub = dead_letters_pb2_grpc.DeadLetterServiceAsyncStub

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# A retry runs handlers; a page of them may take a while.
_TIMEOUT_S = {"retry": 60.0}
_DEFAULT_TIMEOUT_S = 10.0


class Usage(Exception):
    """A command line that cannot run; one line says why."""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _letter_id(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise Usage(f"ID must be a dead letter's number, got {text!r}")
    return int(text)


def _check_usage(args: argparse.Namespace) -> None:
    """Refuses a command line before any call is made."""
    if args.action == "retry" and (
        args.all == (args.id is not None) or (args.all and not args.origin)
    ):
        raise Usage("retry takes an ID, or --all with --origin ORIGIN")
    if getattr(args, "id", None) is not None:
        _letter_id(args.id)


def _call(args: argparse.Namespace, work: Callable[[Stub, Any], Awaitable[int]]) -> int:
    home = AtelierHome.from_env()
    try:
        address = service_address(home, args.service)
    except LookupError as error:
        raise Usage(str(error)) from None
    options = {
        "metadata": platform_operator_metadata(home),
        "timeout": _TIMEOUT_S.get(args.action, _DEFAULT_TIMEOUT_S),
    }

    async def run() -> int:
        where = f"{args.service} in platform.json"
        async with balanced_channel(address, variable=where) as opened:
            stub: Stub = dead_letters_pb2_grpc.DeadLetterServiceStub(opened)  # type: ignore[assignment]
            return await work(stub, options)

    return asyncio.run(run())


async def _list(args: argparse.Namespace, stub: Stub, options: Any) -> int:
    letters: list[pb.DeadLetterSummary] = []
    request = pb.ListRequest(origin=args.origin, page_size=500)
    while True:
        page = await stub.List(request, **options)
        letters.extend(page.dead_letters)
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    if args.json:
        print(json.dumps([_summary_json(letter) for letter in letters], indent=2))
    elif not letters:
        print(f"no dead letters in {args.service}")
    else:
        _print_table(letters)
    return EXIT_OK


def _print_table(letters: list[pb.DeadLetterSummary]) -> None:
    print(
        f"{'id':>6}  {'created (UTC)':<19}  {'origin':<24} {'tries':>5}  subject / msg id / last error"
    )
    for letter in letters:
        created = letter.created_at.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")
        error = " ".join(letter.last_error.split())
        error = error if len(error) <= 80 else error[:79] + "…"
        print(
            f"{letter.id:>6}  {created:<19}  {letter.origin:<24} {letter.attempts:>5}  "
            f"{letter.subject}  {letter.msg_id}"
        )
        print(f"{'':>6}  {error}")
    print(f"{len(letters)} dead letter{'' if len(letters) == 1 else 's'}")


async def _show(args: argparse.Namespace, stub: Stub, options: Any) -> int:
    answer = await stub.Get(pb.GetRequest(id=_letter_id(args.id)), **options)
    letter = answer.dead_letter
    if args.json:
        document = _summary_json(letter.summary)
        document["headers"] = dict(letter.headers)
        document["payload_base64"] = base64.b64encode(letter.payload).decode()
        print(json.dumps(document, indent=2))
        return EXIT_OK
    for key, value in _summary_json(letter.summary).items():
        if key != "last_error":
            print(f"{key:<13} {value}")
    for name, value in sorted(letter.headers.items()):
        print(f"{'header':<13} {name}: {value}")
    print(f"{'payload':<13} {_preview(letter.payload)}")
    print(f"last error\n{letter.summary.last_error}")
    return EXIT_OK


def _preview(payload: bytes) -> str:
    head = payload[:120]
    try:
        text = head.decode()
    except UnicodeDecodeError:
        text = ""
    shown = repr(text) if text.isprintable() and text else head.hex()
    return shown + (" …" if len(payload) > len(head) else "")


async def _retry(args: argparse.Namespace, stub: Stub, options: Any) -> int:
    outcomes: list[pb.RetryOutcome] = []
    if args.id is not None:
        outcomes.extend(
            (await stub.Retry(pb.RetryRequest(id=_letter_id(args.id)), **options)).outcomes
        )
    else:
        after = 0
        while True:
            request = pb.RetryRequest(origin=args.origin, after_id=after)
            answer = await stub.Retry(request, **options)
            outcomes.extend(answer.outcomes)
            if not (after := answer.next_after_id):
                break
    if args.json:
        print(json.dumps([{"id": o.id, "retried": o.retried, "error": o.error} for o in outcomes]))
    for outcome in [] if args.json else outcomes:
        print(
            f"retried {outcome.id}"
            if outcome.retried
            else f"{outcome.id} failed again: {outcome.error}"
        )
    failed = sum(not outcome.retried for outcome in outcomes)
    if args.all and not args.json:
        print(f"{len(outcomes) - failed} retried, {failed} failed again")
    return EXIT_FAILED if failed else EXIT_OK


async def _drop(args: argparse.Namespace, stub: Stub, options: Any) -> int:
    letter_id = _letter_id(args.id)
    await stub.Drop(pb.DropRequest(id=letter_id), **options)
    print(f"dropped {letter_id}")
    return EXIT_OK


def _summary_json(letter: pb.DeadLetterSummary) -> dict[str, Any]:
    return {
        "id": letter.id,
        "origin": letter.origin,
        "msg_id": letter.msg_id,
        "subject": letter.subject,
        "attempts": letter.attempts,
        "payload_size": letter.payload_size,
        "created_at": letter.created_at.ToJsonString(),
        "last_error": letter.last_error,
    }


_ACTIONS = {"list": _list, "show": _show, "retry": _retry, "drop": _drop}


def run_dlq(args: argparse.Namespace) -> int:
    """One action; exit 0 done, 1 when it failed (not found, failed again), 2 when it cannot run."""
    prog = f"atelier dlq {args.action}"
    action = _ACTIONS[args.action]
    try:
        _check_usage(args)
        return _call(args, lambda stub, options: action(args, stub, options))
    except (Usage, FileNotFoundError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.aio.AioRpcError as error:
        print(f"{prog}: {args.service}: {rpc_failure(error)}", file=sys.stderr)
        return exit_status(error)


def add_dlq_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser("dlq", help="list, show, retry or drop a service's dead letters")
    actions = dlq.add_subparsers(dest="action", required=True, parser_class=_OneLineParser)
    helps = {
        "list": "list the service's dead letters, oldest first",
        "show": "show one dead letter: headers, payload, last error",
        "retry": "process (or publish) a dead letter again; --all --origin O for all of one origin",
        "drop": "delete a dead letter for good",
    }
    for name, help_text in helps.items():
        action = actions.add_parser(name, help=help_text)
        action.add_argument("service", metavar="SERVICE", help="as named in platform.json")
        if name in ("show", "drop"):
            action.add_argument("id", metavar="ID", help="the dead letter's number (see list)")
        if name == "retry":
            action.add_argument("id", metavar="ID", nargs="?", help="the dead letter's number")
            action.add_argument("--all", action="store_true", help="every letter of --origin")
        if name in ("list", "retry"):
            action.add_argument("--origin", help="a consumer's durable name, or relay:SOURCE")
        if name != "drop":
            action.add_argument("--json", action="store_true", help="machine-readable output")
        action.set_defaults(handler=run_dlq)
