"""Dead letters: messages a service gave up on, parked in its own database for an operator.

A consumer parks a message after its last allowed delivery failed, or at once on a permanent
failure; a relay parks an event it cannot publish. Nothing is lost silently: each parked message
keeps its payload, headers and last error, and `DeadLetterService` lists, retries or drops it.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from opentelemetry import metrics
from opentelemetry.metrics import Counter, MeterProvider

from atelier_runtime.bus import OutgoingMessage
from atelier_runtime.db import DbConnection, DbPool, apply_migrations

DEAD_LETTERS_COMPONENT = "atelier.dead_letters"
DEAD_LETTERS_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE dead_letters (
        id bigserial PRIMARY KEY,
        origin text NOT NULL,
        msg_id text NOT NULL,
        subject text NOT NULL,
        payload bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        attempts integer NOT NULL,
        last_error text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (origin, msg_id)
    )
    """,
)
# Enough for an exception's message and the start of its cause, never a whole payload echoed.
MAX_ERROR_CHARS = 2_000
RELAY_ORIGIN_PREFIX = "relay:"

_log = logging.getLogger(__name__)


def relay_origin(source: str) -> str:
    """The origin of the events a relay parks: `relay:<its source's name>`."""
    return f"{RELAY_ORIGIN_PREFIX}{source}"


def is_relay_origin(origin: str) -> bool:
    return origin.startswith(RELAY_ORIGIN_PREFIX)


def bounded_error(error: str) -> str:
    """The error text as stored: cut to MAX_ERROR_CHARS, NULs removed (text columns refuse them)."""
    text = error.replace("\x00", "")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def describe(error: BaseException) -> str:
    """`TypeName: message`, the form dead letters keep their last error in."""
    return bounded_error(f"{type(error).__name__}: {error}")


async def install_dead_letters(pool: DbPool | DbConnection) -> None:
    """Creates the dead-letter table in the service's database (safe at every start)."""
    await apply_migrations(pool, DEAD_LETTERS_COMPONENT, DEAD_LETTERS_MIGRATIONS)


@functools.cache
def _dead_letter_counter(provider: MeterProvider | None) -> Counter:
    # Created once per provider: the SDK warns when an instrument is created twice.
    meter = metrics.get_meter("atelier.messaging", meter_provider=provider)
    return meter.create_counter(
        "atelier.messaging.dead_letters",
        unit="{message}",
        description="Messages parked as dead letters, by origin (a consumer or a relay)",
    )


async def park(
    conn: DbConnection,
    *,
    origin: str,
    msg_id: str,
    subject: str,
    payload: bytes,
    headers: Mapping[str, str],
    attempts: int,
    error: str,
    meter_provider: MeterProvider | None = None,
) -> None:
    """Parks one message; parking the same (origin, msg_id) again changes nothing."""
    parked = await conn.fetchval(
        """
        INSERT INTO dead_letters (origin, msg_id, subject, payload, headers, attempts, last_error)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
        ON CONFLICT (origin, msg_id) DO NOTHING
        RETURNING true
        """,
        origin,
        msg_id,
        subject,
        payload,
        json.dumps(dict(headers)),
        attempts,
        bounded_error(error),
    )
    if not parked:
        return
    _dead_letter_counter(meter_provider).add(1, {"origin": origin})
    _log.error(
        "message parked as a dead letter",
        extra={"origin": origin, "msg_id": msg_id, "subject": subject, "attempts": attempts},
    )


def relay_parking(source: str) -> Callable[[DbConnection, OutgoingMessage, str], Awaitable[None]]:
    """What a relay of `source` calls to park an event no stream can take."""

    async def park_event(conn: DbConnection, message: OutgoingMessage, error: str) -> None:
        await park(
            conn,
            origin=relay_origin(source),
            msg_id=message.msg_id,
            subject=message.subject,
            payload=message.payload,
            headers=message.headers,
            attempts=1,
            error=error,
        )

    return park_event
