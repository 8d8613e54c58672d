"""Generation's part played by the benchmark, for runs larger than the generation service can
run at once on a small machine: N generations answered by a stand-in GetGeneration, and their
events published on generation's stream exactly as its outbox relay publishes them (same
subjects, Envelope, payloads and Nats-Msg-Id), timestamped when published."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.message import Message

from atelier.events.v1 import envelope_pb2
from atelier.events.v1 import generation_pb2 as events
from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_runtime.bus import MSG_ID_HEADER
from atelier_runtime.bus_names import BusNames

PROGRESS_STEPS = (10, 25, 40, 55, 70, 85)
HOST = "127.0.0.1"


class StandInGenerations(generation_pb2_grpc.GenerationServiceServicer):
    """GetGeneration over the benchmark's own generations; NOT_FOUND for another account's."""

    def __init__(self) -> None:
        self.generations: dict[str, pb.Generation] = {}

    async def GetGeneration(
        self, request: pb.GetGenerationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetGenerationResponse:
        g = self.generations.get(request.generation_id)
        if g is None or g.account_id != request.account_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such generation")
        return pb.GetGenerationResponse(generation=g)


async def serve_stand_in(stand_in: StandInGenerations) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    generation_pb2_grpc.add_GenerationServiceServicer_to_server(stand_in, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port(f"{HOST}:0")
    await server.start()
    return server, f"{HOST}:{port}"


@dataclass
class BusProducer:
    """Publishes each generation's events on the real stream, one version after another."""

    js: Any  # JetStreamContext
    names: BusNames
    stand_in: StandInGenerations

    def create(self, generation_id: str, account_id: str) -> None:
        g = pb.Generation(
            id=generation_id, account_id=account_id, status=pb.GENERATION_STATUS_QUEUED,
            tool="text-to-image", model="local",
        )  # fmt: skip
        g.updated_at.FromDatetime(datetime.now(UTC))
        self.stand_in.generations[generation_id] = g

    async def step(self, generation_id: str, step: int) -> None:
        """Step 0: started; 1..len(PROGRESS_STEPS): progress; then succeeded."""
        g = self.stand_in.generations[generation_id]
        ids = {"generation_id": g.id, "account_id": g.account_id}
        fact: Message
        if step == 0:
            name, fact = "started", events.GenerationStarted(**ids, provider="local")
            g.status = pb.GENERATION_STATUS_RUNNING
        elif step <= len(PROGRESS_STEPS):
            progress = PROGRESS_STEPS[step - 1]
            name, fact = "progressed", events.GenerationProgressed(**ids, progress=progress)
            g.progress = progress
        else:
            output = events.Output(url=f"https://files.example/{g.id}/0.png",
                                   content_type="image/png", index=0, media_id=f"{g.id}-0")  # fmt: skip
            name, fact = "succeeded", events.GenerationSucceeded(**ids, outputs=[output])
            g.status, g.progress = pb.GENERATION_STATUS_SUCCEEDED, 100
        await self._publish(g, name, fact, version=step + 2)

    async def _publish(self, g: pb.Generation, name: str, fact: Message, version: int) -> None:
        now = datetime.now(UTC)
        g.updated_at.FromDatetime(now)
        envelope = envelope_pb2.Envelope(
            event_id=f"{g.id}:{version}:{name}", type=fact.DESCRIPTOR.full_name,
            subject_id=g.id, correlation_id=g.id, producer="generation", subject_version=version,
        )  # fmt: skip
        envelope.occurred_at.FromDatetime(now)
        envelope.payload.Pack(fact)
        await self.js.publish_async(
            self.names.subject("generation", name),
            envelope.SerializeToString(),
            headers={MSG_ID_HEADER: envelope.event_id},
        )

    @staticmethod
    def steps() -> int:
        return len(PROGRESS_STEPS) + 2


async def drive(producer: BusProducer, generation_ids: list[str], duration_s: float) -> None:
    """Every generation takes each step within `duration_s`, spread evenly over time."""
    total = producer.steps()
    pause = duration_s / total
    for step in range(total):
        began = asyncio.get_running_loop().time()
        for n, generation_id in enumerate(generation_ids):
            await producer.step(generation_id, step)
            if n % 100 == 99:  # spread the step's events over its slot
                await _pace(began, pause * (n + 1) / len(generation_ids))
        await producer.js.publish_async_completed()
        await _pace(began, pause)


async def _pace(began: float, offset: float) -> None:
    left = began + offset - asyncio.get_running_loop().time()
    if left > 0:
        await asyncio.sleep(left)
