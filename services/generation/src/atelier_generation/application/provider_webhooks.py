"""A provider's callback: verified by its adapter, recorded as news of its job, and the
generation's driver nudged to act on it under its lease.

This use case never changes a generation itself: the driver holding the lease does, as it
would after a poll. Repeats, older progress and news after the end change nothing. A callback
about a job no generation waits for (not ours, an earlier attempt, or one whose id is not
recorded yet — the driver's polls cover that case) is acknowledged, so the provider stops
retrying it.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping

from atelier_generation.adapters import generation_table as table
from atelier_generation.adapters import provider_updates
from atelier_generation.application.nudges import Nudges
from atelier_generation.providers.errors import WebhookRejected
from atelier_generation.providers.job import ProviderJob, WebhookUpdate
from atelier_generation.providers.provider import ADAPTER_NAMES, Provider
from atelier_runtime.db import DbPool
from atelier_runtime.errors import FailedPrecondition, InvalidArgument, NotFound, Unauthenticated

_log = logging.getLogger(__name__)
_MAX_JOB_ID = 200


class WebhookOutcome(enum.Enum):
    RECORDED = "recorded"
    IGNORED = "ignored"
    UNKNOWN_JOB = "unknown_job"


class ReceiveWebhook:
    def __init__(self, pool: DbPool, providers: Mapping[str, Provider], nudges: Nudges) -> None:
        self._pool = pool
        self._providers = providers
        self._nudges = nudges

    async def __call__(
        self, provider_name: str, headers: Mapping[str, str], body: bytes
    ) -> WebhookOutcome:
        """NotFound / FailedPrecondition for a provider unknown / not running here,
        Unauthenticated for a callback its adapter does not accept as genuine."""
        update = self._verified(self._provider(provider_name), headers, body)
        job = ProviderJob(provider_name, update.job_id)
        if not 0 < len(job.job_id) <= _MAX_JOB_ID or not job.job_id.isprintable():
            return WebhookOutcome.UNKNOWN_JOB  # no recorded job id looks like this
        async with self._pool.acquire() as conn, conn.transaction():
            g = await table.of_job(conn, job.provider, job.job_id)
            if g is None:
                return WebhookOutcome.UNKNOWN_JOB
            if g.status.ended or not await provider_updates.record(conn, g.id, job, update.status):
                return WebhookOutcome.IGNORED
        self._nudges.nudge(g.id)  # this replica's drivers at once; the others by NOTIFY
        return WebhookOutcome.RECORDED

    def _provider(self, name: str) -> Provider:
        if name not in ADAPTER_NAMES:
            raise NotFound(
                "provider: no adapter of that name",
                reason="UNKNOWN_PROVIDER",
                metadata={"field": "provider"},
            )
        provider = self._providers.get(name)
        if provider is None:
            raise FailedPrecondition(
                f"provider: {name} is not configured on this service",
                reason="PROVIDER_NOT_CONFIGURED",
                metadata={"field": "provider"},
            )
        return provider

    @staticmethod
    def _verified(provider: Provider, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        # The adapter's reason stays in our logs: a forger learns nothing from the answer.
        try:
            return provider.parse_webhook(headers, body)
        except WebhookRejected as rejected:
            _log.info(
                "provider callback refused", extra={"provider": provider.name, "why": str(rejected)}
            )
            raise Unauthenticated(
                "the callback is not a genuine one from this provider",
                reason="WEBHOOK_REJECTED",
                metadata={"provider": provider.name},
            ) from None
        except Exception:
            _log.exception("provider callback unreadable", extra={"provider": provider.name})
            raise InvalidArgument(
                "body: cannot be read as a callback of this provider",
                reason="WEBHOOK_UNREADABLE",
                metadata={"field": "body"},
            ) from None
