"""Composition root of the billing service: webhook intake behind gRPC, the event worker, the
ledger order delivery, and the outbox relay of billing's events."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier_billing.adapters.billing_messages import BillingMessages
from atelier_billing.adapters.credits_ledger import CreditsLedger
from atelier_billing.adapters.notifications import Notifications
from atelier_billing.adapters.plan_file import PlanFileError, load_plans
from atelier_billing.adapters.schema import EVENTS_CHANNEL, MIGRATIONS, ORDERS_CHANNEL
from atelier_billing.api.admin_servicer import BillingAdminServicer
from atelier_billing.api.billing_servicer import BillingServicer
from atelier_billing.application.daily_credits import DailyCredits
from atelier_billing.application.event_processor import EventProcessor
from atelier_billing.application.event_worker import EventWorker
from atelier_billing.application.intake import WebhookIntake
from atelier_billing.application.order_delivery import OrderDelivery
from atelier_billing.application.queries import BillingQueries
from atelier_billing.application.replay import Replay
from atelier_billing.domain.plans import PlanBook
from atelier_billing.settings import BillingSettings
from atelier_runtime.bus import Publisher
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import DbPool, apply_migrations
from atelier_runtime.dead_letter_retry import republisher
from atelier_runtime.dead_letter_servicer import dead_letter_service
from atelier_runtime.dead_letters import relay_parking
from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.grpc_server import GrpcService
from atelier_runtime.outbox import OutboxTableSource, install_outbox
from atelier_runtime.outbox_relay import OutboxRelay
from atelier_runtime.relay_metrics import observe_relay_lag
from atelier_runtime.resources import open_bus, open_database
from atelier_runtime.service import ServiceScope, run_service
from atelier_runtime.service_auth import ADMIN_ROLES, ServiceTokenGuard
from atelier_runtime.settings import EXIT_BAD_SETTINGS, exit_on_bad_settings

_log = logging.getLogger(__name__)
SERVICE_NAME = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name
ADMIN_SERVICE_NAME = billing_pb2.DESCRIPTOR.services_by_name["BillingAdminService"].full_name


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _start_relay(
    settings: BillingSettings, scope: ServiceScope, publisher: Publisher
) -> None:
    assert settings.database_url is not None  # open_database refused to start without it
    relay = OutboxRelay(
        settings.database_url,
        publisher,
        stream=BusNames(settings.nats_prefix).stream("billing"),
        park=relay_parking(OutboxTableSource.name),
        poll_interval=settings.billing_relay_poll_s,
    )
    scope.spawn(relay.run(), name="billing-relay")
    observe_relay_lag(relay)
    scope.add_readiness_check(lambda: relay.problem(settings.relay_stuck_after_s))


async def _start_workers(
    settings: BillingSettings,
    scope: ServiceScope,
    pool: DbPool,
    ledger: CreditsLedger,
    plans: PlanBook,
) -> None:
    assert settings.database_url is not None
    messages = BillingMessages(BusNames(settings.nats_prefix), plans)
    events = await scope.enter(Notifications(settings.database_url, EVENTS_CHANNEL))
    orders = await scope.enter(Notifications(settings.database_url, ORDERS_CHANNEL))
    worker = EventWorker(
        pool,
        EventProcessor(plans, settings.grace, messages),
        wake=events.signal(),
        poll_s=settings.billing_worker_poll_s,
        max_attempts=settings.billing_max_attempts,
    )
    scope.spawn(worker.run(), name="billing-events")
    for n in range(settings.billing_delivery_workers):
        delivery = OrderDelivery(
            pool, ledger, wake=orders.signal(), poll_s=settings.billing_worker_poll_s
        )
        scope.spawn(delivery.run(), name=f"billing-orders-{n}")


async def build(settings: BillingSettings, scope: ServiceScope) -> Sequence[GrpcService]:
    plans = load_plans(settings.plans)
    pool = await open_database(scope, settings)
    await apply_migrations(pool, "billing", MIGRATIONS)
    await install_outbox(pool)
    bus = await open_bus(scope, settings, stream_of="billing")
    publisher = Publisher(bus.jetstream())
    await _start_relay(settings, scope, publisher)
    channel = balanced_channel(settings.credits_addr, variable="ATELIER_CREDITS_ADDR")
    scope.resources.push_async_callback(channel.close)
    ledger = CreditsLedger(channel)
    await _start_workers(settings, scope, pool, ledger, plans)

    if not settings.webhook_secrets:
        _log.warning("ATELIER_STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook is refused")
    servicer = BillingServicer(
        WebhookIntake(pool, settings.webhook_secrets, time.time),
        BillingQueries(pool, plans),
        DailyCredits(pool, ledger, plans, utc_now),
        utc_now,
    )
    admin_guard = ServiceTokenGuard(settings.jwt_secret, ADMIN_ROLES)
    if not admin_guard.configured:
        _log.warning(
            "ATELIER_JWT_SECRET is not set: admin calls (replay, dead letters) are refused"
        )
    dead_letters = await dead_letter_service(
        pool, guard=admin_guard, republish=republisher(publisher)
    )
    return [
        GrpcService.of(
            SERVICE_NAME, billing_pb2_grpc.add_BillingServiceServicer_to_server, servicer
        ),
        GrpcService.of(
            ADMIN_SERVICE_NAME,
            billing_pb2_grpc.add_BillingAdminServiceServicer_to_server,
            BillingAdminServicer(Replay(pool, time.monotonic)),
            guard=admin_guard,
        ),
        dead_letters,
    ]


def main() -> None:
    # A bad plans file stops the service before anything starts, as one line naming it.
    settings = exit_on_bad_settings(BillingSettings)
    try:
        load_plans(settings.plans)
    except PlanFileError as error:
        print(error, file=sys.stderr)
        sys.exit(EXIT_BAD_SETTINGS)
    run_service(BillingSettings, build)


if __name__ == "__main__":
    main()
