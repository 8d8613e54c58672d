"""Composition root of the media service: the GenerationSucceeded consumer, the browser path,
the fallback workers, the retention sweeper and the outbox relay of media's events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from atelier.media.v1 import media_pb2, media_pb2_grpc
from atelier_media.adapters.media_messages import MediaMessages
from atelier_media.adapters.object_store import ObjectStore, StoreConfig
from atelier_media.adapters.schema import MIGRATIONS
from atelier_media.adapters.source_fetcher import SourceFetcher
from atelier_media.api.media_servicer import MediaServicer
from atelier_media.application.account_plans import record_plan_change
from atelier_media.application.fallback import FallbackTransfers, run_fallback_worker
from atelier_media.application.input_uploads import InputUploads, InputUrls
from atelier_media.application.library import MediaLibrary
from atelier_media.application.media_metrics import MediaMetrics
from atelier_media.application.recording import OutputRecorder
from atelier_media.application.registration import Registration
from atelier_media.application.retention import RetentionSweeper
from atelier_media.application.storing import Storing
from atelier_media.application.uploads import BrowserUploads
from atelier_media.domain.source_rules import SourcePolicy
from atelier_media.settings import MediaSettings
from atelier_runtime.bus import Publisher
from atelier_runtime.bus_names import BusNames
from atelier_runtime.consumer import IdempotentConsumer
from atelier_runtime.db import DbPool, apply_migrations
from atelier_runtime.dead_letter_retry import republisher
from atelier_runtime.dead_letter_servicer import dead_letter_service
from atelier_runtime.dead_letters import relay_parking
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
from atelier_runtime.service_auth import ADMIN_ROLES, ServiceTokenGuard

_log = logging.getLogger(__name__)
SERVICE_NAME = media_pb2.DESCRIPTOR.services_by_name["MediaService"].full_name
CONSUMER = "media-generation-succeeded"
PLANS_CONSUMER = "media-plan-changed"


def utc_now() -> datetime:
    return datetime.now(UTC)


def object_store(settings: MediaSettings) -> ObjectStore:
    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
    access = settings.s3_access_key.get_secret_value() if settings.s3_access_key else None
    return ObjectStore(
        StoreConfig(settings.s3_endpoint, settings.s3_bucket, access, secret, settings.s3_region)
    )


def source_policy(settings: MediaSettings) -> SourcePolicy:
    loopback = settings.media_allow_loopback_sources
    if loopback:
        _log.warning("ATELIER_MEDIA_ALLOW_LOOPBACK_SOURCES is on: development only")
    return SourcePolicy(settings.source_hosts, require_https=not loopback, allow_loopback=loopback)


async def _start_relay(settings: MediaSettings, scope: ServiceScope, publisher: Publisher) -> None:
    assert settings.database_url is not None
    relay = OutboxRelay(
        settings.database_url,
        publisher,
        stream=BusNames(settings.nats_prefix).stream("media"),
        park=relay_parking(OutboxTableSource.name),
        poll_interval=settings.media_relay_poll_s,
    )
    scope.spawn(relay.run(), name="media-relay")
    observe_relay_lag(relay)
    scope.add_readiness_check(lambda: relay.problem(settings.relay_stuck_after_s))


def _start_workers(
    settings: MediaSettings,
    scope: ServiceScope,
    pool: DbPool,
    store: ObjectStore,
    storing: Storing,
    messages: MediaMessages,
) -> None:
    fetcher = SourceFetcher(source_policy(settings))
    scope.resources.push_async_callback(fetcher.close)
    transfers = FallbackTransfers(
        pool, store, fetcher, storing, messages, utc_now,
        max_bytes=settings.media_max_bytes,
        part_bytes=settings.media_part_bytes,
        parts_in_flight=settings.media_parts_in_flight,
        deadline_s=settings.media_transfer_deadline_s,
        retry_base_s=settings.media_retry_base_s,
        max_attempts=settings.media_max_attempts,
    )  # fmt: skip
    for n in range(settings.media_fallback_workers):
        scope.spawn(
            run_fallback_worker(transfers, settings.media_fallback_poll_s),
            name=f"media-fallback-{n}",
        )
    sweeper = RetentionSweeper(pool, store, messages, utc_now)
    scope.spawn(sweeper.run(settings.media_sweep_interval_s), name="media-retention")


async def build(settings: MediaSettings, scope: ServiceScope) -> Sequence[GrpcService]:
    pool = await open_database(scope, settings)
    await apply_migrations(pool, "media", MIGRATIONS)
    await install_outbox(pool)
    # The consumer's dedup table now, since the consumer itself starts once its stream exists.
    await apply_migrations(pool, PROCESSED_MESSAGES_COMPONENT, PROCESSED_MESSAGES_MIGRATIONS)
    bus = await open_bus(scope, settings, stream_of="media")
    names = BusNames(settings.nats_prefix)
    publisher = Publisher(bus.jetstream())
    await _start_relay(settings, scope, publisher)

    store = object_store(settings)
    await store.configure_bucket(settings.web_origins, settings.retention_by_plan)
    messages = MediaMessages(names, settings.s3_bucket)
    storing = Storing(pool, messages, settings.retention_days, utc_now, MediaMetrics())
    delay = timedelta(seconds=settings.media_fallback_delay_s)
    consumer = IdempotentConsumer(
        bus.jetstream(),
        pool,
        stream=names.stream("generation"),
        durable=CONSUMER,
        handler=OutputRecorder(utc_now, delay),
        filter_subjects=[names.subject("generation", "succeeded")],
    )
    plans = IdempotentConsumer(
        bus.jetstream(),
        pool,
        stream=names.stream("billing"),
        durable=PLANS_CONSUMER,
        handler=record_plan_change,
        filter_subjects=[names.subject("billing", "plan_changed")],
    )
    # Not started here: the streams may not exist yet; run() retries until they do.
    scope.spawn(consumer.run(), name="media-consumer")
    scope.spawn(plans.run(), name="media-plans-consumer")
    _start_workers(settings, scope, pool, store, storing, messages)

    admin_guard = ServiceTokenGuard(settings.jwt_secret, ADMIN_ROLES)
    dead_letters = await dead_letter_service(
        pool, guard=admin_guard, republish=republisher(publisher), consumers=[consumer, plans]
    )
    servicer = MediaServicer(
        Registration(pool, utc_now, delay),
        BrowserUploads(
            pool, store, storing, utc_now,
            url_ttl_s=settings.media_upload_url_ttl_s, max_bytes=settings.media_max_bytes,
        ),
        MediaLibrary(
            pool, store, messages,
            public_base_url=settings.media_public_base_url,
            download_ttl_s=settings.media_download_url_ttl_s,
            clock=utc_now,
        ),
        InputUploads(
            pool, store, utc_now,
            InputUrls(
                upload_ttl_s=settings.media_upload_url_ttl_s,
                read_ttl_s=settings.media_download_url_ttl_s,
                public_base_url=settings.media_public_base_url,
            ),
            max_bytes=settings.media_input_max_bytes,
        ),
    )  # fmt: skip
    return [
        GrpcService.of(SERVICE_NAME, media_pb2_grpc.add_MediaServiceServicer_to_server, servicer),
        dead_letters,
    ]


def main() -> None:
    run_service(MediaSettings, build)


if __name__ == "__main__":
    main()
