"""`atelier token ACCOUNT`: a development token for an account, signed with the platform's secret."""

from __future__ import annotations

import argparse
from datetime import timedelta

from atelier_cli.durations import DURATION_FORM, duration_argument
from atelier_cli.home import AtelierHome
from atelier_cli.platform_secret import jwt_secret
from atelier_runtime.service_auth import ADMIN_ROLES, ROLE_CLAIM, sign_token

DEFAULT_TTL = timedelta(hours=1)


def _account(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the account id is empty")
    return text


def print_token(args: argparse.Namespace) -> int:
    # No role by default: an account's own token, as a signed-in user would present it.
    claims = {ROLE_CLAIM: args.role} if args.role else None
    secret = jwt_secret(AtelierHome.from_env())
    print(sign_token(secret, subject=args.account, ttl=args.ttl, claims=claims))
    return 0


def add_token_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser(
        "token",
        help="print an HS256 token for ACCOUNT, signed with ATELIER_JWT_SECRET or the home's secret",
    )
    token.add_argument("account", type=_account, help="the account id, the token's `sub`")
    token.add_argument(
        "--ttl",
        type=duration_argument,
        default=DEFAULT_TTL,
        help=f"how long it stays valid: {DURATION_FORM} (default 1h)",
    )
    token.add_argument(
        "--role",
        choices=sorted(ADMIN_ROLES),
        help="a `role` claim, for the admin methods (audit, rebuild); none by default",
    )
    token.set_defaults(handler=print_token)
