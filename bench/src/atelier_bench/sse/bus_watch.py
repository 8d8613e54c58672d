"""The baseline: the same events read straight from NATS by one plain subscription in this
process, timed the same way (recorded → received). It also is the ground truth of what each
generation published, against which every SSE client is checked."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from atelier_edge.live.decoding import live_event


@dataclass(frozen=True)
class Seen:
    kind: str
    occurred_us: int
    received_at: float


@dataclass
class BusWatch:
    by_generation: dict[str, list[Seen]] = field(default_factory=lambda: defaultdict(list))
    _subscription: Subscription | None = None

    async def start(self, client: NATS, subjects: str) -> None:
        self._subscription = await client.subscribe(subjects, cb=self._on_message)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()

    async def _on_message(self, msg: Msg) -> None:
        received_at = time.time()
        event = live_event(0, msg.data)
        if event is not None:
            seen = Seen(event.kind, event.occurred_us, received_at)
            self.by_generation[event.generation_id].append(seen)

    def latencies_s(self) -> list[float]:
        return [
            s.received_at - s.occurred_us / 1e6
            for seen in self.by_generation.values()
            for s in seen
        ]
