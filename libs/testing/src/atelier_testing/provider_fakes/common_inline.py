"""Parts the OpenAI, Gemini and music fakes share: a threaded HTTP server, expiring files,
prompt markers that inject failures, and small real media files.

A fake runs in a thread of its own with its own event loop, so a synchronous official client
(which blocks the test's thread) and an asyncio adapter (which shares the test's loop) can both
talk to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

Clock = Callable[[], float]
START_TIMEOUT_S = 10.0

# `[fake:KIND]` fails every request whose prompt carries it; `[fake:KIND:N]` only the first N
# (per exact prompt), so a client's own retries can be seen to succeed.
_MARKER = re.compile(r"\[fake:([a-z0-9-]+)(?::(\d{1,3}))?\]")


class Markers:
    """Reads failure markers from prompts and counts how often each prompt has failed."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def active(self, prompt: str) -> set[str]:
        """The marker kinds that apply to this request (a limited one stops after N uses)."""
        kinds: set[str] = set()
        for kind, limit in _MARKER.findall(prompt):
            with self._lock:
                used = self._seen.get((prompt, kind), 0)
                self._seen[(prompt, kind)] = used + 1
            if not limit or used < int(limit):
                kinds.add(kind)
        return kinds


@dataclass(frozen=True)
class StoredBlob:
    data: bytes
    content_type: str
    expires_at: float


class ExpiringFiles:
    """Output files behind random tokens that answer 404 once their TTL has passed."""

    def __init__(self, ttl_s: float, clock: Clock = time.time) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._blobs: dict[str, StoredBlob] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes, content_type: str) -> tuple[str, float]:
        """Stores `data`; returns its token and expiry (epoch seconds)."""
        token = secrets.token_urlsafe(18)
        expires_at = self._clock() + self.ttl_s
        with self._lock:
            self._blobs[token] = StoredBlob(data, content_type, expires_at)
        return token, expires_at

    def get(self, token: str) -> StoredBlob | None:
        with self._lock:
            blob = self._blobs.get(token)
            if blob is not None and blob.expires_at <= self._clock():
                del self._blobs[token]
                blob = None
        return blob

    def response(self, name: str) -> Response:
        """The file named `<token>` or `<token>.<ext>`, or 404 once expired."""
        blob = self.get(name.split(".", 1)[0])
        if blob is None:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(blob.data, media_type=blob.content_type)


async def json_object(request: Request) -> dict[str, object] | None:
    """The request's JSON body if it is an object, else None."""
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


async def hang(seconds: float) -> None:
    """A provider that does not answer in time (the client's timeout should fire first)."""
    await asyncio.sleep(seconds)


class ThreadedServer:
    """Serves a Starlette app on 127.0.0.1 from a daemon thread until stopped."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        bound_host, bound_port = self._sock.getsockname()[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=5,
            # A request left hanging on purpose must not hold the test's teardown.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"fake-{bound_port}", daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the fake at {self.base_url} did not start")
            time.sleep(0.01)
        return self.base_url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(START_TIMEOUT_S)
        self._sock.close()


class Fake(Protocol):
    """A fake: its Starlette app, and the base URL it is reached at (set once serving)."""

    app: Starlette
    base_url: str


FakeT = TypeVar("FakeT", bound=Fake)


@contextlib.contextmanager
def serving(fake: FakeT, host: str = "127.0.0.1", port: int = 0) -> Iterator[FakeT]:
    """The fake on a free port (or `port`) for the block, with its `base_url` set."""
    server = ThreadedServer(fake.app, host, port)
    fake.base_url = server.base_url
    server.start()
    try:
        yield fake
    finally:
        server.stop()


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


class CallbackReceiver:
    """Stands in for our webhook endpoint: records each delivery; answers 500 to the first
    `fail_first` ones, so a sender's retries can be seen."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.deliveries: list[Delivery] = []
        self.base_url = ""
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    async def _hook(self, request: Request) -> Response:
        delivery = Delivery(dict(request.headers), await request.body())
        with self._lock:
            self.deliveries.append(delivery)
            refused = len(self.deliveries) <= self.fail_first
        return PlainTextResponse("no" if refused else "ok", status_code=500 if refused else 200)
