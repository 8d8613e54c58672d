"""Which plan each account is on, from billing's `plan_changed` events: it decides a new record's
prefix (`free/` or `paid/`) and so its retention."""

from __future__ import annotations

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg

from atelier.events.v1 import billing_pb2, envelope_pb2
from atelier_media.domain.wire_bounds import bounded_id
from atelier_runtime.consumer import PermanentFailure
from atelier_runtime.db import DbConnection
from atelier_runtime.proto_time import from_timestamp

PLAN_CHANGED_TYPE = billing_pb2.PlanChanged.DESCRIPTOR.full_name
DEFAULT_PLAN = "free"
_MAX_PLAN = 64


async def plan_of(conn: DbConnection, account_id: str) -> str:
    """`paid` for an account billing last announced on a paid plan (basic, pro, …), else `free`:
    storage knows two retention classes, not every plan's name."""
    plan = await conn.fetchval("SELECT plan FROM account_plans WHERE account_id = $1", account_id)
    return "paid" if plan and plan != DEFAULT_PLAN else DEFAULT_PLAN


async def record_plan_change(conn: DbConnection, msg: Msg) -> None:
    """The consumer's handler: keeps the newest announcement per account (events may arrive out
    of order; the one that happened later wins)."""
    try:
        envelope = envelope_pb2.Envelope.FromString(msg.data)
    except DecodeError as error:
        raise PermanentFailure(f"not an Envelope: {error}") from None
    if envelope.type != PLAN_CHANGED_TYPE:
        return
    change = billing_pb2.PlanChanged()
    if not envelope.payload.Unpack(change):
        raise PermanentFailure(f"payload is not {PLAN_CHANGED_TYPE}")
    try:
        account_id = bounded_id("account_id", change.account_id)
        plan = bounded_id("plan", change.plan or DEFAULT_PLAN)[:_MAX_PLAN]
    except ValueError as error:
        raise PermanentFailure(str(error)) from None
    await conn.execute(
        """
        INSERT INTO account_plans (account_id, plan, changed_at) VALUES ($1, $2, $3)
        ON CONFLICT (account_id) DO UPDATE SET plan = excluded.plan, changed_at = excluded.changed_at
        WHERE account_plans.changed_at <= excluded.changed_at
        """,
        account_id,
        plan,
        from_timestamp(envelope.occurred_at),
    )
