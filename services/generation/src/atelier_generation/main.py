"""Composition root of the generation service: the catalogue and the saga behind gRPC, the
providers, the saga's drivers, and the outbox relay of generation events."""

from __future__ import annotations

import functools
import logging
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nats.js import JetStreamContext
from opentelemetry import metrics
from opentelemetry.metrics import MeterProvider

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier_generation.adapters.catalogue_file import CatalogueError, load_catalogue
from atelier_generation.adapters.credits_client import CreditsWallet
from atelier_generation.adapters.generation_events import GenerationEvents
from atelier_generation.adapters.schema import MIGRATIONS
from atelier_generation.adapters.webhook_listener import listen_for_webhooks
from atelier_generation.api.generation_servicer import GenerationServicer
from atelier_generation.application.account_plans import PLANS_CONSUMER, record_plan_change
from atelier_generation.application.catalogue_queries import CatalogueQueries
from atelier_generation.application.generation_queries import GenerationQueries
from atelier_generation.application.nudges import Nudges
from atelier_generation.application.provider_webhooks import ReceiveWebhook
from atelier_generation.application.saga_driver import SagaDriver, SagaWorkers
from atelier_generation.application.saga_record import SagaRecord
from atelier_generation.application.saga_steps import SagaSteps
from atelier_generation.application.submission import SubmitGeneration
from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.providers.local.catalogue_fit import check_local_models
from atelier_generation.providers.local.provider import NAME as LOCAL
from atelier_generation.providers.local.running import (
    running_local_provider,
    served_files_config,
)
from atelier_generation.providers.provider import ADAPTER_NAMES, Provider
from atelier_generation.providers.registry import (
    FACTORIES,
    AdapterKit,
    ProviderFactory,
    remote_providers,
)
from atelier_generation.providers.routing.metrics import RouterMetrics
from atelier_generation.providers.routing.router import ProviderRouter
from atelier_generation.providers.served_files import serving_files
from atelier_generation.settings import GenerationSettings
from atelier_runtime.bus import Publisher
from atelier_runtime.bus_names import BusNames
from atelier_runtime.consumer import IdempotentConsumer
from atelier_runtime.db import DbPool, apply_migrations
from atelier_runtime.dead_letters import relay_parking
from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.outbox import OutboxTableSource, install_outbox
from atelier_runtime.outbox_relay import OutboxRelay
from atelier_runtime.processed_messages import (
    PROCESSED_MESSAGES_COMPONENT,
    PROCESSED_MESSAGES_MIGRATIONS,
)
from atelier_runtime.relay_metrics import observe_relay_lag
from atelier_runtime.resources import open_bus, open_database
from atelier_runtime.service import ServiceScope, run_service
from atelier_runtime.settings import EXIT_BAD_SETTINGS, exit_on_bad_settings

_log = logging.getLogger(__name__)
SERVICE_NAME = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name


def service_catalogue(settings: GenerationSettings) -> Catalogue:
    """ATELIER_CATALOG (or the shipped one), checked; CatalogueError names what is wrong."""
    return load_catalogue(settings.catalog, ADAPTER_NAMES, checks=[check_local_models])


@dataclass(frozen=True)
class Saga:
    """The saga's parts, as one composition root wires them (tests drive them step by step)."""

    record: SagaRecord
    steps: SagaSteps
    driver: SagaDriver
    workers: SagaWorkers
    submit: SubmitGeneration
    queries: GenerationQueries
    webhooks: ReceiveWebhook
    nudges: Nudges


def wire_saga(
    settings: GenerationSettings,
    pool: DbPool,
    wallet: CreditsWallet,
    providers: dict[str, Provider],
    catalogue: Catalogue,
    queries: CatalogueQueries,
    meter_provider: MeterProvider | None = None,
) -> Saga:
    config = settings.saga()
    owner = f"generation-{secrets.token_hex(6)}"
    events = GenerationEvents(BusNames(settings.nats_prefix))
    # Drivers (and Submit, which leases its new generation) write only while holding the lease.
    record = SagaRecord(pool, events, holder=owner)
    waived = metrics.get_meter("atelier.generation").create_counter(
        "atelier.generation.charge_waived", description="late successes the account could not pay"
    )
    nudges = Nudges()
    router = ProviderRouter(providers, settings.router(), metrics=RouterMetrics(meter_provider))
    steps = SagaSteps(
        record, wallet, providers, catalogue, config,
        router=router, charge_waived=lambda: waived.add(1), nudges=nudges,
    )  # fmt: skip
    driver = SagaDriver(record, steps, config, owner)
    workers = SagaWorkers(
        driver, count=settings.generation_workers, poll_s=settings.generation_poll_s
    )
    wake = workers.wake.set
    nudges.also_wake(wake)
    return Saga(
        record, steps, driver, workers,
        SubmitGeneration(queries, record, steps, config, owner=owner, wake=wake),
        GenerationQueries(SagaRecord(pool, events), wake=wake),
        ReceiveWebhook(pool, providers, nudges),
        nudges,
    )  # fmt: skip


