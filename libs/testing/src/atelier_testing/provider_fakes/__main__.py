"""`python -m atelier_testing.provider_fakes NAME --port N`: one fake, standalone, until Ctrl-C.

It prints its base URL (point ATELIER_PROVIDER_BASE_URL_<NAME> there) and the key it accepts.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Callable

from atelier_testing.provider_fakes.common_inline import Fake, serving


def _openai() -> Fake:
    from atelier_testing.provider_fakes.openai import OpenAIFake

    return OpenAIFake()


def _gemini() -> Fake:
    from atelier_testing.provider_fakes.gemini import GeminiFake

    return GeminiFake(video_s=10.0)


def _music() -> Fake:
    from atelier_testing.provider_fakes.music import MusicFake

    return MusicFake(stage_s=5.0)


FAKES: dict[str, Callable[[], Fake]] = {"openai": _openai, "gemini": _gemini, "music": _music}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier_testing.provider_fakes")
    parser.add_argument("name", choices=sorted(FAKES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    fake = FAKES[args.name]()
    with serving(fake, args.host, args.port) as running:
        print(running.base_url, flush=True)
        key = getattr(running, "api_key", "")
        print(f"api key: {key}", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
