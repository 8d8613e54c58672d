"""atelier.runtime.v1.DeadLetterService: an operator lists, inspects, retries and drops the
dead letters of the service that mounts it. Only translation lives here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

from atelier.runtime.v1 import dead_letters_pb2 as pb
from atelier.runtime.v1 import dead_letters_pb2_grpc
from atelier_runtime import dead_letter_requests as check
from atelier_runtime.consumer import IdempotentConsumer
from atelier_runtime.db import DbPool
from atelier_runtime.dead_letter_retry import DeadLetterRetrier, Republish, RetryOutcome
from atelier_runtime.dead_letter_store import (
    DeadLetterSummary,
    dead_letter,
    list_dead_letters,
    remove_dead_letter,
)
from atelier_runtime.dead_letters import install_dead_letters
from atelier_runtime.errors import NotFound
from atelier_runtime.grpc_guards import CallGuard
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.proto_time import to_timestamp

Context = grpc.aio.ServicerContext[Any, Any]
DEAD_LETTER_SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DeadLetterService"].full_name
# Letters retried per call when retrying a whole origin, so one call stays within its deadline.
RETRY_PAGE = 100


class DeadLetterServicer(dead_letters_pb2_grpc.DeadLetterServiceServicer):
    """Reads the service's dead-letter table; retries go through the service's retrier."""

    def __init__(self, pool: DbPool, retrier: DeadLetterRetrier) -> None:
        self._pool = pool
        self._retrier = retrier

    async def List(self, request: pb.ListRequest, context: Context) -> pb.ListResponse:
        origin = check.origin(request.origin) if request.HasField("origin") else None
        size = check.page_size(request.page_size)
        after = check.page_token(request.page_token)
        found = await list_dead_letters(self._pool, origin=origin, after_id=after, limit=size + 1)
        page = found[:size]
        more = len(found) > size
        return pb.ListResponse(
            dead_letters=[_summary(letter) for letter in page],
            next_page_token=check.page_token_after(page[-1].id) if more else "",
        )

    async def Get(self, request: pb.GetRequest, context: Context) -> pb.GetResponse:
        letter_id = check.letter_id(request.id)
        letter = await dead_letter(self._pool, letter_id)
        if letter is None:
            raise _not_found(letter_id)
        full = pb.DeadLetter(
            summary=_summary(letter.summary), headers=letter.headers, payload=letter.payload
        )
        return pb.GetResponse(dead_letter=full)

    async def Retry(self, request: pb.RetryRequest, context: Context) -> pb.RetryResponse:
        if request.WhichOneof("target") == "origin":
            outcomes, next_after = await self._retrier.retry_origin(
                check.origin(request.origin),
                after_id=check.after_id(request.after_id),
                limit=RETRY_PAGE,
            )
            return pb.RetryResponse(
                outcomes=[_outcome(o) for o in outcomes], next_after_id=next_after
            )
        outcome = await self._retrier.retry(check.letter_id(request.id))
        return pb.RetryResponse(outcomes=[_outcome(outcome)])

    async def Drop(self, request: pb.DropRequest, context: Context) -> pb.DropResponse:
        letter_id = check.letter_id(request.id)
        if not await remove_dead_letter(self._pool, letter_id):
            raise _not_found(letter_id)
        return pb.DropResponse()


def _not_found(letter_id: int) -> NotFound:
    return NotFound(f"no dead letter {letter_id}", reason="DEAD_LETTER_NOT_FOUND")


def _summary(letter: DeadLetterSummary) -> pb.DeadLetterSummary:
    return pb.DeadLetterSummary(
        id=letter.id,
        origin=letter.origin,
        msg_id=letter.msg_id,
        subject=letter.subject,
        attempts=letter.attempts,
        last_error=letter.last_error,
        payload_size=letter.payload_size,
        created_at=to_timestamp(letter.created_at),
    )


def _outcome(outcome: RetryOutcome) -> pb.RetryOutcome:
    return pb.RetryOutcome(id=outcome.id, retried=outcome.retried, error=outcome.error)


async def dead_letter_service(
    pool: DbPool,
    *,
    guard: CallGuard,
    consumers: Sequence[IdempotentConsumer] = (),
    republish: Republish | None = None,
) -> GrpcService:
    """The DeadLetterService a composition root mounts: its table created, retries wired to the
    service's consumers (by durable name) and to its relay's publisher, calls behind `guard`."""
    await install_dead_letters(pool)
    retrier = DeadLetterRetrier(pool, consumers=consumers, republish=republish)
    return GrpcService.of(
        DEAD_LETTER_SERVICE_NAME,
        dead_letters_pb2_grpc.add_DeadLetterServiceServicer_to_server,
        DeadLetterServicer(pool, retrier),
        guard=guard,
    )
