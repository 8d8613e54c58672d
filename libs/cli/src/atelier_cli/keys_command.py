"""`atelier keys create|list|revoke ACCOUNT`: an account's API keys, through the running edge's
operator routes, as the operator (a short-lived token signed with the platform's secret)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from atelier_cli.home import AtelierHome
from atelier_cli.operator_calls import operator_metadata
from atelier_cli.platform_secret import jwt_secret

EXIT_OK, EXIT_FAILED = 0, 1
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class EdgeTarget:
    url: str
    jwt_secret: str


def edge_target(home: AtelierHome) -> EdgeTarget:
    return EdgeTarget(home.read_record().edge_url, jwt_secret(home))


def run_keys(target: EdgeTarget, args: argparse.Namespace) -> int:
    ((_, authorization),) = operator_metadata(target.jwt_secret)
    base = f"{target.url}/v1/admin/accounts/{quote(args.account, safe='')}/keys"
    try:
        with httpx.Client(
            headers={"Authorization": authorization}, timeout=TIMEOUT_S, trust_env=False
        ) as client:
            if args.action == "create":
                answer = client.post(base, json={"name": args.name})
            elif args.action == "list":
                answer = client.get(base)
            else:
                answer = client.delete(f"{base}/{quote(args.key_id, safe='')}")
    except httpx.HTTPError as error:
        print(f"atelier keys: cannot reach the edge at {target.url}: {error}", file=sys.stderr)
        return EXIT_FAILED
    if answer.status_code >= 400:
        print(f"atelier keys: {_refusal(answer)}", file=sys.stderr)
        return EXIT_FAILED
    _show(args, answer)
    return EXIT_OK


def _refusal(answer: httpx.Response) -> str:
    try:
        body: dict[str, Any] = answer.json()
    except ValueError:
        return f"the edge answered {answer.status_code}"
    return " ".join(
        f"{answer.status_code} {body.get('title', '')}: {body.get('detail', '')}".split()
    )


def _show(args: argparse.Namespace, answer: httpx.Response) -> None:
    if args.action == "create":
        made = answer.json()
        print(made["key"])
        print(f"id {made['id']}: shown once, store it now", file=sys.stderr)
    elif args.action == "list":
        for key in answer.json()["keys"]:
            used = key["last_used_at"] or "never used"
            print(f"{key['id']}  {key['hint']}…  {key['name'] or '-'}  {key['created_at']}  {used}")
    else:
        print(f"revoked {args.key_id}")


def _keys(args: argparse.Namespace) -> int:
    return run_keys(edge_target(AtelierHome.from_env()), args)


def add_keys_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="an account's API keys (atl_…), through the edge")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key; it is printed once")
    create.add_argument("account")
    create.add_argument("--name", default="", help="a label shown in listings")
    actions.add_parser("list", help="the account's live keys").add_argument("account")
    revoke = actions.add_parser("revoke", help="revoke one key at once")
    revoke.add_argument("account")
    revoke.add_argument("key_id")
    keys.set_defaults(handler=_keys)
