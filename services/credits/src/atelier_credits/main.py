"""Composition root of the credits service: the ledger behind gRPC, with its relay, projector and sweeper."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from opentelemetry import metrics

from atelier.credits.v1 import (
    credits_admin_pb2,
    credits_admin_pb2_grpc,
    credits_pb2,
    credits_pb2_grpc,
)
from atelier_credits.adapters.log_relay_source import CreditsLogSource
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.adapters.postgres_store import PostgresAccountStore
from atelier_credits.adapters.projection_metrics import observe_projection_lag
from atelier_credits.adapters.schema import MIGRATIONS
from atelier_credits.adapters.statement_projector import StatementProjector
from atelier_credits.adapters.statement_reader import StatementReader
from atelier_credits.api.admin_servicer import CreditsAdminServicer
from atelier_credits.api.credits_servicer import CreditsServicer
from atelier_credits.application.command_batcher import CommandBatcher
from atelier_credits.application.executors import utc_now
from atelier_credits.application.ledger import Ledger
from atelier_credits.settings import CreditsSettings
from atelier_runtime.bus import Publisher
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import apply_migrations
from atelier_runtime.dead_letter_retry import republisher
from atelier_runtime.dead_letter_servicer import dead_letter_service
from atelier_runtime.dead_letters import relay_parking
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.outbox_relay import OutboxRelay
from atelier_runtime.relay_metrics import observe_relay_lag
from atelier_runtime.resources import open_bus, open_database
from atelier_runtime.service import ServiceScope, run_service
from atelier_runtime.service_auth import ADMIN_ROLES, ServiceTokenGuard

_log = logging.getLogger(__name__)
SERVICE_NAME = credits_pb2.DESCRIPTOR.services_by_name["CreditsService"].full_name
ADMIN_SERVICE_NAME = credits_admin_pb2.DESCRIPTOR.services_by_name["CreditsAdminService"].full_name


async def sweep_forever(ledger: Ledger, interval_s: float) -> None:
    """Rolls back expired freezes and expires grants, so balances never wait for a command.

    Every process sweeps every due account (found in the database, decided on its latest
    version), so an expiry never waits for the process that recorded the freeze.
    """
    failures = metrics.get_meter("atelier.credits").create_counter(
        "atelier.credits.sweep.failures",
        unit="{account}",
        description="Accounts whose expiry sweep failed (each is retried the next round)",
    )
    while True:
        try:
            swept = await ledger.sweep_due()
            if swept.swept:
                _log.info("swept expiries", extra={"accounts": swept.swept})
            if swept.failed:
                failures.add(swept.failed)
        except Exception:
            _log.exception("sweep failed; retrying")
        await asyncio.sleep(interval_s)


async def build(settings: CreditsSettings, scope: ServiceScope) -> Sequence[GrpcService]:
    pool = await open_database(scope, settings)
    await apply_migrations(pool, "credits", MIGRATIONS)
    bus = await open_bus(scope, settings, stream_of="credits")
    mapper = event_mapper()

    store = PostgresAccountStore(pool, mapper, snapshot_every=settings.credits_snapshot_every)
    batcher = CommandBatcher(
        store,
        utc_now,
        shards=settings.credits_shards,
        max_batch=settings.credits_max_batch,
        cache_size=settings.credits_cache_size,
    )
    scope.resources.push_async_callback(batcher.close)
    ledger = Ledger(batcher, store, clock=utc_now)

    assert settings.database_url is not None  # open_database refused to start without it
    publisher = Publisher(bus.jetstream())
    relay = OutboxRelay(
        settings.database_url,
        publisher,
        CreditsLogSource(mapper, BusNames(settings.nats_prefix)),
        stream=BusNames(settings.nats_prefix).stream("credits"),
        park=relay_parking(CreditsLogSource.name),
        poll_interval=settings.credits_relay_poll_s,
    )
    scope.spawn(relay.run(), name="credits-relay")
    observe_relay_lag(relay)
    scope.add_readiness_check(lambda: relay.problem(settings.relay_stuck_after_s))
    projector = StatementProjector(pool, mapper)
    observe_projection_lag(projector)
    scope.spawn(
        projector.run(settings.credits_projector_poll_s, settings.credits_lag_interval_s),
        name="credits-projector",
    )
    scope.spawn(sweep_forever(ledger, settings.credits_sweep_interval_s), name="credits-sweeper")

    servicer = CreditsServicer(ledger, StatementReader(pool))
    admin_guard = ServiceTokenGuard(settings.jwt_secret, ADMIN_ROLES)
    if not admin_guard.configured:
        _log.warning(
            "ATELIER_JWT_SECRET is not set: admin calls (audit, rebuild, dead letters) are refused"
        )
    # Events the relay parks (origin relay:credits_events) are retried by publishing them again.
    dead_letters = await dead_letter_service(
        pool, guard=admin_guard, republish=republisher(publisher)
    )
    return [
        GrpcService.of(
            SERVICE_NAME, credits_pb2_grpc.add_CreditsServiceServicer_to_server, servicer
        ),
        GrpcService.of(
            ADMIN_SERVICE_NAME,
            credits_admin_pb2_grpc.add_CreditsAdminServiceServicer_to_server,
            CreditsAdminServicer(pool, mapper),
            guard=admin_guard,
        ),
        dead_letters,
    ]


def main() -> None:
    run_service(CreditsSettings, build)


if __name__ == "__main__":
    main()
