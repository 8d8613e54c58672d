"""Records every output of a succeeded generation, and schedules its fallback transfer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from nats.aio.msg import Msg

from atelier.events.v1 import generation_pb2
from atelier_media.adapters import media_table
from atelier_media.application.account_plans import plan_of
from atelier_media.domain.content_types import normalise
from atelier_media.domain.media_record import MediaRecord, new_external_record
from atelier_media.domain.wire_bounds import bounded_id
from atelier_runtime.consumer import PermanentFailure
from atelier_runtime.db import DbConnection
from atelier_runtime.envelopes import event_of
from atelier_runtime.proto_time import from_timestamp

_log = logging.getLogger(__name__)
MAX_OUTPUTS = 64


def succeeded_event(data: bytes) -> generation_pb2.GenerationSucceeded | None:
    """The GenerationSucceeded inside an envelope; None for other event types."""
    read = event_of(data, generation_pb2.GenerationSucceeded)
    return None if read is None else read[0]


class OutputRecorder:
    """The consumer's handler: one record per output, in the transaction that marks the event seen."""

    def __init__(self, clock: Callable[[], datetime], fallback_delay: timedelta) -> None:
        self._clock = clock
        self._delay = fallback_delay

    async def __call__(self, conn: DbConnection, msg: Msg) -> None:
        event = succeeded_event(msg.data)
        if event is None:
            return
        if len(event.outputs) > MAX_OUTPUTS:
            raise PermanentFailure(f"{len(event.outputs)} outputs, more than {MAX_OUTPUTS}")
        now = self._clock()
        plan = await plan_of(conn, event.account_id)
        for output in event.outputs:
            record = self._record_of(event, output, now, plan)
            # A record that exists (the same output delivered twice) is left as it is.
            await media_table.insert(conn, record, now + self._delay)

    def _record_of(
        self,
        event: generation_pb2.GenerationSucceeded,
        output: generation_pb2.Output,
        now: datetime,
        plan: str,
    ) -> MediaRecord:
        try:
            generation_id = bounded_id("generation_id", event.generation_id)
            account_id = bounded_id("account_id", event.account_id)
            media_id = bounded_id("media_id", output.media_id or f"{generation_id}-{output.index}")
        except ValueError as error:
            raise PermanentFailure(str(error)) from None
        # An unknown type is still recorded; the transfer refuses it and says so.
        return new_external_record(
            media_id=media_id,
            account_id=account_id,
            generation_id=generation_id,
            content_type=normalise(output.content_type) or output.content_type[:100],
            source_url=output.url[:4096],
            source_expires_at=(
                from_timestamp(output.expires_at) if output.HasField("expires_at") else None
            ),
            now=now,
            plan=plan,
        )
