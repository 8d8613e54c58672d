"""The saga through the router, against a real credits ledger, with scripted providers: what is
retried, what is never sent twice, when a provider cools down, and when a fallback runs — and in
every case the user pays the chosen model's frozen price once, or nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from services.generation.tests.routing_support import provider, routed_catalogue
from services.generation.tests.saga_parts import Composition, composition
from services.generation.tests.saga_support import funded_account, ledger_becomes
from services.generation.tests.unit.scripted_provider import ScriptedProvider

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_generation.domain.generation import CreditsState, Generation, Status
from atelier_generation.providers.errors import (
    InvalidInput,
    ProviderQuotaExceeded,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.job import JobState, JobStatus, ProviderOutput
from atelier_runtime.grpc_client import channel
from atelier_testing.ids import random_id

OUTPUT = ProviderOutput(
    "https://cdn.example/out.png", "image/png", datetime(2030, 1, 1, tzinfo=UTC)
)
DONE = JobStatus(JobState.SUCCEEDED, 100, (OUTPUT,))
# Quick retries, and a provider cools down after two failures in a row.
ROUTER = {
    "provider_retry_attempts": 2,
    "provider_retry_base_s": 0.01,
    "provider_breaker_min_failures": 2,
    "provider_cooldown_s": 600,
    "generation_provider_poll_first_s": 0.01,
}


class Routing:
    def __init__(
        self, saga: Composition, credits: credits_pb2_grpc.CreditsServiceAsyncStub
    ) -> None:
        self.saga = saga
        self.credits = credits

    async def run(self, account: str) -> Generation:
        """Submits an image generation and drives it to its end."""
        g = await self.saga.saga.submit(
            account, random_id("key"), "text-to-image", "local", {"prompt": "a lighthouse"}
        )
        await self.saga.drive_all()
        done = await self.saga.saga.record.load(g.id)
        assert done is not None
        return done

    async def available(self, account: str) -> int:
        reply = await self.credits.GetBalance(credits_pb2.GetBalanceRequest(account_id=account))
        return reply.balance.available


@contextlib.asynccontextmanager
async def routing(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str,
    *providers: ScriptedProvider,
) -> AsyncIterator[Routing]:  # fmt: skip
    async with (
        composition(
            database_url, nats_url, bus_prefix, credits_address, providers,
            catalogue=routed_catalogue(), **ROUTER,
        ) as saga,
        channel(credits_address) as credits,
    ):  # fmt: skip
        yield Routing(saga, credits_pb2_grpc.CreditsServiceStub(credits))  # type: ignore[arg-type]


async def test_a_rate_limited_submit_is_retried_and_billed_once(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    replicate = provider("replicate", [RateLimited("429", retry_after=0.05)])
    async with routing(database_url, nats_url, bus_prefix, credits_address, replicate) as r:
        account = await funded_account(r.credits, 10)

        done = await r.run(account)

        assert (done.status, done.credits) == (Status.SUCCEEDED, CreditsState.CONFIRMED)
        assert replicate.calls.count("submit") == 2
        assert replicate.submitted == [done.provider_job_id]
        assert (done.provider, done.run_model, done.provider_model) == (
            "replicate", "local", "owner/image",
        )  # fmt: skip
        await ledger_becomes(
            r.credits, account, done.id, [f"frozen:{done.id}", f"confirmed:{done.id}"]
        )
        assert await r.available(account) == 8


async def test_a_failing_provider_cools_down_and_the_fallback_runs_at_the_chosen_price(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    replicate = provider("replicate", [ProviderUnavailable("503")] * 2)
    fal = provider("fal")
    async with routing(database_url, nats_url, bus_prefix, credits_address, replicate, fal) as r:
        account = await funded_account(r.credits, 10)

        first = await r.run(account)
        second = await r.run(account)

        for done in (first, second):
            assert (done.status, done.credits) == (Status.SUCCEEDED, CreditsState.CONFIRMED)
            assert (done.provider, done.run_model, done.provider_model) == (
                "fal", "spare", "fal-ai/flux",
            )  # fmt: skip
            assert done.cost == 2  # the chosen model's price, not the fallback's 5
        assert replicate.calls.count("submit") == 2  # cooled down: the second never asked it
        assert fal.submitted == [first.provider_job_id, second.provider_job_id]
        await ledger_becomes(
            r.credits, account, second.id, [f"frozen:{second.id}", f"confirmed:{second.id}"]
        )
        assert await r.available(account) == 6


async def test_a_resumed_fallback_job_is_polled_at_the_provider_it_runs_on(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    replicate = provider("replicate", [ProviderQuotaExceeded("402")])
    fal = provider("fal")
    async with routing(database_url, nats_url, bus_prefix, credits_address, replicate, fal) as r:
        account = await funded_account(r.credits, 10)
        g = await r.saga.saga.submit(
            account, "k-1", "text-to-image", "local", {"prompt": "a lighthouse"}
        )
        claimed = await r.saga.claim()
        assert claimed is not None
        submitted = await r.saga.step(await r.saga.step(claimed))  # admitted, submitted
        assert (submitted.provider, submitted.provider_job_id) == ("fal", "job-1")
        # This "process" dies here; a new one (new router, same providers) takes over.
        await r.saga.pool.execute(
            "UPDATE generations SET lease_expires_at = now() WHERE id = $1", g.id
        )
        async with routing(
            database_url, nats_url, bus_prefix, credits_address, replicate, fal
        ) as restarted:
            await restarted.saga.drive_all()
            done = await restarted.saga.saga.record.load(g.id)

        assert done is not None
        assert (done.status, done.credits) == (Status.SUCCEEDED, CreditsState.CONFIRMED)
        assert fal.submitted == ["job-1"]
        assert replicate.calls == ["submit"]
        assert fal.calls.count("poll") >= 1


async def test_a_users_fault_is_rolled_back_and_neither_retried_nor_failed_over(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    replicate = provider("replicate", [InvalidInput("width must be a multiple of 8")])
    fal = provider("fal")
    async with routing(database_url, nats_url, bus_prefix, credits_address, replicate, fal) as r:
        account = await funded_account(r.credits, 10)

        done = await r.run(account)

        assert (done.status, done.credits) == (Status.FAILED, CreditsState.ROLLED_BACK)
        assert done.failure is not None
        assert (done.failure.code, done.failure.fault) == ("invalid_input", "user")
        assert replicate.calls == ["submit"]
        assert fal.calls == []
        await ledger_becomes(
            r.credits, account, done.id, [f"frozen:{done.id}", f"rolled_back:{done.id}"]
        )
        assert await r.available(account) == 10


async def test_an_out_of_credits_provider_cools_down_and_the_user_is_not_billed(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    replicate = provider("replicate", [ProviderQuotaExceeded("402: out of credit")])
    # No fal adapter here: the fallback is not configured, so nothing else can run it.
    async with routing(database_url, nats_url, bus_prefix, credits_address, replicate) as r:
        account = await funded_account(r.credits, 10)

        first = await r.run(account)
        second = await r.run(account)

        assert first.failure is not None
        assert second.failure is not None
        assert (first.failure.code, first.failure.fault) == ("provider_quota", "provider")
        assert (second.failure.code, second.failure.fault) == ("provider_cooling_down", "provider")
        assert replicate.calls == ["submit"]  # cooled down at once: asked once, never again
        for done in (first, second):
            assert (done.status, done.credits) == (Status.FAILED, CreditsState.ROLLED_BACK)
            await ledger_becomes(
                r.credits, account, done.id, [f"frozen:{done.id}", f"rolled_back:{done.id}"]
            )
        assert await r.available(account) == 10


async def test_a_submit_interrupted_mid_call_is_not_sent_again_and_not_billed(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    replicate = provider("replicate")
    async with routing(database_url, nats_url, bus_prefix, credits_address, replicate) as r:
        account = await funded_account(r.credits, 10)
        g = await r.saga.saga.submit(
            account, "k-1", "text-to-image", "local", {"prompt": "a lighthouse"}
        )
        claimed = await r.saga.claim()
        assert claimed is not None
        await r.saga.step(claimed)  # admitted
        # The driver recorded its attempt, sent the submit, and died before the answer.
        await r.saga.pool.execute(
            "UPDATE generations SET submit_attempts = 1, version = version + 1,"
            " lease_expires_at = now() WHERE id = $1",
            g.id,
        )

        await r.saga.drive_all()
        done = await r.saga.saga.record.load(g.id)

        assert done is not None
        assert (done.status, done.credits) == (Status.FAILED, CreditsState.ROLLED_BACK)
        assert done.failure is not None
        assert (done.failure.code, done.failure.fault) == ("submit_unconfirmed", "provider")
        assert replicate.calls == []
        await ledger_becomes(
            r.credits, account, done.id, [f"frozen:{done.id}", f"rolled_back:{done.id}"]
        )
