"""Runs one provider fake standalone: `python -m atelier_testing.provider_fakes NAME --port N`.

Prints the base URL to point the platform at (ATELIER_PROVIDER_BASE_URL_<NAME>), and on stderr
the key it accepts, then serves until interrupted. Failures are asked for by markers in the
prompt (see each fake's docstring).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from atelier_testing.provider_fakes import fal, replicate
from atelier_testing.provider_fakes.common_inline import Fake, serving

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


def _openai() -> Fake:
    from atelier_testing.provider_fakes.openai import OpenAIFake

    return OpenAIFake()


def _gemini() -> Fake:
    from atelier_testing.provider_fakes.gemini import GeminiFake

    return GeminiFake(video_s=10.0)


def _music() -> Fake:
    from atelier_testing.provider_fakes.music import MusicFake

    return MusicFake(stage_s=5.0)


# Replicate's and fal's fakes run in the event loop; the others in a server thread.
ASYNC_FAKES: dict[str, Runner] = {"replicate": _serve_replicate, "fal": _serve_fal}
THREADED_FAKES: dict[str, Callable[[], Fake]] = {
    "openai": _openai,
    "gemini": _gemini,
    "music": _music,
}
FAKES = sorted([*ASYNC_FAKES, *THREADED_FAKES])


def _serve_threaded(args: argparse.Namespace) -> None:
    with serving(THREADED_FAKES[args.name](), args.host, args.port) as running:
        print(running.base_url, flush=True)
        print(f"api key: {getattr(running, 'api_key', '')}", file=sys.stderr, flush=True)
        threading.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier_testing.provider_fakes")
    parser.add_argument("name", choices=FAKES)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", default="", help="the API key the fake accepts (replicate, fal)")
    parser.add_argument("--step-s", type=float, default=0.5, help="seconds per job step")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        if args.name in ASYNC_FAKES:
            asyncio.run(ASYNC_FAKES[args.name](args))
        else:
            _serve_threaded(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
