"""Which plan each account is on, from billing's `plan_changed` events: it decides a new record's
prefix (`free/` or `paid/`) and so its retention."""

from __future__ import annotations

from nats.aio.msg import Msg

from atelier.events.v1 import billing_pb2
from atelier_media.domain.wire_bounds import bounded_id
from atelier_runtime.consumer import PermanentFailure
from atelier_runtime.db import DbConnection
from atelier_runtime.envelopes import event_of

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
    read = event_of(msg.data, billing_pb2.PlanChanged)
    if read is None:
        return
    change, occurred_at = read
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
        occurred_at,
    )
