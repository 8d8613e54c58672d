"""Composition root of the media service."""

from __future__ import annotations

from collections.abc import Sequence

from atelier_media.settings import MediaSettings
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.resources import open_bus, open_database
from atelier_runtime.service import ServiceScope, run_service


async def build(settings: MediaSettings, scope: ServiceScope) -> Sequence[GrpcService]:
    # Opening the database and the bus first means SERVING implies both are reachable.
    await open_database(scope, settings)
    await open_bus(scope, settings, stream_of="media")
    return []


def main() -> None:
    run_service(MediaSettings, build)


if __name__ == "__main__":
    main()
