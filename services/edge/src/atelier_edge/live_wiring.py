"""The live progress parts of one edge process, started and stopped with the app: the NATS
connection and its one generation feed, the hub, and the lookup that snapshots come from."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from atelier_edge.adapters.generation_feed import GenerationFeed
from atelier_edge.adapters.generation_lookup import GenerationLookup
from atelier_edge.live.hub import HistoryLimits, ProgressHub
from atelier_edge.live.stream_metrics import StreamMetrics
from atelier_edge.settings import EdgeSettings
from atelier_runtime.bus import connect
from atelier_runtime.bus_names import BusNames


@dataclass(frozen=True)
class LiveProgress:
    hub: ProgressHub
    feed: GenerationFeed
    lookup: GenerationLookup
    metrics: StreamMetrics
    heartbeat_s: float
    inbox_events: int
    ready_wait_s: float

    async def ready(self) -> bool:
        """Whether the feed follows the stream, waiting a little for one that is starting."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.ready_wait_s):
                await self.feed.following.wait()
        return self.feed.following.is_set()


@contextlib.asynccontextmanager
async def running_live_progress(settings: EdgeSettings) -> AsyncIterator[LiveProgress]:
    client = await connect(settings.nats_url, f"{settings.service_name}-{settings.instance_id}")
    metrics = StreamMetrics()
    hub = ProgressHub(
        HistoryLimits(
            generations=settings.edge_sse_history_generations,
            events_per_generation=settings.edge_sse_history_events,
            max_age_s=settings.edge_sse_history_age_s,
        )
    )
    feed = GenerationFeed(client.jetstream(), BusNames(settings.nats_prefix), hub, metrics)
    starting = asyncio.create_task(feed.run(), name="generation-feed")
    lookup = GenerationLookup(settings.generation_addr)
    try:
        yield LiveProgress(
            hub,
            feed,
            lookup,
            metrics,
            heartbeat_s=settings.edge_sse_heartbeat_s,
            inbox_events=settings.edge_sse_inbox_events,
            ready_wait_s=settings.edge_sse_ready_wait_s,
        )
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await feed.close()
        await lookup.close()
        await client.drain()
