"""Composition root of the baseline server: the naive ledger behind the runtime's gRPC bootstrap.

Run as `python -m atelier_bench.credits.naive_main` with ATELIER_DATABASE_URL and
ATELIER_GRPC_PORT, exactly like `python -m atelier_credits.main`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_bench.credits.naive_ledger import NaiveLedger
from atelier_bench.credits.naive_schema import MIGRATIONS
from atelier_bench.credits.naive_servicer import NaiveCreditsServicer
from atelier_runtime.db import apply_migrations, create_pool, ensure_database
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.service import ServiceScope, run_service
from atelier_runtime.settings import DatabaseServiceSettings

SERVICE_NAME = credits_pb2.DESCRIPTOR.services_by_name["CreditsService"].full_name


class NaiveCreditsSettings(DatabaseServiceSettings):
    """Shared settings plus the pool size (one connection per waiting call is its best case)."""

    service_name: str = "credits-naive"
    naive_pool_size: int = Field(default=32, ge=1, le=250)


async def build(settings: NaiveCreditsSettings, scope: ServiceScope) -> Sequence[GrpcService]:
    await ensure_database(settings.database_url)
    pool = await create_pool(
        settings.database_url, min_size=settings.naive_pool_size, max_size=settings.naive_pool_size
    )
    scope.resources.push_async_callback(pool.close)
    await apply_migrations(pool, "credits-naive", MIGRATIONS)
    servicer = NaiveCreditsServicer(NaiveLedger(pool))
    return [
        GrpcService.of(
            SERVICE_NAME, credits_pb2_grpc.add_CreditsServiceServicer_to_server, servicer
        )
    ]


def main() -> None:
    run_service(NaiveCreditsSettings, build)


if __name__ == "__main__":
    main()
