"""Runs the media service's fallback transfer and boto3's upload_fileobj on the same bytes.

Both read the object from the same local HTTP source and write it into a local S3 server (moto),
one after the other; RSS is sampled while the transfer runs, so its growth is what the transfer
itself holds (the baseline runs after, and is not measured for memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import psutil
from boto3.s3.transfer import TransferConfig

from atelier_bench.media.byte_source import CONTENT_TYPE, serving_bytes
from atelier_bench.media.report import MediaBenchReport
from atelier_localinfra.s3_server import ACCESS_KEY, REGION, SECRET_KEY, LocalS3
from atelier_media.adapters.object_store import ObjectStore, StoreConfig
from atelier_media.adapters.source_fetcher import SourceFetcher
from atelier_media.application.streamed_copy import copy_into
from atelier_media.domain.source_rules import SourcePolicy

Say = Callable[[str], None]
BUCKET = "atelier-bench-media"


class PeakRss:
    """Samples this process's RSS every few milliseconds in a thread; keeps the peak."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.start = self._process.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    @contextlib.contextmanager
    def watching(self) -> Iterator[PeakRss]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.start


async def _transfer(store: ObjectStore, url: str, size: int, part_bytes: int) -> int:
    port = urlsplit(url).port
    policy = SourcePolicy(
        frozenset({f"127.0.0.1:{port}"}), require_https=False, allow_loopback=True
    )
    fetcher = SourceFetcher(policy)
    try:
        async with fetcher.open(url, CONTENT_TYPE, size) as source:
            return await copy_into(store, source.chunks(), "transfer.mp4", CONTENT_TYPE, part_bytes)
    finally:
        await fetcher.close()


def _baseline(client: Any, url: str, part_bytes: int) -> None:
    config = TransferConfig(
        multipart_threshold=part_bytes, multipart_chunksize=part_bytes, max_concurrency=4
    )
    with urllib.request.urlopen(url) as response:
        client.upload_fileobj(
            response, BUCKET, "baseline.mp4", ExtraArgs={"ContentType": CONTENT_TYPE},
            Config=config,
        )  # fmt: skip


def run_media_bench(size: int, part_bytes: int, say: Say) -> MediaBenchReport:
    with tempfile.TemporaryDirectory(prefix="atelier-bench-media-") as work:
        say("starting S3 (moto)")
        s3 = LocalS3(Path(work)).start()
        try:
            client = boto3.client(
                "s3", endpoint_url=s3.endpoint, aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY, region_name=REGION,
            )  # fmt: skip
            client.create_bucket(Bucket=BUCKET)
            store = ObjectStore(StoreConfig(s3.endpoint, BUCKET, ACCESS_KEY, SECRET_KEY, REGION))
            say("warming up both sides (two parts each, unmeasured)")
            with serving_bytes(2 * part_bytes) as warm_url:
                asyncio.run(_transfer(store, warm_url, 2 * part_bytes, part_bytes))
                _baseline(client, warm_url, part_bytes)
            client.delete_object(Bucket=BUCKET, Key="transfer.mp4")
            with serving_bytes(size) as url:
                say(f"fallback transfer of {size} bytes")
                memory = PeakRss()
                with memory.watching():
                    started = time.perf_counter()
                    written = asyncio.run(_transfer(store, url, size, part_bytes))
                    transfer_s = time.perf_counter() - started
                say("boto3 upload_fileobj of the same bytes")
                started = time.perf_counter()
                _baseline(client, url, part_bytes)
                baseline_s = time.perf_counter() - started
            sizes = [
                client.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
                for key in ("transfer.mp4", "baseline.mp4")
            ]
        finally:
            s3.stop()
    return MediaBenchReport(
        size_bytes=size,
        part_bytes=part_bytes,
        transfer_s=transfer_s,
        baseline_s=baseline_s,
        rss_growth_bytes=memory.growth,
        sound=written == size and sizes == [size, size],
    )
