"""The parts the Replicate and fal fakes share: serving a Starlette app over real HTTP inside the
test's event loop, files at expiring URLs, real media bytes, a pace for job steps, and webhook
delivery with retries.

Nothing here knows either provider's wire format; each fake builds its routes on top.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
import math
import secrets
import socket
import struct
import subprocess
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
import imageio_ffmpeg  # type: ignore[import-untyped]
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_log = logging.getLogger(__name__)
Clock = Callable[[], float]


class FakeHttpServer:
    """Serves one ASGI app on host:port (0: a free port) in the running loop until closed."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
        )
        config.load()
        self._config = config
        self._server = uvicorn.Server(config)
        self._socket = socket.create_server((host, port), reuse_port=False)
        self._task: asyncio.Task[None] | None = None
        bound_host, bound_port = self._socket.getsockname()[:2]
        self.url = f"http://{bound_host}:{bound_port}"

    async def start(self) -> str:
        # The pieces of uvicorn's serve() without its signal handlers: a test owns its signals.
        self._server.lifespan = self._config.lifespan_class(self._config)
        await self._server.startup(sockets=[self._socket])
        self._task = asyncio.create_task(self._server.main_loop())
        return self.url

    async def close(self) -> None:
        if self._task is None:
            return
        # A deliberately hanging request must not hold the shutdown.
        self._server.should_exit = True
        self._server.force_exit = True
        await self._task
        await self._server.shutdown(sockets=[self._socket])
        self._task = None


@dataclass
class HostedFile:
    data: bytes
    content_type: str
    expires_at: float


class ExpiringFiles:
    """Output files behind random tokens, like a provider's CDN; gone after their TTL."""

    def __init__(self, *, ttl_s: float, expired_status: int = 404, clock: Clock = time.time):
        self.ttl_s = ttl_s
        self.expired_status = expired_status
        self._clock = clock
        self._files: dict[str, HostedFile] = {}
        self.base_url = ""

    def add(self, data: bytes, content_type: str, name: str, ttl_s: float | None = None) -> str:
        token = secrets.token_urlsafe(18)
        lifetime = self.ttl_s if ttl_s is None else ttl_s
        self._files[f"{token}/{name}"] = HostedFile(data, content_type, self._clock() + lifetime)
        return f"{self.base_url}/files/{token}/{name}"

    def expire_all(self) -> None:
        """Makes every URL fail now, as if the TTL had passed."""
        for hosted in self._files.values():
            hosted.expires_at = 0.0

    def route(self) -> Route:
        return Route("/files/{key:path}", self._serve, methods=["GET", "HEAD"])

    async def _serve(self, request: Request) -> Response:
        hosted = self._files.get(request.path_params["key"])
        if hosted is None:
            return Response("not found\n", 404, media_type="text/plain")
        if hosted.expires_at <= self._clock():
            return Response("expired\n", self.expired_status, media_type="text/plain")
        return Response(hosted.data, 200, media_type=hosted.content_type)


def media_bytes(content_type: str, seed: str) -> tuple[bytes, str]:
    """A small but valid file of the type (PNG, WAV, MP4; else PNG) and its file extension."""
    digest = hashlib.sha256(seed.encode()).digest()
    if content_type in ("audio/wav", "audio/x-wav"):
        return _wav(digest[0]), "wav"
    if content_type == "video/mp4":
        return _mp4(), "mp4"
    if content_type == "image/jpeg":
        return _picture(digest, "JPEG"), "jpg"
    if content_type == "image/webp":
        return _picture(digest, "WEBP"), "webp"
    return _picture(digest, "PNG"), "png"


