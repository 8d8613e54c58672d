"""The credits event log is the outbox: the relay publishes it in commit order to atelier.credits.*."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

from atelier_credits.adapters.event_messages import envelope_for
from atelier_runtime.bus import OutgoingMessage
from atelier_runtime.bus_names import BusNames
from atelier_runtime.relay_source import tx_ordered_batch_query, tx_ordered_lag_query

# account_balances is written in the same transaction as the events, so the join always finds
# the account id of a committed event.
_BATCH = tx_ordered_batch_query(
    "credits_events e JOIN account_balances b ON b.aggregate_id = e.originator_id",
    "e.originator_id, e.originator_version, e.topic, e.state, e.trace_context, b.account_id",
    tx_id="e.tx_id",
    position="e.notification_id",
)


class CreditsLogSource:
    """RelaySource over credits_events; `Nats-Msg-Id` = `<aggregate id>:<version>`."""

    name = "credits_events"
    notify_channel: str | None = None  # NOTIFY would serialise every ledger commit; we poll.
    batch_query = _BATCH
    lag_query = tx_ordered_lag_query(
        "credits_events", "recorded_at", tx_id="tx_id", position="notification_id"
    )

    def __init__(self, mapper: Mapper[UUID], names: BusNames) -> None:
        self._mapper = mapper
        self._names = names

    def to_message(self, row: asyncpg.Record) -> OutgoingMessage:
        stored = StoredEvent(
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        suffix, envelope = envelope_for(self._mapper.to_domain_event(stored), row["account_id"])
        return OutgoingMessage(
            subject=self._names.subject("credits", suffix),
            payload=envelope.SerializeToString(),
            msg_id=envelope.event_id,
            # The trace of the request that recorded the event, not of this relay.
            headers=json.loads(row["trace_context"]) if row["trace_context"] else {},
        )
