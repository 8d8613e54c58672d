"""Runs the real media service (its composition root) in-process, plus the helpers its
integration tests share: a local HTTP source of provider files and GenerationSucceeded events."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nats.js import JetStreamContext

from atelier.events.v1 import envelope_pb2, generation_pb2
from atelier_media.main import build
from atelier_media.settings import MediaSettings
from atelier_runtime.bus import ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.proto_time import to_timestamp
from atelier_runtime.service import serve
from atelier_testing.plugin import S3Bucket
from atelier_testing.streams import stored_msg_ids

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def fast_settings(
    database_url: str,
    nats_url: str,
    prefix: str,
    bucket: S3Bucket,
    source_port: int,
    **overrides: Any,
) -> MediaSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_prefix": prefix,
        "s3_endpoint": bucket.endpoint,
        "s3_bucket": bucket.name,
        "s3_access_key": bucket.access_key,
        "s3_secret_key": bucket.secret_key,
        "s3_region": bucket.region,
        "grpc_port": 0,
        "shutdown_grace_s": 2.0,
        "shutdown_drain_s": 0.0,
        "media_fallback_delay_s": 0.3,
        "media_fallback_poll_s": 0.05,
        "media_relay_poll_s": 0.05,
        "media_retry_base_s": 0.1,
        "media_part_bytes": 5 * 1024 * 1024,
        "media_source_hosts": f"127.0.0.1:{source_port}",
        "media_allow_loopback_sources": True,
        **overrides,
    }
    return MediaSettings(**values)


@contextlib.asynccontextmanager
async def serving_media(settings: MediaSettings) -> AsyncIterator[str]:
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, build, ready=ready.set_result))
    try:
        port = await asyncio.wait_for(asyncio.shield(ready), 30)
        yield f"127.0.0.1:{port}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class FileSource:
    """A provider's media host: serves registered files; counts GETs; can hold a response."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.gets: dict[str, int] = {}
        self.hold: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                source.gets[self.path] = source.gets.get(self.path, 0) + 1
                if self.path in source.redirects:
                    self.send_response(302)
                    self.send_header("Location", source.redirects[self.path])
                    self.end_headers()
                    return
                if self.path not in source.files:
                    self.send_error(404)
                    return
                body, content_type = source.files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in source.hold:
                    self.wfile.write(body[:64])
                    self.wfile.flush()
                    source.started.setdefault(self.path, threading.Event()).set()
                    source.hold[self.path].wait(30)
                    self.wfile.write(body[64:])
                else:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]

    def add(self, path: str, body: bytes, content_type: str = "image/png") -> str:
        self.files[path] = (body, content_type)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @contextlib.contextmanager
    def running(self) -> Iterator[FileSource]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            for event in self.hold.values():
                event.set()
            self._server.shutdown()
            self._server.server_close()


def output(
    url: str,
    index: int,
    content_type: str = "image/png",
    media_id: str = "",
    valid_for: timedelta = timedelta(hours=1),
) -> generation_pb2.Output:
    return generation_pb2.Output(
        url=url,
        content_type=content_type,
        expires_at=to_timestamp(datetime.now(UTC) + valid_for),
        index=index,
        media_id=media_id,
    )


async def publish_succeeded(
    js: JetStreamContext,
    names: BusNames,
    generation_id: str,
    account_id: str,
    outputs: list[generation_pb2.Output],
    *,
    event_id: str | None = None,
) -> str:
    """Publishes GenerationSucceeded as the generation service will, in its envelope."""
    await ensure_stream(js, names, "generation")
    payload = generation_pb2.GenerationSucceeded(
        generation_id=generation_id, account_id=account_id, outputs=outputs
    )
    envelope = envelope_pb2.Envelope(
        event_id=event_id or f"generation:succeeded:{uuid.uuid4().hex}",
        type=payload.DESCRIPTOR.full_name,
        occurred_at=to_timestamp(datetime.now(UTC)),
        subject_id=generation_id,
        producer="generation",
    )
    envelope.payload.Pack(payload)
    await js.publish(
        names.subject("generation", "succeeded"),
        envelope.SerializeToString(),
        headers={"Nats-Msg-Id": envelope.event_id},
    )
    return envelope.event_id


async def media_events(js: JetStreamContext, names: BusNames, kind: str) -> list[str]:
    """The event ids of `kind` (stored, expired, …) on the media stream."""
    try:
        ids = await stored_msg_ids(js, names.stream("media"))
    except Exception:
        return []
    return [i for i in ids if i.startswith(f"media:{kind}:")]
