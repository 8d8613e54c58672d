"""Composition root of the generation service."""

from __future__ import annotations

from collections.abc import Sequence

from atelier_generation.settings import GenerationSettings
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.resources import open_bus, open_database
from atelier_runtime.service import ServiceScope, run_service


async def build(settings: GenerationSettings, scope: ServiceScope) -> Sequence[GrpcService]:
    # Opening the database and the bus first means SERVING implies both are reachable.
    await open_database(scope, settings)
    await open_bus(scope, settings, stream_of="generation")
    return []


def main() -> None:
    run_service(GenerationSettings, build)


if __name__ == "__main__":
    main()
