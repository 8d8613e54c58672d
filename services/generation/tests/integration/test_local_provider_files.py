"""The local provider's files: served over HTTP like a CDN, gone after their TTL, bounded on disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from services.generation.tests.local_support import download, generate, local_provider

from atelier_generation.providers.local.file_server import FileServer
from atelier_generation.providers.local.file_store import OutputFiles
from atelier_testing.polling import eventually


async def test_an_output_url_answers_404_once_it_expired() -> None:
    async with local_provider(url_ttl_s=0.5) as local:
        done = await generate(local, "text-to-image", {"prompt": "a fox"})
        url = done.outputs[0].url
        assert (await download(url)).status_code == 200

        async def expired() -> bool:
            return (await download(url)).status_code == 404

        await eventually(expired, within_s=5, what="the URL expired")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def written(files: OutputFiles, size: int) -> Path:
    path = files.new_path(".bin")
    path.write_bytes(b"x" * size)
    return path


def test_a_file_is_found_until_its_ttl_then_deleted(tmp_path: Path) -> None:
    clock = Clock()
    files = OutputFiles(tmp_path, ttl_s=60, max_bytes=1_000, clock=clock)
    stored = files.add(written(files, 10), "application/octet-stream")

    clock.now += 59
    assert files.find(stored.token) == stored
    clock.now += 1
    assert files.find(stored.token) is None
    assert files.sweep() == 1
    assert not stored.path.exists()


def test_the_oldest_files_go_when_the_folder_is_full(tmp_path: Path) -> None:
    files = OutputFiles(tmp_path, ttl_s=60, max_bytes=250, clock=Clock())
    first, second = (files.add(written(files, 100), "a/b") for _ in range(2))
    third = files.add(written(files, 100), "a/b")

    assert files.find(first.token) is None
    assert not first.path.exists()
    assert files.find(second.token) is not None
    assert files.find(third.token) is not None
    assert files.total_bytes == 200


async def raw(base_url: str, request: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


async def test_the_file_server_answers_only_gets_and_heads_of_known_files(tmp_path: Path) -> None:
    files = OutputFiles(tmp_path, ttl_s=60, max_bytes=1_000)
    server = FileServer(files)
    base = await server.start()
    try:
        stored = files.add(written(files, 42), "image/png")
        url = server.url_for(stored)
        async with httpx.AsyncClient(trust_env=False) as client:
            head = await client.head(url)
            post = await client.post(url)
            unknown = await client.get(f"{base}/files/{'A' * 32}.png")
            elsewhere = await client.get(f"{base}/etc/passwd")
        garbage = await raw(base, b"\x16\x03\x01 nonsense\r\n\r\n")
    finally:
        await server.close()

    assert (head.status_code, head.headers["content-length"], head.content) == (200, "42", b"")
    assert head.headers["access-control-allow-origin"] == "*"  # the web app reads it cross-origin
    assert post.status_code == 405
    assert unknown.status_code == elsewhere.status_code == 404
    assert garbage.startswith(b"HTTP/1.1 400")
