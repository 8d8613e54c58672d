"""Each saga step: one call out (credits or provider), then its result recorded.

A step that changes nothing (a queued generation without a free slot) returns the generation
as it was. Compensations are safe when their step never happened: rolling back a freeze that
does not exist, or canceling a provider job that ended, does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from atelier.credits.v1 import credits_pb2
from atelier_generation.adapters.credits_client import (
    CreditsWallet,
    InsufficientCredits,
)
from atelier_generation.application.account_plans import plan_of
from atelier_generation.application.nudges import Nudges
from atelier_generation.application.run_candidates import RunCandidates
from atelier_generation.application.saga_config import SagaConfig
from atelier_generation.application.saga_record import SagaRecord
from atelier_generation.application.settlement import Counter, Settlement, cancel_quietly
from atelier_generation.application.watched_jobs import WatchedProvider, unless_nudged
from atelier_generation.domain.catalogue import Catalogue, Model
from atelier_generation.domain.generation import (
    DEADLINE,
    INSUFFICIENT_CREDITS,
    SUBMIT_UNCONFIRMED,
    CreditsState,
    Failure,
    Generation,
    Status,
    Step,
    StoredOutput,
)
from atelier_generation.domain.plan_priority import priority_of
from atelier_generation.providers.completion import PollSchedule, wait_for_completion
from atelier_generation.providers.errors import (
    JobCanceled,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
)
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob
from atelier_generation.providers.provider import Provider
from atelier_generation.providers.routing.router import ProviderRouter

_log = logging.getLogger(__name__)


def failure_of(error: ProviderError) -> Failure:
    return Failure(error.code, error.message[:500], error.fault.value)


class SagaSteps:
    def __init__(
        self,
        record: SagaRecord,
        wallet: CreditsWallet,
        providers: Mapping[str, Provider],
        catalogue: Catalogue,
        config: SagaConfig,
        *,
        router: ProviderRouter,
        charge_waived: Counter = lambda: None,
        nudges: Nudges | None = None,
    ) -> None:
        self._record = record
        self._wallet = wallet
        self._providers = providers
        self._catalogue = catalogue
        self._config = config
        self._router = router
        self._candidates = RunCandidates(catalogue)
        self._nudges = nudges if nudges is not None else Nudges()
        self._settlement = Settlement(record, wallet, providers, charge_waived=charge_waived)
        self._run: dict[Step, Callable[[Generation], Awaitable[Generation]]] = {
            Step.FREEZE: self.freeze,
            Step.ADMIT: self.admit,
            Step.SUBMIT: self.submit,
            Step.WAIT: self.wait,
            Step.CANCEL: self.cancel,
            Step.CONFIRM: self._settlement.confirm,
            Step.ROLL_BACK: self._settlement.roll_back,
        }

    async def run(self, step: Step, g: Generation) -> Generation:
        return await self._run[step](g)

    def model(self, g: Generation) -> Model:
        return self._catalogue.tool(g.tool).model(g.model)

    def run_model(self, g: Generation) -> Model:
        """The model the job runs on: a fallback's, or the chosen one's."""
        return self._catalogue.tool(g.tool).model(g.run_model or g.model)

    def can_run(self, tool_id: str, model_id: str) -> bool:
        """Whether the model or one of its fallbacks has a configured adapter (a catalogue may
        list models ahead of their adapters, or of their keys)."""
        providers = self._candidates.providers_of(tool_id, model_id)
        return any(self._router.configured(name) for name in providers)

    async def freeze(self, g: Generation) -> Generation:
        """Freezes the cost under the generation's id; InsufficientCredits after recording the
        failure (nothing was submitted)."""
        ttl = self._config.freeze_ttl(self.model(g).max_duration_s)
        try:
            await self._wallet.freeze(g.account_id, g.id, g.cost, ttl, f"{g.tool}/{g.model}")
        except InsufficientCredits as refused:
            failure = Failure(INSUFFICIENT_CREDITS.code, str(refused), INSUFFICIENT_CREDITS.fault)
            await self._record.change(g, status=Status.FAILED, failure=failure)
            raise
        return await self._record.change(g, credits=CreditsState.FROZEN)

    async def admit(self, g: Generation) -> Generation:
        deadline = datetime.now(UTC) + timedelta(seconds=self.model(g).max_duration_s)
        admitted = await self._record.admit(
            g, self._config.max_running_per_account, status=Status.RUNNING, deadline_at=deadline
        )
        return g if admitted is None else admitted

    async def submit(self, g: Generation) -> Generation:
        """Each submit sent is recorded as an attempt just before it goes out. A generation
        found with an attempt and no job id was being submitted when its driver died or
        stopped: that call may have started a job, so it is not sent again anywhere; the
        generation fails as the provider's fault and is rolled back.

        The router picks the model it runs on (the chosen one or a fallback), retrying only
        what cannot have started a job; the price stays the one frozen for the chosen model."""
        if g.submit_attempts > 0:
            return await self._record.change(g, status=Status.FAILED, failure=SUBMIT_UNCONFIRMED)
        attempt = _Attempts(self._record, g)
        try:
            # The account's plan goes with the submit where a provider queues by priority.
            priority = priority_of(
                await plan_of(self._record.pool, g.account_id), self._config.plan_priority
            )
            routed = await self._router.submit(
                g.id, self._candidates.of(g), attempt.sending, priority=priority
            )
        except ProviderError as error:
            failure = failure_of(error)
            return await self._record.change(attempt.latest, status=Status.FAILED, failure=failure)
        return await self._record.change(
            attempt.latest,
            provider=routed.job.provider,
            provider_job_id=routed.job.job_id,
            run_model=routed.model.id,
            provider_model=routed.model.provider_model,
        )

    async def release(self, g: Generation) -> None:
        """This process stops driving `g`: its provider slot goes to another generation."""
        await self._router.release(g.id)

    async def wait(self, g: Generation) -> Generation:
        """Polls the recorded job, and reads what the provider's callbacks recorded of it: a
        nudge from a callback ends the current wait between polls. A result the provider has
        is taken even past the deadline (a late success still delivers its output); otherwise
        the deadline cancels the job."""
        assert g.provider_job_id is not None
        assert g.deadline_at is not None
        provider = WatchedProvider(self._router.provider(g.provider), self._record.pool)
        job = ProviderJob(g.provider, g.provider_job_id)
        self._router.resumed(g.id, g.provider)
        progress = _ProgressWriter(self._record, g)
        while True:
            with self._nudges.watch(g.id) as nudged:
                status = await provider.poll(job)
                left = (g.deadline_at - datetime.now(UTC)).total_seconds()
                if not status.state.terminal and left <= 0:
                    await cancel_quietly(provider, job)
                    await self._router.ended(g.id, g.provider, ProviderTimeout("deadline"))
                    failure = Failure(DEADLINE, "no result within the model's deadline", "provider")
                    return await self._record.change(
                        progress.latest, status=Status.FAILED, failure=failure
                    )
                if not status.state.terminal:
                    ended = await unless_nudged(
                        self._completion(provider, g, progress, left), nudged
                    )
                    if ended is None:
                        continue
                    status = ended
            await self._job_ended(progress.latest, status)
            return await self._record_end(progress.latest, status)

    async def _completion(
        self, provider: Provider, g: Generation, progress: _ProgressWriter, left: float
    ) -> JobStatus:
        assert g.provider_job_id is not None
        job = ProviderJob(g.provider, g.provider_job_id)
        try:
            completed = await wait_for_completion(
                provider, self.run_model(g), job, progress, deadline_s=left,
                schedule=self._schedule(g.provider),
            )  # fmt: skip
        except ProviderError as error:
            return JobStatus(JobState.FAILED, error=error)
        except JobCanceled:
            return JobStatus(JobState.CANCELED)
        return JobStatus(JobState.SUCCEEDED, 100, completed.outputs)

    def _schedule(self, provider: str) -> PollSchedule:
        """The provider's own poll schedule where it has one (an in-process provider), else the
        service's."""
        own = getattr(self._router.provider(provider), "poll_schedule", None)
        return own if isinstance(own, PollSchedule) else self._config.poll_schedule

    async def _job_ended(self, g: Generation, status: JobStatus) -> None:
        if status.state is JobState.CANCELED:
            await self._router.release(g.id)  # canceled: says nothing of the provider's health
        else:
            await self._router.ended(g.id, g.provider, _error_of(status))

    async def _record_end(self, g: Generation, status: JobStatus) -> Generation:
        if status.state is JobState.SUCCEEDED:
            outputs = tuple(
                StoredOutput(o.url, o.content_type, o.expires_at) for o in status.outputs
            )
            return await self._record.change(
                g, status=Status.SUCCEEDED, progress=100, outputs=outputs
            )
        if status.state is JobState.CANCELED:
            failure = Failure("provider_canceled", "the provider canceled the job", "provider")
            return await self._record.change(g, status=Status.FAILED, failure=failure)
        error = status.error
        failure = (
            failure_of(error) if error else Failure("provider_error", "the job failed", "provider")
        )
        return await self._record.change(g, status=Status.FAILED, failure=failure)

    async def cancel(self, g: Generation) -> Generation:
        """Stops the provider job, if any. A generation whose freeze is not recorded may still
        have one (a Cancel raced the Submit that froze it): releasing it is safe either way."""
        if g.credits is CreditsState.NONE:
            await self._wallet.roll_back(g.account_id, g.id, credits_pb2.ROLLBACK_REASON_CANCELED)
        if g.provider_job_id is not None:
            await cancel_quietly(
                self._providers[g.provider], ProviderJob(g.provider, g.provider_job_id)
            )
        return await self._record.change(g, status=Status.CANCELED)


def _error_of(status: JobStatus) -> ProviderError | None:
    """The error a finished job ended with; None when it succeeded."""
    if status.state is JobState.FAILED:
        return status.error or ProviderUnavailable("the job failed without a reason")
    return None


class _Attempts:
    """Records each submit just before it is sent; `latest` is the record after the last."""

    def __init__(self, record: SagaRecord, g: Generation) -> None:
        self._record = record
        self.latest = g

    async def sending(self, model: Model) -> None:
        self.latest = await self._record.change(
            self.latest, submit_attempts=self.latest.submit_attempts + 1
        )


class _ProgressWriter:
    """Records each progress the provider reports; the latest record is where `wait` goes on."""

    def __init__(self, record: SagaRecord, g: Generation) -> None:
        self._record = record
        self.latest = g

    async def __call__(self, status: JobStatus) -> None:
        # Only forward: a poll answering less than a callback already reported changes nothing.
        if status.state is JobState.RUNNING and status.progress > self.latest.progress:
            self.latest = await self._record.change(self.latest, progress=status.progress)
