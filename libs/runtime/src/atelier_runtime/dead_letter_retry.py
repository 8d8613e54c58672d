"""Retrying a dead letter: a consumer's through its handler, a relay's by publishing it again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias, cast

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from atelier_runtime.bus import Publisher
from atelier_runtime.consumer import IdempotentConsumer
from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.dead_letter_store import (
    StoredDeadLetter,
    dead_letter_ids,
    lock_dead_letter,
    record_failed_retry,
    remove_dead_letter,
)
from atelier_runtime.dead_letters import describe, is_relay_origin
from atelier_runtime.errors import FailedPrecondition, NotFound

# republish(subject, payload, msg_id, headers): publishes once, raises when it could not.
Republish: TypeAlias = Callable[[str, bytes, str, Mapping[str, str]], Awaitable[None]]
_Redo: TypeAlias = Callable[[DbConnection, StoredDeadLetter], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    """How one retry went: `retried` when the dead letter is gone, else the error it met."""

    id: int
    retried: bool
    error: str = ""


class NoRetryPath(FailedPrecondition):
    """This service has no handler (or no publisher) for the dead letter's origin."""

    def __init__(self, origin: str) -> None:
        super().__init__(
            f"this service cannot retry dead letters of origin {origin[:64]!r}: "
            "no consumer or relay of that name is registered",
            reason="NO_RETRY_PATH",
            metadata={"origin": origin[:200]},
        )


def republisher(publisher: Publisher) -> Republish:
    """The `republish` of a service whose relay publishes through `publisher`."""

    async def republish(
        subject: str, payload: bytes, msg_id: str, headers: Mapping[str, str]
    ) -> None:
        await publisher.publish(subject, payload, msg_id=msg_id, headers=headers)

    return republish


class DeadLetterRetrier:
    """Knows how to redo each origin: its consumers by durable name, its relays by republishing.

    A retry holds the dead letter's row lock for its whole transaction, so two retries of one
    letter never run side by side; the second finds it gone.
    """

    def __init__(
        self,
        pool: DbPool,
        *,
        consumers: Sequence[IdempotentConsumer] = (),
        republish: Republish | None = None,
    ) -> None:
        self._pool = pool
        self._consumers = {consumer.durable: consumer for consumer in consumers}
        self._republish = republish

    async def retry(self, letter_id: int) -> RetryOutcome:
        """Retries one letter; NotFound when absent, NoRetryPath when its origin is unknown here."""
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                letter = await lock_dead_letter(conn, letter_id)
                if letter is None:
                    raise NotFound(f"no dead letter {letter_id}", reason="DEAD_LETTER_NOT_FOUND")
                await self._redo_of(letter.summary.origin)(conn, letter)
                await remove_dead_letter(conn, letter_id)
        except (NotFound, NoRetryPath):
            raise
        except Exception as error:
            # Rolled back: the letter stays, with one more attempt and the newest error.
            await record_failed_retry(self._pool, letter_id, describe(error))
            return RetryOutcome(letter_id, retried=False, error=describe(error))
        return RetryOutcome(letter_id, retried=True)

    async def retry_origin(
        self, origin: str, *, after_id: int, limit: int
    ) -> tuple[list[RetryOutcome], int]:
        """Retries up to `limit` letters of `origin` after `after_id`; returns them and the id
        to continue after (0 when no more follow)."""
        self._redo_of(origin)  # refuses an origin this service cannot redo before touching any
        ids = await dead_letter_ids(self._pool, origin, after_id=after_id, limit=limit + 1)
        page = ids[:limit]
        outcomes = []
        for letter_id in page:
            try:
                outcomes.append(await self.retry(letter_id))
            except NotFound:
                continue  # dropped or retried by someone else meanwhile
        return outcomes, page[-1] if len(ids) > limit else 0

    def _redo_of(self, origin: str) -> _Redo:
        if is_relay_origin(origin) and self._republish is not None:
            return self._publish_again
        consumer = self._consumers.get(origin)
        if consumer is None:
            raise NoRetryPath(origin)

        async def process_again(conn: DbConnection, letter: StoredDeadLetter) -> None:
            msg_id = letter.summary.msg_id
            await consumer.process_in(conn, msg_id, stored_message(letter, consumer.stream))

        return process_again

    async def _publish_again(self, conn: DbConnection, letter: StoredDeadLetter) -> None:
        assert self._republish is not None
        summary = letter.summary
        await self._republish(summary.subject, letter.payload, summary.msg_id, letter.headers)


def stored_message(letter: StoredDeadLetter, stream: str) -> Msg:
    """The message as the handler first saw it, minus a connection: it cannot be acked."""
    summary = letter.summary
    metadata = Msg.Metadata(
        sequence=Msg.Metadata.SequencePair(
            consumer=0, stream=_stream_sequence(summary.msg_id, stream)
        ),
        num_pending=0,
        num_delivered=summary.attempts + 1,
        timestamp=summary.created_at,
        stream=stream,
        consumer=summary.origin,
    )
    return Msg(
        _client=cast(NATS, None),
        subject=summary.subject,
        data=letter.payload,
        headers=dict(letter.headers),
        _metadata=metadata,
    )


def _stream_sequence(msg_id: str, stream: str) -> int:
    # A message without an event id was known by "<stream>:<sequence>" (see message_id).
    prefix, _, sequence = msg_id.rpartition(":")
    return int(sequence) if prefix == stream and sequence.isdigit() else 0
