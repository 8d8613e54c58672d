"""Media's facts as `atelier.media.*` events, written to the outbox in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message

from atelier.events.v1 import envelope_pb2
from atelier.events.v1 import media_pb2 as events
from atelier_media.domain.media_record import MediaRecord, StoredBy
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbConnection
from atelier_runtime.outbox import add_to_outbox
from atelier_runtime.proto_time import to_timestamp

PRODUCER = "media"
_STORED_BY = {StoredBy.CLIENT: events.STORED_BY_CLIENT, StoredBy.SERVER: events.STORED_BY_SERVER}


class MediaMessages:
    """Builds each event's envelope; ids derive from the media id, so a retry adds nothing."""

    def __init__(self, names: BusNames, bucket: str) -> None:
        self._names = names
        self._bucket = bucket

    async def stored(self, conn: DbConnection, record: MediaRecord) -> None:
        payload = events.MediaStored(
            media_id=record.media_id,
            account_id=record.account_id,
            generation_id=record.generation_id,
            bucket=self._bucket,
            key=record.key,
            content_type=record.content_type,
            bytes=record.size,
            stored_by=_STORED_BY[record.stored_by]
            if record.stored_by
            else events.STORED_BY_UNSPECIFIED,
        )
        await self._add(conn, "stored", record, payload)

    async def transfer_failed(self, conn: DbConnection, record: MediaRecord) -> None:
        payload = events.MediaTransferFailed(
            media_id=record.media_id,
            account_id=record.account_id,
            generation_id=record.generation_id,
            reason=record.failure_reason[:500],
            attempts=record.attempts,
        )
        await self._add(conn, "transfer_failed", record, payload)

    async def expired(self, conn: DbConnection, record: MediaRecord) -> None:
        payload = events.MediaExpired(media_id=record.media_id, account_id=record.account_id)
        await self._add(conn, "expired", record, payload)

    async def deleted(self, conn: DbConnection, record: MediaRecord) -> None:
        payload = events.MediaDeleted(media_id=record.media_id, account_id=record.account_id)
        await self._add(conn, "deleted", record, payload)

    async def _add(
        self, conn: DbConnection, name: str, record: MediaRecord, payload: Message
    ) -> None:
        envelope = envelope_pb2.Envelope(
            event_id=f"media:{name}:{record.media_id}",
            type=payload.DESCRIPTOR.full_name,
            occurred_at=to_timestamp(datetime.now(UTC)),
            subject_id=record.media_id,
            causation_id=record.generation_id,
            correlation_id=record.generation_id,
            producer=PRODUCER,
        )
        envelope.payload.Pack(payload)
        await add_to_outbox(
            conn,
            event_id=envelope.event_id,
            subject=self._names.subject("media", name),
            payload=envelope.SerializeToString(),
        )
