"""A consumer whose handler fails its first N calls, on a demo stream, and the DeadLetterService
over it: what the dead-letter tests share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry.metrics import MeterProvider
from pydantic import SecretStr

from atelier_runtime.bus import Publisher, connect, ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.consumer import IdempotentConsumer, PermanentFailure
from atelier_runtime.db import DbConnection, DbPool, create_pool
from atelier_runtime.dead_letter_retry import Republish
from atelier_runtime.dead_letter_servicer import dead_letter_service
from atelier_runtime.grpc_server import GrpcServer
from atelier_runtime.service_auth import (
    OPERATOR,
    ServiceTokenGuard,
    bearer_metadata,
    sign_service_token,
)
from atelier_runtime.settings import ServiceSettings

DURABLE = "billing-grants"
MAX_DELIVER = 3


@dataclass
class FlakyHandler:
    """Records an effect per call; the first `failures` calls fail after writing it (rolled back)."""

    failures: int
    permanent: bool = False
    calls: list[int] = field(default_factory=list)

    async def __call__(self, conn: DbConnection, msg: Msg) -> None:
        self.calls.append(msg.metadata.num_delivered)
        assert msg.headers is not None
        await conn.execute("INSERT INTO effects VALUES ($1)", msg.headers["Nats-Msg-Id"])
        if len(self.calls) <= self.failures:
            if self.permanent:
                raise PermanentFailure("unknown account acct-404")
            raise ConnectionError(f"downstream unavailable (call {len(self.calls)})")


@dataclass
class Demo:
    """A database with an `effects` table and a demo stream with one consumer on it."""

    pool: DbPool
    js: JetStreamContext
    names: BusNames
    handler: FlakyHandler
    consumer: IdempotentConsumer

    async def publish(self, event_id: str, payload: bytes = b"{}") -> None:
        subject = self.names.subject("demo", "granted")
        await Publisher(self.js).publish(subject, payload, msg_id=event_id)

    async def effects(self) -> list[str]:
        return [row["event_id"] for row in await self.pool.fetch("SELECT event_id FROM effects")]

    async def dead_letters(self) -> list[dict[str, object]]:
        rows = await self.pool.fetch("SELECT * FROM dead_letters ORDER BY id")
        return [dict(row) for row in rows]

    async def settled(self) -> bool:
        info = await self.js.consumer_info(self.names.stream("demo"), DURABLE)
        return bool(info.num_ack_pending == 0 and info.num_pending == 0)

    async def process_until_parked(self, msg_id: str, within_s: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + within_s
        while not await self.pool.fetchval("SELECT 1 FROM dead_letters WHERE msg_id = $1", msg_id):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("no dead letter before the deadline")
            await self.consumer.process_batch()


@asynccontextmanager
async def demo(
    database_url: str,
    nats_url: str,
    bus_prefix: str,
    handler: FlakyHandler,
    meter_provider: MeterProvider | None = None,
) -> AsyncIterator[Demo]:
    names = BusNames(bus_prefix)
    pool = await create_pool(database_url)
    await pool.execute("CREATE TABLE effects (event_id text NOT NULL)")
    nc = await connect(nats_url, "test-dead-letters")
    js = nc.jetstream()
    await ensure_stream(js, names, "demo", duplicate_window=0.2)
    consumer = IdempotentConsumer(
        js,
        pool,
        stream=names.stream("demo"),
        durable=DURABLE,
        handler=handler,
        ack_wait=1.0,
        max_deliver=MAX_DELIVER,
        backoff=(0.05,),
        fetch_timeout=0.2,
        meter_provider=meter_provider,
    )
    try:
        await consumer.start()
        yield Demo(pool, js, names, handler, consumer)
    finally:
        await consumer.stop()
        await js.delete_stream(names.stream("demo"))
        await nc.close()
        await pool.close()


SECRET = "dead-letter-test-secret-0123456789abcdef"


def operator() -> tuple[tuple[str, str]]:
    return bearer_metadata(sign_service_token(SECRET, role=OPERATOR, subject="test-operator"))


@asynccontextmanager
async def serving_dead_letters(d: Demo, republish: Republish | None = None) -> AsyncIterator[str]:
    """A gRPC server with the demo's DeadLetterService, as a service's composition root mounts it;
    yields its address."""
    service = await dead_letter_service(
        d.pool,
        guard=ServiceTokenGuard(SecretStr(SECRET)),
        consumers=[d.consumer],
        republish=republish,
    )
    settings = ServiceSettings(service_name="demo", shutdown_drain_s=0, shutdown_grace_s=1)
    server = GrpcServer([service], settings)
    await server.start()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        await server.stop()