def _picture(digest: bytes, kind: str) -> bytes:
    picture = Image.new("RGB", (64, 64), (digest[0], digest[1], digest[2]))
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def _wav(note: int) -> bytes:
    rate, hertz = 8000, 220 + note
    samples = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hertz * i / rate)))
        for i in range(rate // 4)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples)
    return out.getvalue()


@functools.cache
def _mp4() -> bytes:
    """A quarter second of 16x16 black H.264, encoded once by the ffmpeg imageio-ffmpeg ships."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi"]
    command += ["-i", "color=c=black:s=16x16:d=0.25:r=4", "-c:v", "libx264", "-pix_fmt", "yuv420p"]
    command += ["-movflags", "+frag_keyframe+empty_moov", "-f", "mp4", "pipe:1"]
    return subprocess.run(command, capture_output=True, check=True, timeout=60).stdout


class Pace:
    """How jobs advance: every `step_s` seconds, or (manual) only when the test says so."""

    def __init__(self, step_s: float = 0.0, *, manual: bool = False) -> None:
        self.step_s = step_s
        self.manual = manual
        self._allowed = 0
        self._changed = asyncio.Condition()

    async def step(self) -> None:
        if not self.manual:
            await asyncio.sleep(self.step_s)
            return
        async with self._changed:
            await self._changed.wait_for(lambda: self._allowed > 0)
            self._allowed -= 1

    async def release(self, steps: int = 1) -> None:
        """Lets `steps` more job steps happen (summed over all jobs)."""
        async with self._changed:
            self._allowed += steps
            self._changed.notify_all()

    async def run_freely(self) -> None:
        """Leaves manual mode: every waiting step proceeds, and the next ones too."""
        async with self._changed:
            self.manual = False
            self._allowed = 1 << 30
            self._changed.notify_all()


@dataclass
class Delivery:
    """One webhook POST as the receiver saw it."""

    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None


SignFn = Callable[[bytes], dict[str, str]]


@dataclass
class WebhookSender:
    """POSTs webhooks without following redirects; retries on any non-2xx per `retry_delays_s`."""

    retry_delays_s: Sequence[float] = (0.05, 0.1, 0.2, 0.4, 0.8)
    timeout_s: float = 5.0
    sent: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def send(self, url: str, body: bytes, sign: SignFn, *, retry: bool) -> None:
        task = asyncio.create_task(self._deliver(url, body, sign, retry))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, body: bytes, sign: SignFn, retry: bool) -> None:
        delays = [0.0, *self.retry_delays_s] if retry else [0.0]
        async with httpx.AsyncClient(trust_env=False, timeout=self.timeout_s) as client:
            for delay in delays:
                await asyncio.sleep(delay)
                headers = {"content-type": "application/json", **sign(body)}
                status: int | None = None
                try:
                    response = await client.post(
                        url, content=body, headers=headers, follow_redirects=False
                    )
                    status = response.status_code
                except httpx.HTTPError as error:
                    _log.info("webhook delivery failed: %s", type(error).__name__)
                self.sent.append(Delivery(url, headers, body, status))
                if status is not None and 200 <= status < 300:
                    return

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass
class RequestFaults:
    """Faults the test asks for on the next requests: 429s, 5xx answers, or hanging answers."""

    rate_limited: int = 0
    retry_after_s: int = 1
    server_errors: int = 0
    server_error_status: int = 500
    hangs: int = 0

    def rate_limit(self, times: int = 1, retry_after_s: int = 1) -> None:
        self.rate_limited, self.retry_after_s = times, retry_after_s

    def fail(self, times: int = 1, status: int = 500) -> None:
        self.server_errors, self.server_error_status = times, status

    def hang(self, times: int = 1) -> None:
        self.hangs = times

    def take(self) -> str | None:
        """The fault for this request, if any: 'rate', 'error' or 'hang'."""
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return "rate"
        if self.server_errors > 0:
            self.server_errors -= 1
            return "error"
        if self.hangs > 0:
            self.hangs -= 1
            return "hang"
        return None


async def hang_forever() -> None:
    """An answer that never comes: the client's own timeout is what ends it."""
    await asyncio.Event().wait()


def rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1e6):06d}Z"


@dataclass
class Received:
    """One webhook as a receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A real HTTP endpoint for a fake's webhooks: records each POST, answers `answers` in turn
    (then 200 for ever), so a test can make the first deliveries fail and watch the retries."""

    def __init__(self, answers: Sequence[int] = ()) -> None:
        self.answers = list(answers)
        self.received: list[Received] = []
        app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])
        self._server = FakeHttpServer(app)
        self.url = f"{self._server.url}/hooks"

    async def __aenter__(self) -> WebhookReceiver:
        await self._server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    async def _receive(self, request: Request) -> Response:
        self.received.append(
            Received(request.url.path, dict(request.headers), await request.body())
        )
        status = self.answers.pop(0) if self.answers else 200
        return Response(b"", status)
