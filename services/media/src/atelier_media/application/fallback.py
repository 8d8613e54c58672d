"""The server transfer of media still external when its fallback timer is due.

Timers live in the media table (fallback_due_at), so they survive restarts of this service and
of NATS; replicas claim due records with FOR UPDATE SKIP LOCKED and a lease, so each transfer runs
in one replica at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from atelier_media.adapters import media_table
from atelier_media.adapters.media_messages import MediaMessages
from atelier_media.adapters.object_store import KeyExists, ObjectStore
from atelier_media.adapters.source_fetcher import SourceFetcher, SourceUnavailable
from atelier_media.application.storing import Storing
from atelier_media.application.streamed_copy import copy_into
from atelier_media.domain.media_record import MediaRecord, Status, StoredBy
from atelier_media.domain.source_rules import SourceRefused
from atelier_media.domain.upload_rules import upload_refusal
from atelier_runtime.db import DbPool

_log = logging.getLogger(__name__)


class FallbackTransfers:
    def __init__(
        self,
        pool: DbPool,
        store: ObjectStore,
        fetcher: SourceFetcher,
        storing: Storing,
        messages: MediaMessages,
        clock: Callable[[], datetime],
        *,
        max_bytes: int,
        part_bytes: int,
        parts_in_flight: int = 4,
        deadline_s: float,
        retry_base_s: float,
        max_attempts: int,
    ) -> None:
        self._pool = pool
        self._store = store
        self._fetcher = fetcher
        self._storing = storing
        self._messages = messages
        self._clock = clock
        self._max_bytes = max_bytes
        self._part_bytes = part_bytes
        self._parts_in_flight = parts_in_flight
        self._deadline_s = deadline_s
        self._retry_base_s = retry_base_s
        self._max_attempts = max_attempts

    async def run_due(self) -> bool:
        """Claims and transfers one due record; False when none is due."""
        now = self._clock()
        # The lease outlives the transfer's deadline: only a dead replica's claim runs out.
        lease = now + timedelta(seconds=self._deadline_s + 60)
        async with self._pool.acquire() as conn, conn.transaction():
            record = await media_table.claim_due(conn, now, lease)
        if record is None:
            return False
        if not record.is_external:
            await media_table.save_timer(self._pool, record.media_id, None)
            return True
        self._storing.metrics.fallback_started((now - record.created_at).total_seconds())
        await self.transfer(record)
        return True

    async def transfer(self, record: MediaRecord) -> None:
        started = time.monotonic()
        outcome = "stored"
        try:
            if not record.source_valid_at(self._clock()):
                raise SourceRefused("SOURCE_EXPIRED", "the provider URL has expired")
            size = await self._copy(record)
            current = await self._storing.store(record.media_id, StoredBy.SERVER, size)
            if current.status in (Status.DELETED, Status.EXPIRED):
                # Deleted while the copy ran: the object we just wrote belongs to nobody.
                await self._store.delete(record.key)
        except KeyExists:
            outcome = "taken"
            await self._adopt_existing(record)
        except SourceRefused as refused:
            outcome = "refused"
            await self._give_up(record, str(refused))
        except (SourceUnavailable, TimeoutError, OSError) as error:
            outcome = "retry"
            await self._retry_or_give_up(record, str(error) or type(error).__name__)
        except Exception as error:  # a bug or a storage outage: retried like a passing failure
            outcome = "retry"
            _log.exception("transfer of %s failed", record.media_id)
            await self._retry_or_give_up(record, f"INTERNAL: {type(error).__name__}")
        finally:
            self._storing.metrics.fallback_finished(time.monotonic() - started, outcome)

    async def _copy(self, record: MediaRecord) -> int:
        async with asyncio.timeout(self._deadline_s):
            async with self._fetcher.open(
                record.source_url, record.content_type, self._max_bytes
            ) as source:
                return await copy_into(
                    self._store,
                    source.chunks(),
                    record.key,
                    record.content_type,
                    self._part_bytes,
                    max_in_flight=self._parts_in_flight,
                )

    async def _adopt_existing(self, record: MediaRecord) -> None:
        """The key was taken during the transfer: a browser upload landed first. Keep it if good."""
        facts = await self._store.facts(record.key)
        refusal = upload_refusal(facts, record.content_type, self._max_bytes)
        if refusal is None and facts is not None:
            await self._storing.store(record.media_id, StoredBy.CLIENT, facts.size)
            return
        if facts is not None:
            await self._store.delete(record.key)
        await self._retry_or_give_up(record, f"the object at our key was refused: {refusal}")

    async def _retry_or_give_up(self, record: MediaRecord, reason: str) -> None:
        delay = self._retry_base_s * 2 ** min(record.attempts - 1, 10)
        due = self._clock() + timedelta(seconds=delay)
        if record.attempts >= self._max_attempts or not record.source_valid_at(due):
            await self._give_up(record, f"GAVE_UP: after {record.attempts} attempts: {reason}")
            return
        _log.warning(
            "transfer of %s failed (%s); retrying in %.0fs", record.media_id, reason, delay
        )
        await media_table.reschedule(self._pool, record.media_id, due, reason)

    async def _give_up(self, record: MediaRecord, reason: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            current = await media_table.lock(conn, record.media_id)
            if current is None or not current.is_external:
                return  # stored by the browser meanwhile
            failed = current.transfer_failed(reason[:500])
            await media_table.save(conn, failed, fallback_due_at=None)
            await self._messages.transfer_failed(conn, failed)
        self._storing.metrics.transfer_failed(reason)
        _log.warning("transfer of %s failed for good: %s", record.media_id, reason)


async def run_fallback_worker(transfers: FallbackTransfers, poll_s: float) -> None:
    """Transfers due records one after another; sleeps `poll_s` when none is due."""
    while True:
        try:
            if await transfers.run_due():
                continue
        except Exception:
            _log.exception("fallback worker failed; retrying")
        await asyncio.sleep(poll_s)
