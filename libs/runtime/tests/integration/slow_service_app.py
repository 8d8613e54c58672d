"""A tiny service process for the graceful-stop tests: one call that takes a while to answer."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import grpc
import grpc.aio
from google.protobuf.struct_pb2 import Struct

from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.service import ServiceScope, run_service
from atelier_runtime.settings import ServiceSettings

SERVICE = "atelier.test.v1.Slow"


class SlowSettings(ServiceSettings):
    """Settings of the test service; `work_s` is how long each call takes."""

    service_name: str = "slow"
    work_s: float = 1.5


def announce(line: str) -> None:
    # The test reads these lines from stdout to know when to act.
    print(line, flush=True)


def slow_service(settings: SlowSettings) -> GrpcService:
    async def work(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
        announce("STARTED")
        await asyncio.sleep(settings.work_s)
        done = Struct()
        done.update({"done": True})
        return done

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Work": grpc.unary_unary_rpc_method_handler(
                work,
                request_deserializer=Struct.FromString,
                response_serializer=Struct.SerializeToString,
            )
        },
    )
    return GrpcService(SERVICE, lambda server: server.add_generic_rpc_handlers((handler,)))


async def build(settings: SlowSettings, scope: ServiceScope) -> list[GrpcService]:
    scope.resources.callback(announce, "CLOSED")
    return [slow_service(settings)]


if __name__ == "__main__":
    run_service(SlowSettings, build, ready=lambda port: announce(f"READY {port}"))
    sys.exit(0)
