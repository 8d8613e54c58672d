"""Runs one provider fake standalone: `python -m atelier_testing.provider_fakes NAME --port N`.

Prints the base URL to point the platform at (ATELIER_PROVIDER_BASE_URL_<NAME>), then serves
until interrupted. Failures are asked for by markers in the prompt (see each fake's docstring).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from atelier_testing.provider_fakes import fal, replicate

Runner = Callable[[argparse.Namespace], Coroutine[Any, Any, None]]


async def _serve_replicate(args: argparse.Namespace) -> None:
    async with replicate.FakeReplicate(
        api_token=args.key or "r8_fake_token", step_s=args.step_s, host=args.host, port=args.port
    ) as fake:
        print(fake.api_url, flush=True)
        print(f"api token: {fake.api_token}  webhook secret: {fake.secret}", file=sys.stderr)
        await asyncio.Event().wait()


async def _serve_fal(args: argparse.Namespace) -> None:
    async with fal.FakeFal(
        key=args.key or "fake-key-id:fake-key-secret",
        step_s=args.step_s,
        host=args.host,
        port=args.port,
    ) as fake:
        print(fake.url, flush=True)
        print(f"key: {fake.key}  jwks: {fake.jwks_url}", file=sys.stderr)
        await asyncio.Event().wait()


FAKES: dict[str, Runner] = {"replicate": _serve_replicate, "fal": _serve_fal}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier_testing.provider_fakes")
    parser.add_argument("name", choices=sorted(FAKES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", default="", help="the API key the fake accepts")
    parser.add_argument("--step-s", type=float, default=0.5, help="seconds per job step")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(FAKES[args.name](args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
