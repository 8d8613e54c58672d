"""Media records as atelier.media.v1 messages."""

from __future__ import annotations

from atelier.media.v1 import media_pb2
from atelier_media.application.library import MediaView
from atelier_media.domain.media_record import Status, StoredBy
from atelier_runtime.proto_time import to_optional_timestamp, to_timestamp

_STATUS = {
    Status.EXTERNAL: media_pb2.MEDIA_STATUS_EXTERNAL,
    Status.STORED: media_pb2.MEDIA_STATUS_STORED,
    Status.EXPIRED: media_pb2.MEDIA_STATUS_EXPIRED,
    Status.TRANSFER_FAILED: media_pb2.MEDIA_STATUS_TRANSFER_FAILED,
    Status.DELETED: media_pb2.MEDIA_STATUS_DELETED,
}
_STORED_BY = {
    StoredBy.CLIENT: media_pb2.STORED_BY_CLIENT,
    StoredBy.SERVER: media_pb2.STORED_BY_SERVER,
}


def media(view: MediaView) -> media_pb2.Media:
    record = view.record
    return media_pb2.Media(
        id=record.media_id,
        account_id=record.account_id,
        status=_STATUS[record.status],
        content_type=record.content_type,
        bytes=record.size,
        stored_by=(
            _STORED_BY[record.stored_by] if record.stored_by else media_pb2.STORED_BY_UNSPECIFIED
        ),
        url=view.url,
        generation_id=record.generation_id,
        plan=record.plan,
        source_expires_at=to_optional_timestamp(record.source_expires_at),
        failure_reason=record.failure_reason,
        created_at=to_timestamp(record.created_at),
        stored_at=to_optional_timestamp(record.stored_at),
    )
