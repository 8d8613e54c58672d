"""Submit: validate and price, record the generation with its key, then freeze its cost.

The freeze runs inline so that insufficient credits answers the caller at once with credits'
own detail; everything after it is the drivers' work. The new record is leased to this replica
until the freeze is recorded, so no driver freezes it at the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from atelier_generation.adapters import generation_table as table
from atelier_generation.adapters.credits_client import InsufficientCredits
from atelier_generation.application.catalogue_queries import CatalogueQueries
from atelier_generation.application.saga_config import SagaConfig
from atelier_generation.application.saga_record import SagaRecord
from atelier_generation.application.saga_steps import SagaSteps
from atelier_generation.domain.generation import (
    CreditsState,
    Generation,
    Status,
    generation_id,
    request_fingerprint,
)
from atelier_runtime.errors import AlreadyExists, FailedPrecondition

_log = logging.getLogger(__name__)


class SubmitGeneration:
    def __init__(
        self,
        queries: CatalogueQueries,
        record: SagaRecord,
        steps: SagaSteps,
        config: SagaConfig,
        *,
        owner: str,
        wake: Callable[[], None],
    ) -> None:
        self._queries = queries
        self._record = record
        self._steps = steps
        self._config = config
        self._owner = owner
        self._wake = wake

    async def __call__(
        self, account_id: str, key: str, tool: str, model: str, params: Mapping[str, Any]
    ) -> Generation:
        """Raises InvalidParams (and the like), AlreadyExists for a key reused with another
        request, FailedPrecondition INSUFFICIENT_CREDITS with credits' detail, or
        PROVIDER_NOT_AVAILABLE for a model whose adapter is not built (nothing is frozen)."""
        estimate = self._queries.estimate(tool, model, params)
        if not self._steps.can_run(tool, model):
            raise FailedPrecondition(
                f"model: {tool}/{model} cannot run until its provider adapter ships",
                reason="PROVIDER_NOT_AVAILABLE",
                metadata={"field": "model"},
            )
        gid = generation_id(account_id, key)
        fingerprint = request_fingerprint(tool, model, estimate.params)
        now = datetime.now(UTC)
        g = Generation(
            gid, account_id, tool, model, estimate.params, estimate.credits,
            Status.QUEUED, CreditsState.NONE, created_at=now, updated_at=now,
        )  # fmt: skip
        created = await self._record.create(
            g, key=key, fingerprint=fingerprint, owner=self._owner, lease_s=self._config.lease_s
        )
        if not created:
            return await self._repeat(gid, fingerprint)
        try:
            g = await self._steps.freeze(g)
        except InsufficientCredits as refused:
            raise FailedPrecondition(
                str(refused), reason="INSUFFICIENT_CREDITS", details=[refused.detail]
            ) from None
        except Exception:
            # Credits unreachable: the generation is recorded, a driver freezes it later.
            _log.warning("freeze at submit failed; a driver retries it", exc_info=True)
        finally:
            await table.release(self._record.pool, gid, self._owner)
            self._wake()
        return g

    async def _repeat(self, gid: str, fingerprint: str) -> Generation:
        if await table.fingerprint_of(self._record.pool, gid) != fingerprint:
            raise AlreadyExists(
                "idempotency_key: already used for a different request",
                reason="IDEMPOTENCY_KEY_REUSED",
                metadata={"generation_id": gid},
            )
        existing = await self._record.load(gid)
        assert existing is not None
        return existing
