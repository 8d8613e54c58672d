"""The streamed copy: equal parts, bounded in-flight uploads, an abort on any failure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from atelier_media.adapters.object_store import KeyExists, ObjectStore, UploadedPart
from atelier_media.application.streamed_copy import copy_into


class FakeStore:
    def __init__(self, *, taken: bool = False, fail_part: int = 0) -> None:
        self.single: bytes | None = None
        self.parts: dict[int, bytes] = {}
        self.completed: list[int] = []
        self.aborted = False
        self.in_flight = 0
        self.most_in_flight = 0
        self._taken = taken
        self._fail_part = fail_part

    async def put_new(self, key: str, body: bytes, content_type: str) -> None:
        if self._taken:
            raise KeyExists(key)
        self.single = body

    async def start_multipart(self, key: str, content_type: str) -> str:
        return "upload-1"

    async def upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> UploadedPart:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        if number == self._fail_part:
            raise OSError("connection reset")
        self.parts[number] = body
        return UploadedPart(f"etag-{number}", "")

    async def complete_multipart(
        self, key: str, upload_id: str, uploaded: list[UploadedPart]
    ) -> None:
        if self._taken:
            raise KeyExists(key)
        self.completed = [int(p.etag.split("-")[1]) for p in uploaded]

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        self.aborted = True


async def chunks_of(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def copy(store: FakeStore, data: bytes, part: int = 10, **options: Any) -> int:
    return await copy_into(
        cast(ObjectStore, store), chunks_of(data), "k", "image/png", part, **options
    )


async def test_a_file_of_one_part_is_one_conditional_put() -> None:
    store = FakeStore()
    assert await copy(store, b"x" * 10) == 10
    assert store.single == b"x" * 10
    assert not store.parts


async def test_a_larger_file_goes_in_equal_parts_in_order() -> None:
    store, data = FakeStore(), bytes(range(95))
    assert await copy(store, data, max_in_flight=3) == 95
    assert [len(store.parts[n]) for n in sorted(store.parts)] == [10] * 9 + [5]
    assert b"".join(store.parts[n] for n in sorted(store.parts)) == data
    assert store.completed == list(range(1, 11))
    assert store.most_in_flight <= 3


async def test_an_exact_multiple_has_no_empty_last_part() -> None:
    store = FakeStore()
    await copy(store, b"y" * 40)
    assert store.completed == [1, 2, 3, 4]


async def test_a_failed_part_aborts_the_upload() -> None:
    store = FakeStore(fail_part=3)
    with pytest.raises(OSError, match="connection reset"):
        await copy(store, b"z" * 100)
    assert store.aborted


async def test_a_key_taken_meanwhile_is_reported() -> None:
    with pytest.raises(KeyExists):
        await copy(FakeStore(taken=True), b"w" * 5)
