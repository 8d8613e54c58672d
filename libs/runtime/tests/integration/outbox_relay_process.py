"""An outbox relay in its own process, for the crash tests.

`python outbox_relay_process.py DATABASE_URL NATS_URL STREAM [--throttle SECONDS]`: with a throttle it
relays small batches with a pause between them, so a test can kill it mid-run.
"""

from __future__ import annotations

import argparse
import asyncio

from atelier_runtime.bus import Publisher, connect
from atelier_runtime.outbox_relay import OutboxRelay


async def relay(database_url: str, nats_url: str, stream: str, throttle: float) -> None:
    nc = await connect(nats_url, "outbox-relay-process")
    batch_size = 5 if throttle else 500
    relay = OutboxRelay(
        database_url,
        Publisher(nc.jetstream()),
        stream=stream,
        batch_size=batch_size,
        poll_interval=0.2,
        lock_retry_interval=0.1,
    )
    if not throttle:
        await relay.run()
    while True:
        await relay.relay_once()
        await asyncio.sleep(throttle)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("nats_url")
    parser.add_argument("stream")
    parser.add_argument("--throttle", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(relay(args.database_url, args.nats_url, args.stream, args.throttle))


if __name__ == "__main__":
    main()
