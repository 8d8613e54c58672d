"""Backend messages in the public shapes (translation only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from atelier.credits.v1 import credits_pb2
from atelier.generation.v1 import generation_pb2
from atelier.media.v1 import media_pb2
from atelier_edge.http_api import models

_STATUS: dict[int, models.GenerationStatus] = {
    generation_pb2.GENERATION_STATUS_QUEUED: "queued",
    generation_pb2.GENERATION_STATUS_RUNNING: "running",
    generation_pb2.GENERATION_STATUS_SUCCEEDED: "succeeded",
    generation_pb2.GENERATION_STATUS_FAILED: "failed",
    generation_pb2.GENERATION_STATUS_CANCELED: "canceled",
}
_CREDITS: dict[int, models.CreditsState] = {
    generation_pb2.CREDITS_STATE_UNSPECIFIED: "none",
    generation_pb2.CREDITS_STATE_FROZEN: "frozen",
    generation_pb2.CREDITS_STATE_CONFIRMED: "confirmed",
    generation_pb2.CREDITS_STATE_ROLLED_BACK: "rolled_back",
    generation_pb2.CREDITS_STATE_CHARGE_WAIVED: "charge_waived",
}
_MEDIA_STATUS: dict[int, models.MediaStatus] = {
    media_pb2.MEDIA_STATUS_EXTERNAL: "external",
    media_pb2.MEDIA_STATUS_STORED: "stored",
    media_pb2.MEDIA_STATUS_EXPIRED: "expired",
    media_pb2.MEDIA_STATUS_TRANSFER_FAILED: "transfer_failed",
    media_pb2.MEDIA_STATUS_DELETED: "deleted",
}
_STORED_BY: dict[int, Any] = {
    media_pb2.STORED_BY_CLIENT: "client",
    media_pb2.STORED_BY_SERVER: "server",
}


def when(stamp: Timestamp, present: bool = True) -> datetime | None:
    if not present or (stamp.seconds == 0 and stamp.nanos == 0):
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def generation(g: generation_pb2.Generation) -> models.Generation:
    failure = g.failure if g.HasField("failure") else None
    error = (
        models.GenerationError(code=failure.code, message=failure.message, fault=failure.fault)
        if failure is not None
        else (models.GenerationError(code="failed", message=g.error, fault="") if g.error else None)
    )
    return models.Generation(
        id=g.id,
        status=_STATUS.get(g.status, "queued"),
        progress=max(0, min(100, g.progress)),
        tool=g.tool,
        model=g.model,
        cost=g.cost,
        credits=_CREDITS.get(g.credits_state, "none"),
        outputs=[
            models.GenerationOutput(
                media_id=o.media_id,
                content_type=o.content_type,
                url=o.url,
                expires_at=when(o.expires_at, o.HasField("expires_at")),
            )
            for o in sorted(g.outputs, key=lambda o: o.index)
        ],
        error=error,
        queue_position=g.queue_position,
        cancel_requested=g.cancel_requested,
        created_at=when(g.created_at, g.HasField("created_at")),
        updated_at=when(g.updated_at, g.HasField("updated_at")),
    )


def tool(t: generation_pb2.Tool) -> models.Tool:
    return models.Tool(
        id=t.id,
        name=t.name,
        kind=t.kind,
        description=t.description,
        models=[
            models.ToolModel(
                id=m.id,
                name=m.name,
                provider=m.provider,
                description=m.description,
                cost=m.cost,
                cost_rule=m.cost_rule,
                max_duration_s=m.max_duration_s,
                outputs=models.ModelOutputs(
                    kind=m.outputs.kind,
                    content_type=m.outputs.content_type,
                    count=m.outputs.count,
                    count_field=m.outputs.count_field,
                ),
                input_schema=json.loads(m.input_schema_json or "{}"),
            )
            for m in t.models
        ],
    )


def media(m: media_pb2.Media) -> models.Media:
    return models.Media(
        id=m.id,
        status=_MEDIA_STATUS.get(m.status, "unknown"),
        content_type=m.content_type,
        bytes=m.bytes,
        stored_by=_STORED_BY.get(m.stored_by),
        url=m.url,
        generation_id=m.generation_id,
        created_at=when(m.created_at, m.HasField("created_at")),
        stored_at=when(m.stored_at, m.HasField("stored_at")),
    )


def ledger_line(line: credits_pb2.StatementLine) -> models.LedgerLine:
    return models.LedgerLine(
        version=line.version,
        kind=line.kind,
        entry_id=line.entry_id,
        amount=line.amount,
        available_after=line.available_after,
        frozen_after=line.frozen_after,
        reference=line.reference,
        occurred_at=when(line.occurred_at, line.HasField("occurred_at")),
    )
