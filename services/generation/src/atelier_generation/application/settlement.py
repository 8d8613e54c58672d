"""The saga's last step: confirm the freeze on success, roll it back on anything else.

Both are idempotent in credits by the freeze id, and both are safe when their step never
happened: a rollback of a freeze credits never made, a cancel of a job that ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from atelier.credits.v1 import credits_pb2
from atelier_generation.adapters.credits_client import (
    CreditsWallet,
    FreezeResolved,
    InsufficientCredits,
)
from atelier_generation.application.saga_record import SagaRecord
from atelier_generation.domain.generation import (
    CreditsState,
    Generation,
    Status,
    late_charge_id,
)
from atelier_generation.providers.job import ProviderJob
from atelier_generation.providers.provider import Provider

_log = logging.getLogger(__name__)
Counter = Callable[[], None]
# Long enough for the confirm that follows the late freeze, even after a retry.
LATE_FREEZE_TTL = timedelta(minutes=10)


class Settlement:
    def __init__(
        self,
        record: SagaRecord,
        wallet: CreditsWallet,
        providers: Mapping[str, Provider],
        *,
        charge_waived: Counter,
    ) -> None:
        self._record = record
        self._wallet = wallet
        self._providers = providers
        self._charge_waived = charge_waived

    async def confirm(self, g: Generation) -> Generation:
        """Charges the freeze. If it was rolled back meanwhile (it expired), the output is still
        delivered and charged once more under a derived id; if the account cannot pay that, the
        charge is waived and counted: never a negative balance, never a lost output."""
        try:
            await self._wallet.confirm(g.account_id, g.id)
            return await self._record.change(
                g, credits=CreditsState.CONFIRMED, charged_freeze_id=g.id
            )
        except FreezeResolved as resolved:
            if resolved.resolution == "confirmed":
                return await self._record.change(
                    g, credits=CreditsState.CONFIRMED, charged_freeze_id=g.id
                )
        late = late_charge_id(g.id)
        try:
            await self._wallet.freeze(g.account_id, late, g.cost, LATE_FREEZE_TTL, "late charge")
        except InsufficientCredits:
            _log.warning("late success not charged: account cannot pay", extra={"generation": g.id})
            self._charge_waived()
            return await self._record.change(g, credits=CreditsState.CHARGE_WAIVED)
        try:
            await self._wallet.confirm(g.account_id, late)
        except FreezeResolved as resolved:
            if resolved.resolution != "confirmed":
                raise
        return await self._record.change(g, credits=CreditsState.CONFIRMED, charged_freeze_id=late)

    async def roll_back(self, g: Generation) -> Generation:
        if g.provider_job_id is not None and g.status is not Status.FAILED:
            await cancel_quietly(
                self._providers[g.provider], ProviderJob(g.provider, g.provider_job_id)
            )
        reason = (
            credits_pb2.ROLLBACK_REASON_CANCELED
            if g.status is Status.CANCELED
            else credits_pb2.ROLLBACK_REASON_FAILED
        )
        await self._wallet.roll_back(g.account_id, g.id, reason)
        return await self._record.change(g, credits=CreditsState.ROLLED_BACK)


async def cancel_quietly(provider: Provider, job: ProviderJob) -> None:
    try:
        await asyncio.wait_for(provider.cancel(job), 10.0)
    except Exception:
        _log.warning("provider cancel failed", extra={"job": job.job_id}, exc_info=True)