async def _start_relay(
    settings: GenerationSettings, scope: ServiceScope, publisher: Publisher
) -> None:
    assert settings.database_url is not None  # open_database refused to start without it
    relay = OutboxRelay(
        settings.database_url,
        publisher,
        stream=BusNames(settings.nats_prefix).stream("generation"),
        park=relay_parking(OutboxTableSource.name),
        poll_interval=settings.generation_relay_poll_s,
    )
    scope.spawn(relay.run(), name="generation-relay")
    observe_relay_lag(relay)
    scope.add_readiness_check(lambda: relay.problem(settings.relay_stuck_after_s))


async def _start_providers(
    settings: GenerationSettings,
    scope: ServiceScope,
    catalogue: Catalogue,
    factories: Mapping[str, ProviderFactory],
) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    configured = settings.remote_providers()
    uses_local = any(m.provider == LOCAL for tool in catalogue.tools for m in tool.models)
    if not uses_local and not configured:
        return providers
    # One file server per process, started before the saga runs jobs: the local provider's
    # outputs and remote providers' inline outputs are served from it until media copies them.
    served = await scope.enter(
        serving_files(served_files_config(settings.local_provider()), prefix="atelier-files-")
    )
    _log.info("serving generated files", extra={"url": served.url})
    if uses_local:
        providers[LOCAL] = await scope.enter(
            running_local_provider(settings.local_provider(), served)
        )
    # Remote adapters share one HTTP client, closed at stop; one without a key is left out.
    kit = AdapterKit(
        served=served,
        journal=settings.provider_journal_dir,
        catalogue=catalogue,
        fal_jwks_url=settings.provider_jwks_url_fal,
        inputs=settings.input_files(),
    )
    providers.update(await scope.enter(remote_providers(configured, factories, kit)))
    return providers


def _start_plans_consumer(
    settings: GenerationSettings, scope: ServiceScope, pool: DbPool, js: JetStreamContext
) -> None:
    names = BusNames(settings.nats_prefix)
    plans = IdempotentConsumer(
        js,
        pool,
        stream=names.stream("billing"),
        durable=PLANS_CONSUMER,
        handler=record_plan_change,
        filter_subjects=[names.subject("billing", "plan_changed")],
    )
    # Not awaited here: billing's stream may not exist yet; run() retries until it does.
    scope.spawn(plans.run(), name="generation-plans-consumer")


async def build(
    settings: GenerationSettings,
    scope: ServiceScope,
    catalogue: Catalogue | None = None,
    providers: Mapping[str, Provider] | None = None,
    factories: Mapping[str, ProviderFactory] = FACTORIES,
    meter_provider: MeterProvider | None = None,
) -> Sequence[GrpcService]:
    """`providers`, when given, run instead of the ones the settings configure (tests);
    `factories` are the remote adapters a configured provider may be built with;
    `meter_provider`, when given, is where the router reports instead of the process's global
    one (a test reads its own, as several services share the test's process)."""
    catalogue = catalogue if catalogue is not None else service_catalogue(settings)
    # Opening the database and the bus first means SERVING implies both are reachable.
    pool = await open_database(scope, settings)
    await apply_migrations(pool, "generation", MIGRATIONS)
    await install_outbox(pool)
    await apply_migrations(pool, PROCESSED_MESSAGES_COMPONENT, PROCESSED_MESSAGES_MIGRATIONS)
    bus = await open_bus(scope, settings, stream_of="generation")
    await _start_relay(settings, scope, Publisher(bus.jetstream()))
    _start_plans_consumer(settings, scope, pool, bus.jetstream())
    if providers is None:
        providers = await _start_providers(settings, scope, catalogue, factories)
    channel = balanced_channel(settings.credits_addr, variable="ATELIER_CREDITS_ADDR")
    scope.resources.push_async_callback(channel.close)
    queries = CatalogueQueries(catalogue)
    saga = wire_saga(
        settings, pool, CreditsWallet(channel), dict(providers), catalogue, queries, meter_provider
    )
    scope.spawn(saga.workers.run(), name="generation-saga")
    assert settings.database_url is not None  # open_database refused to start without it
    scope.spawn(listen_for_webhooks(settings.database_url, saga.nudges), name="generation-nudges")
    servicer = GenerationServicer(queries, saga.submit, saga.queries, saga.webhooks)
    return [
        GrpcService.of(
            SERVICE_NAME, generation_pb2_grpc.add_GenerationServiceServicer_to_server, servicer
        )
    ]


def main() -> None:
    # A bad catalogue is bad configuration, like a bad variable: one line naming the file, the
    # key and the reason, exit status 2, before anything starts. (run_service reads the
    # settings again; reading them has no side effect.)
    try:
        catalogue = service_catalogue(exit_on_bad_settings(GenerationSettings))
    except CatalogueError as error:
        print(error, file=sys.stderr)
        sys.exit(EXIT_BAD_SETTINGS)
    run_service(GenerationSettings, functools.partial(build, catalogue=catalogue))


if __name__ == "__main__":
    main()
