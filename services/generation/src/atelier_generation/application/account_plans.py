"""Which plan each account is on, from billing's `plan_changed` events: queued work of paid
plans is claimed first, and providers that take a priority hint get the plan's."""

from __future__ import annotations

from nats.aio.msg import Msg

from atelier.events.v1 import billing_pb2
from atelier_generation.domain.plan_priority import DEFAULT_PLAN
from atelier_runtime.consumer import PermanentFailure
from atelier_runtime.db import DbConnection, DbPool
from atelier_runtime.envelopes import event_of

PLANS_CONSUMER = "generation-plan-changed"
_MAX_ID = 200
_MAX_PLAN = 64


async def plan_of(conn: DbConnection | DbPool, account_id: str) -> str:
    """The plan billing last announced for the account; "free" when it announced none."""
    plan = await conn.fetchval("SELECT plan FROM account_plans WHERE account_id = $1", account_id)
    return str(plan) if plan else DEFAULT_PLAN


async def record_plan_change(conn: DbConnection, msg: Msg) -> None:
    """The consumer's handler: keeps the newest announcement per account. Events may arrive out
    of order or twice; the one that happened later wins, and at the same instant the one later
    in billing's stream."""
    read = event_of(msg.data, billing_pb2.PlanChanged)
    if read is None:
        return
    change, occurred_at = read
    account_id = _bounded("account_id", change.account_id, _MAX_ID)
    plan = _bounded("plan", change.plan or DEFAULT_PLAN, _MAX_PLAN)
    await conn.execute(
        """
        INSERT INTO account_plans (account_id, plan, changed_at, stream_seq)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id) DO UPDATE
            SET plan = excluded.plan, changed_at = excluded.changed_at,
                stream_seq = excluded.stream_seq
        WHERE (account_plans.changed_at, account_plans.stream_seq)
              <= (excluded.changed_at, excluded.stream_seq)
        """,
        account_id,
        plan,
        occurred_at,
        msg.metadata.sequence.stream,
    )


def _bounded(field: str, value: str, limit: int) -> str:
    if not 0 < len(value) <= limit or not value.isprintable() or value.strip() != value:
        raise PermanentFailure(f"{field} must be 1 to {limit} printable characters")
    return value
