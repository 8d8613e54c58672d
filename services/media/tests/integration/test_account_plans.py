"""A new record takes the plan billing last announced for its account: its prefix and retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext
from services.media.tests.integration.conftest import MediaPlatform
from services.media.tests.media_service import PNG, output, publish_succeeded

from atelier.events.v1 import billing_pb2, envelope_pb2
from atelier_runtime.bus import ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.proto_time import to_timestamp
from atelier_testing.ids import random_name
from atelier_testing.polling import eventually


async def announce_plan(
    js: JetStreamContext, names: BusNames, account: str, plan: str, at: datetime
) -> None:
    """Publishes PlanChanged as billing does, in its envelope."""
    await ensure_stream(js, names, "billing")
    payload = billing_pb2.PlanChanged(account_id=account, plan=plan, status="active")
    envelope = envelope_pb2.Envelope(
        event_id=f"billing:plan_changed:{uuid.uuid4().hex}",
        type=payload.DESCRIPTOR.full_name,
        occurred_at=to_timestamp(at),
        subject_id=account,
        producer="billing",
    )
    envelope.payload.Pack(payload)
    await js.publish(
        names.subject("billing", "plan_changed"),
        envelope.SerializeToString(),
        headers={"Nats-Msg-Id": envelope.event_id},
    )


async def test_a_paid_accounts_outputs_go_under_the_paid_prefix_and_stale_news_changes_nothing(
    platform: MediaPlatform,
) -> None:
    account, generation = random_name("acct-"), random_name("gen-")
    now = datetime.now(UTC)
    await announce_plan(platform.js, platform.names, account, "pro", now)
    # An older announcement arriving later must not take the account back to free.
    await announce_plan(platform.js, platform.names, account, "free", now - timedelta(hours=1))

    async def known_as_pro() -> bool:
        plan = await platform.pool.fetchval(
            "SELECT plan FROM account_plans WHERE account_id = $1", account
        )
        return bool(plan == "pro")

    await eventually(known_as_pro, 20, what="the account known to be on pro")
    url = platform.source.add("/paid.png", PNG)
    await publish_succeeded(platform.js, platform.names, generation, account, [output(url, 0)])

    async def recorded() -> bool:
        return bool(
            await platform.pool.fetchval(
                "SELECT count(*) FROM media WHERE account_id = $1", account
            )
        )

    await eventually(recorded, 20, what="the output recorded")
    row = await platform.pool.fetchrow(
        "SELECT plan, object_key FROM media WHERE account_id = $1", account
    )
    assert row is not None
    assert row["plan"] == "paid"
    assert row["object_key"].startswith("paid/")
