"""What one client does: a generation through the public API from submit to stored media, or,
for the floor, one freeze→confirm cycle on the ledger directly."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass

import httpx

from atelier.credits.v1 import credits_pb2

TERMINAL = frozenset({"succeeded", "failed", "canceled"})
# How often a client asks whether the output is stored yet (media says so on GET): soon, then
# less often, so the asking does not become a load of its own on the edge and media.
STORED_POLL_FIRST_S = 0.025
STORED_POLL_LONGEST_S = 0.25
JOURNEY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Journey:
    """One generation's times from its submit, in seconds (None where it did not get there)."""

    succeeded_s: float | None
    stored_s: float | None
    error: str = ""


async def generate(edge: httpx.AsyncClient, tool: str, model: str) -> Journey:
    """POST, follow the SSE stream to the terminal event, then wait until media stored the
    output; failures are reported, never raised."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(JOURNEY_TIMEOUT_S):
            return await _generate(edge, tool, model, started)
    except (httpx.HTTPError, TimeoutError, ValueError, KeyError) as error:
        return Journey(None, None, f"{type(error).__name__}: {error}"[:300])


async def _generate(edge: httpx.AsyncClient, tool: str, model: str, started: float) -> Journey:
    body = {"tool": tool, "model": model, "prompt": f"a lighthouse, take {uuid.uuid4().hex[:8]}"}
    accepted = await edge.post(
        "/v1/generations", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    if accepted.status_code != 202:
        return Journey(None, None, f"submit answered {accepted.status_code}: {accepted.text[:200]}")
    generation_id = accepted.json()["id"]
    ended = await _terminal_event(edge, generation_id)
    succeeded = time.perf_counter() - started
    if ended != "succeeded":
        return Journey(None, None, f"the generation ended {ended}")
    outputs = (await edge.get(f"/v1/generations/{generation_id}")).json()["outputs"]
    for output in outputs:
        await _stored(edge, output["media_id"])
    return Journey(succeeded, time.perf_counter() - started)


async def _stored(edge: httpx.AsyncClient, media_id: str) -> None:
    """Returns once media reports the file stored in our bucket (polled, as a client would)."""
    pause = STORED_POLL_FIRST_S
    while True:
        if (await edge.get(f"/v1/media/{media_id}")).json()["status"] == "stored":
            return
        await asyncio.sleep(pause)
        pause = min(pause * 1.5, STORED_POLL_LONGEST_S)


async def _terminal_event(edge: httpx.AsyncClient, generation_id: str) -> str:
    kind = ""
    async with edge.stream("GET", f"/v1/generations/{generation_id}/events") as events:
        if events.status_code != 200:
            raise ValueError(f"events answered {events.status_code}")
        async for line in events.aiter_lines():
            if line.startswith("event:"):
                kind = line.removeprefix("event:").strip()
            elif line.startswith("data:") and kind in TERMINAL:
                json.loads(line.removeprefix("data:"))  # a well-formed terminal event
                return kind
    raise ValueError("the stream ended before the generation did")


async def freeze_and_confirm(credits: object, account: str, amount: int) -> float | None:
    """One cycle on the ledger; its duration, or None if it failed."""
    started = time.perf_counter()
    freeze_id = uuid.uuid4().hex
    try:
        await credits.Freeze(  # type: ignore[attr-defined]
            credits_pb2.FreezeRequest(account_id=account, freeze_id=freeze_id, amount=amount)
        )
        await credits.Confirm(  # type: ignore[attr-defined]
            credits_pb2.ConfirmRequest(account_id=account, freeze_id=freeze_id)
        )
    except Exception:
        return None
    return time.perf_counter() - started
