"""Copies a stream into one new object in fixed-size parts, so memory does not grow with the file.

Written only if the key is free (If-None-Match: *), so a browser upload that landed first is never
overwritten. Up to `max_in_flight` parts upload while the next is read, keeping the download
busy; memory is about (max_in_flight + 1) parts whatever the file's size.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from atelier_media.adapters.object_store import ObjectStore, UploadedPart


async def _parts(chunks: AsyncIterator[bytes], part_bytes: int) -> AsyncIterator[bytes]:
    """Equal parts of `part_bytes` (R2 requires it), the last one shorter.

    Chunks are split at part boundaries and joined once, so each byte is copied once here.
    """
    pieces: list[bytes] = []
    held = 0
    async for chunk in chunks:
        while held + len(chunk) >= part_bytes:
            cut = part_bytes - held
            pieces.append(chunk[:cut])
            yield b"".join(pieces)
            pieces, held, chunk = [], 0, chunk[cut:]
        if chunk:
            pieces.append(chunk)
            held += len(chunk)
    yield b"".join(pieces)


async def copy_into(
    store: ObjectStore,
    chunks: AsyncIterator[bytes],
    key: str,
    content_type: str,
    part_bytes: int,
    *,
    max_in_flight: int = 4,
) -> int:
    """Returns the bytes written; raises KeyExists when the key was taken meanwhile."""
    parts = _parts(chunks, part_bytes)
    first = await anext(parts)
    second = await anext(parts, None)
    if not second:  # one part, or exactly one part and the empty remainder
        await store.put_new(key, first, content_type)
        return len(first)
    upload_id = await store.start_multipart(key, content_type)
    completed = False
    in_flight: set[asyncio.Task[tuple[int, UploadedPart]]] = set()
    etags: dict[int, UploadedPart] = {}
    try:
        total = 0
        async for part in _chained(first, second, parts):
            if not part:
                continue  # an exact multiple of the part size ends with an empty remainder
            while len(in_flight) >= max_in_flight:
                await _collect(in_flight, etags, asyncio.FIRST_COMPLETED)
            number = total // part_bytes + 1
            # This part uploads while the loop reads the next ones.
            in_flight.add(asyncio.ensure_future(_upload(store, key, upload_id, number, part)))
            total += len(part)
        await _collect(in_flight, etags, asyncio.ALL_COMPLETED)
        await store.complete_multipart(key, upload_id, [etags[n] for n in sorted(etags)])
        completed = True
        return total
    finally:
        for task in in_flight:
            task.cancel()
        if not completed:
            with contextlib.suppress(Exception):
                await asyncio.shield(store.abort_multipart(key, upload_id))


async def _upload(
    store: ObjectStore, key: str, upload_id: str, number: int, part: bytes
) -> tuple[int, UploadedPart]:
    return number, await store.upload_part(key, upload_id, number, part)


async def _collect(
    in_flight: set[asyncio.Task[tuple[int, UploadedPart]]],
    etags: dict[int, UploadedPart],
    when: str,
) -> None:
    if not in_flight:
        return
    done, _ = await asyncio.wait(in_flight, return_when=when)
    for task in done:
        in_flight.discard(task)
        number, etag = task.result()  # a failed part raises here and aborts the upload
        etags[number] = etag


async def _chained(first: bytes, second: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    yield second
    async for part in rest:
        yield part
