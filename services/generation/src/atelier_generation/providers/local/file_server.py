"""A small HTTP server for the local provider's outputs: GET or HEAD /files/<token>.<ext>.

Plain asyncio, one request per connection: all it does is hand files to the media service and
to browsers on a development machine, and answer 404 once a file expired, like a provider's CDN.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from http import HTTPStatus

from atelier_generation.providers.local.file_store import OutputFiles, StoredFile

# A request head larger than this is not one of ours; a client this slow is not either.
MAX_HEAD_BYTES = 8 * 1024
HEAD_TIMEOUT_S = 10.0
# Long enough for the largest output over a slow link; a client that stops reading is dropped.
ANSWER_TIMEOUT_S = 300.0
_TARGET = re.compile(r"^/files/([A-Za-z0-9_-]{16,64})(?:\.[a-z0-9]{1,5})?(?:\?.*)?$")


class FileServer:
    """Serves one OutputFiles folder on host:port (port 0: a free one) until closed."""

    def __init__(self, files: OutputFiles, host: str = "127.0.0.1", port: int = 0) -> None:
        self._files = files
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self.base_url = ""

    async def start(self) -> str:
        self._server = await asyncio.start_server(
            self._serve, self._host, self._port, limit=MAX_HEAD_BYTES
        )
        host, port = self._server.sockets[0].getsockname()[:2]
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{port}"
        return self.base_url

    def url_for(self, stored: StoredFile) -> str:
        return f"{self.base_url}/files/{stored.token}{stored.path.suffix}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(HEAD_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                await self._answer(head, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # a client that hung up, sent too much, or stalled gets nothing more
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, head: bytes, writer: asyncio.StreamWriter) -> None:
        parts = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return await _status(writer, HTTPStatus.BAD_REQUEST)
        method, target = parts[0], parts[1]
        if method not in ("GET", "HEAD"):
            return await _status(writer, HTTPStatus.METHOD_NOT_ALLOWED, ["Allow: GET, HEAD"])
        matched = _TARGET.match(target)
        stored = self._files.find(matched.group(1)) if matched else None
        if stored is None:
            return await _status(writer, HTTPStatus.NOT_FOUND)
        try:
            opened = stored.path.open("rb")
        except FileNotFoundError:
            return await _status(writer, HTTPStatus.NOT_FOUND)
        with opened:
            # Readable by any page, like a provider's CDN: the web app copies outputs into our
            # bucket from the browser. The unguessable token is what guards a file.
            headers = [
                f"Content-Type: {stored.content_type}",
                "Cache-Control: private, no-store",
                "Access-Control-Allow-Origin: *",
            ]
            writer.write(_head(HTTPStatus.OK, stored.size, headers))
            await writer.drain()
            if method == "GET":
                await asyncio.get_running_loop().sendfile(writer.transport, opened)


def _head(status: HTTPStatus, length: int, extra: list[str]) -> bytes:
    lines = [
        f"HTTP/1.1 {status.value} {status.phrase}",
        f"Content-Length: {length}",
        "Connection: close",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _status(
    writer: asyncio.StreamWriter, status: HTTPStatus, extra: list[str] | None = None
) -> None:
    body = f"{status.value} {status.phrase}\n".encode()
    writer.write(_head(status, len(body), ["Content-Type: text/plain", *(extra or [])]) + body)
    await writer.drain()
