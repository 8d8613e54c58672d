"""Webhook intake: verify the signature, store the event once, answer. Nothing else, so Stripe
gets its 2xx fast; the event worker applies it later."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from atelier_billing.adapters import event_table
from atelier_billing.domain.errors import MalformedEvent, WebhookSecretMissing
from atelier_billing.domain.signature import verify_signature
from atelier_billing.domain.stripe_event import MAX_BODY_BYTES, parse_event
from atelier_runtime.db import DbPool

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    event_id: str
    type: str
    # Stored before under this id: nothing more was done.
    duplicate: bool


class WebhookIntake:
    def __init__(self, pool: DbPool, secrets: Sequence[str], clock: Callable[[], float]) -> None:
        self._pool = pool
        self._secrets = tuple(secrets)
        self._clock = clock

    async def receive(self, body: bytes, signature_header: str | None) -> Received:
        # Checked before any hashing: a huge body costs nothing but this comparison.
        if len(body) > MAX_BODY_BYTES:
            raise MalformedEvent(
                f"is {len(body):,} bytes, more than the {MAX_BODY_BYTES:,} accepted",
                reason="BODY_TOO_LARGE",
            )
        if not self._secrets:
            raise WebhookSecretMissing()
        verify_signature(body, signature_header, self._secrets, now=self._clock())
        event = parse_event(body)
        async with self._pool.acquire() as conn:
            stored = await event_table.store(conn, event, body)
        _log.info(
            "stripe event received",
            extra={"event_id": event.event_id, "type": event.type, "duplicate": not stored},
        )
        return Received(event.event_id, event.type, duplicate=not stored)
