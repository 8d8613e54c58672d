"""`atelier.generation.*` events, derived from a recorded change and written to the outbox in the
transaction that records it; the relay publishes them in commit order."""

from __future__ import annotations

from google.protobuf.message import Message

from atelier.events.v1 import envelope_pb2
from atelier.events.v1 import generation_pb2 as events
from atelier_generation.domain.generation import Generation, Status
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbConnection
from atelier_runtime.outbox import add_to_outbox
from atelier_runtime.proto_time import to_optional_timestamp, to_timestamp

PRODUCER = "generation"


def facts(before: Generation | None, after: Generation) -> list[tuple[str, Message]]:
    """The events a change from `before` (None: just recorded) to `after` states, in order."""
    found: list[tuple[str, Message]] = []
    g = after
    if before is None:
        requested = events.GenerationRequested(
            generation_id=g.id, account_id=g.account_id, tool=g.tool, model=g.model, cost=g.cost
        )
        found.append(("requested", requested))
    elif before.provider_job_id is None and g.provider_job_id is not None:
        started = events.GenerationStarted(
            generation_id=g.id,
            account_id=g.account_id,
            provider=g.provider,
            provider_job_id=g.provider_job_id,
        )
        found.append(("started", started))
    if before is not None and g.progress != before.progress and not g.status.ended:
        progressed = events.GenerationProgressed(
            generation_id=g.id, account_id=g.account_id, progress=g.progress
        )
        found.append(("progressed", progressed))
    if g.status.ended and (before is None or not before.status.ended):
        found.append(_ending(g))
    return found


def _ending(g: Generation) -> tuple[str, Message]:
    if g.status is Status.SUCCEEDED:
        outputs = [
            events.Output(
                url=o.url,
                content_type=o.content_type,
                expires_at=to_optional_timestamp(o.expires_at),
                index=n,
                media_id=f"{g.id}-{n}",
            )
            for n, o in enumerate(g.outputs)
        ]
        return "succeeded", events.GenerationSucceeded(
            generation_id=g.id, account_id=g.account_id, outputs=outputs
        )
    if g.status is Status.CANCELED:
        return "canceled", events.GenerationCanceled(generation_id=g.id, account_id=g.account_id)
    failure = g.failure
    return "failed", events.GenerationFailed(
        generation_id=g.id,
        account_id=g.account_id,
        error_code=failure.code if failure else "",
        error_message=failure.message if failure else "",
        fault=failure.fault if failure else "",
    )


class GenerationEvents:
    """Adds each fact of a change to the outbox; ids derive from the generation's version, so a
    change recorded once is published once."""

    def __init__(self, names: BusNames) -> None:
        self._names = names

    async def record(
        self, conn: DbConnection, before: Generation | None, after: Generation
    ) -> None:
        for name, payload in facts(before, after):
            envelope = envelope_pb2.Envelope(
                event_id=f"{after.id}:{after.version}:{name}",
                type=payload.DESCRIPTOR.full_name,
                occurred_at=to_timestamp(after.updated_at),
                subject_id=after.id,
                correlation_id=after.id,
                producer=PRODUCER,
                subject_version=after.version,
            )
            envelope.payload.Pack(payload)
            await add_to_outbox(
                conn,
                event_id=envelope.event_id,
                subject=self._names.subject("generation", name),
                payload=envelope.SerializeToString(),
            )
