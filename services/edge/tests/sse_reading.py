"""Reads a Server-Sent Events response the way a browser's EventSource parses it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Received:
    """One event (kind set) or one comment line (kind "" and `comment` set)."""

    id: str = ""
    kind: str = ""
    data: str = ""
    comment: str = ""

    @property
    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data)
        return value

    @property
    def seq(self) -> int:
        return int(self.id.partition("-")[0])


async def received(response: httpx.Response) -> AsyncIterator[Received]:
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if fields:
                yield Received(
                    fields.get("id", ""), fields.get("event", ""), fields.get("data", "")
                )
            fields = {}
        elif line.startswith(":"):
            yield Received(comment=line[1:].strip())
        else:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
