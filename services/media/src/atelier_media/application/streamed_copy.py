"""Copies a stream into one new object in fixed-size parts, so memory does not grow with the file.

Written only if the key is free (If-None-Match: *), so a browser upload that landed first is never
overwritten. One part uploads while the next is read, keeping the download busy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from atelier_media.adapters.object_store import ObjectStore


async def _parts(chunks: AsyncIterator[bytes], part_bytes: int) -> AsyncIterator[bytes]:
    """Equal parts of `part_bytes` (R2 requires it), the last one shorter."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= part_bytes:
            yield bytes(buffer[:part_bytes])
            del buffer[:part_bytes]
    yield bytes(buffer)


async def copy_into(
    store: ObjectStore, chunks: AsyncIterator[bytes], key: str, content_type: str, part_bytes: int
) -> int:
    """Returns the bytes written; raises KeyExists when the key was taken meanwhile."""
    parts = _parts(chunks, part_bytes)
    first = await anext(parts)
    second = await anext(parts, None)
    if second is None:
        await store.put_new(key, first, content_type)
        return len(first)
    upload_id = await store.start_multipart(key, content_type)
    completed = False
    pending: asyncio.Task[str] | None = None
    try:
        etags: list[str] = []
        total = 0
        async for part in _chained(first, second, parts):
            if not part:
                continue  # an exact multiple of the part size ends with an empty remainder
            if pending is not None:
                etags.append(await pending)
            # This part uploads while the loop reads the next one.
            pending = asyncio.ensure_future(store.upload_part(key, upload_id, len(etags) + 1, part))
            total += len(part)
        if pending is not None:
            etags.append(await pending)
            pending = None
        await store.complete_multipart(key, upload_id, etags)
        completed = True
        return total
    finally:
        if pending is not None:
            pending.cancel()
        if not completed:
            with contextlib.suppress(Exception):
                await asyncio.shield(store.abort_multipart(key, upload_id))


async def _chained(first: bytes, second: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    yield second
    async for part in rest:
        yield part
