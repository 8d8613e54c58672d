"""Waiting on a provider job with two sources of news: the SDK's polls and the provider's
callbacks, which are recorded by whichever replica received them and nudge the waiting driver."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any

from atelier_generation.adapters import provider_updates
from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob, WebhookUpdate
from atelier_generation.providers.provider import Provider
from atelier_runtime.db import DbPool


class WatchedProvider:
    """A provider whose polls read its recorded callbacks first: terminal news is taken as it
    is (the driver acts at once, the provider is not asked again); a running job's progress is
    at least what a callback reported, so progress never goes backwards."""

    def __init__(self, inner: Provider, pool: DbPool) -> None:
        self._inner = inner
        self._pool = pool
        self.name = inner.name

    async def poll(self, job: ProviderJob) -> JobStatus:
        news = await provider_updates.latest(self._pool, job)
        if news is not None and news.state.terminal:
            return news
        status = await self._inner.poll(job)
        if news is None or status.state.terminal or news.progress <= status.progress:
            return status
        return JobStatus(JobState.RUNNING, news.progress, detail=status.detail)

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        return await self._inner.submit(model, params)

    async def cancel(self, job: ProviderJob) -> None:
        await self._inner.cancel(job)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        return self._inner.parse_webhook(headers, body)


async def unless_nudged(waiting: Awaitable[JobStatus], nudged: asyncio.Event) -> JobStatus | None:
    """The job's end as `waiting` finds it, or None when a nudge came first; `waiting` is then
    stopped, and the caller polls again (its first poll reads the news)."""
    polling = asyncio.ensure_future(waiting)
    nudge = asyncio.ensure_future(nudged.wait())
    try:
        await asyncio.wait({polling, nudge}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        nudge.cancel()
        if not polling.done():
            polling.cancel()
        await asyncio.gather(polling, nudge, return_exceptions=True)
    if polling.cancelled():
        return None
    return polling.result()
