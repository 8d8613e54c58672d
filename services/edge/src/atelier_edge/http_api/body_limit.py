"""Request bodies: at most `max_bytes`, read within `read_timeout_s`, before any route runs.

The cap is checked on Content-Length first and again while the body streams in (a chunked body
has no length), so no route ever holds more than the cap in memory. A client that sends its body
too slowly is cut off at the deadline instead of holding a worker. Webhook routes read their own
body with a cap of their own (the signature covers the exact bytes).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atelier_edge.http_api.problems import problem

_OWN_READERS = ("/v1/webhooks/",)


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout_s: float) -> None:
        self._app = app
        self._max = max_bytes
        self._timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(_OWN_READERS):
            await self._app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self._max:
            await self._too_large(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self._timeout_s):
                messages = await self._read(receive)
        except _TooLarge:
            await self._too_large(scope, receive, send)
            return
        except TimeoutError:
            await problem(
                408, "request-timeout", "The body did not arrive in time",
                f"send the whole body within {self._timeout_s:g} seconds",
            )(scope, receive, send)  # fmt: skip
            return
        await self._app(scope, _replay(messages, receive), send)

    async def _read(self, receive: Receive) -> list[Message]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self._max:
                raise _TooLarge
            if not message.get("more_body", False):
                return messages

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = problem(
            413, "body-too-large", "The request body is too large",
            f"at most {self._max} bytes",
            errors=[{"field": "body", "problem": f"at most {self._max} bytes"}],
        )  # fmt: skip
        # The rest of the body is not read: the connection closes after the answer.
        answer.headers["Connection"] = "close"
        await answer(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else None
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
