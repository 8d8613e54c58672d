"""Billing's plan_changed events as billing publishes them, for generation's consumer."""

from __future__ import annotations

import uuid
from datetime import datetime

from nats.js import JetStreamContext

from atelier.events.v1 import billing_pb2, envelope_pb2
from atelier_runtime.bus import ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool
from atelier_runtime.proto_time import to_timestamp


def plan_changed(account: str, plan: str, at: datetime) -> envelope_pb2.Envelope:
    payload = billing_pb2.PlanChanged(account_id=account, plan=plan, status="active")
    envelope = envelope_pb2.Envelope(
        event_id=f"billing:plan_changed:{uuid.uuid4().hex}",
        type=payload.DESCRIPTOR.full_name,
        occurred_at=to_timestamp(at),
        subject_id=account,
        producer="billing",
    )
    envelope.payload.Pack(payload)
    return envelope


async def announce(
    js: JetStreamContext, names: BusNames, envelope: envelope_pb2.Envelope, *, msg_id: str = ""
) -> None:
    """Publishes on billing's stream; `msg_id` other than the event id makes a redelivery the
    stream does not deduplicate (what a replay of the stream hands a consumer)."""
    await ensure_stream(js, names, "billing")
    await js.publish(
        names.subject("billing", "plan_changed"),
        envelope.SerializeToString(),
        headers={"Nats-Msg-Id": msg_id or envelope.event_id},
    )


async def known_plan(pool: DbPool, account: str) -> str | None:
    plan = await pool.fetchval("SELECT plan FROM account_plans WHERE account_id = $1", account)
    return None if plan is None else str(plan)
