"""The router's promises kept by the real service against the providers' fakes: the adapters
read the fakes' real 429s, 5xx answers, hangs, quota and policy refusals over HTTP, and the
router retries, cools down and falls back on what they make of them.

Every test runs the service's composition root (chosen by settings alone: keys and base URLs)
beside a real credits service, with fal's fake and Replicate's fake. Outcomes are read where an
operator would find them: the generation's status and failure, the account's ledger and
balance, the submits each fake received, and the router's metrics. Retries are quick here (a
tiny base, a cap above the fakes' 1 s Retry-After); a provider cools down after three failures.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from services.generation.tests.generation_service import service_settings
from services.generation.tests.saga_support import SagaClients, funded_account, ledger_becomes
from services.generation.tests.unit.metric_points import points

from atelier.credits.v1 import credits_pb2_grpc
from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_generation.adapters.catalogue_file import load_catalogue, parse_catalogue
from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.main import build
from atelier_generation.providers.provider import ADAPTER_NAMES
from atelier_runtime.db import DbPool
from atelier_runtime.grpc_client import channel
from atelier_testing.ids import random_id
from atelier_testing.in_process import serving
from atelier_testing.polling import eventually
from atelier_testing.provider_fakes.fal import FakeFal
from atelier_testing.provider_fakes.replicate import FakeReplicate

ROUTER = {
    "provider_retry_attempts": 3,
    "provider_retry_base_s": 0.01,
    "provider_retry_cap_s": 2.0,  # above the fakes' Retry-After of 1 s: it is waited for
    "provider_breaker_min_failures": 3,
    "provider_cooldown_s": 600.0,  # no probe unless a test shortens it
    "provider_request_timeout_s": 1.0,  # a hanging answer ends here
    "provider_submits_per_s_fal": 0.0,
    "provider_submits_per_s_replicate": 0.0,
    "generation_provider_poll_first_s": 0.01,
}
RETRIES = "atelier.generation.provider.retries"
FALLBACKS = "atelier.generation.provider.fallbacks"
COOLDOWNS = "atelier.generation.provider.cooldowns"
COOLDOWN_STATE = "atelier.generation.provider.cooldown_state"
# The cool-down gauge's values.
CLOSED, HALF_OPEN, OPEN = 0, 1, 2


@functools.cache
def catalogue() -> Catalogue:
    """The shipped catalogue with text-to-image on the two fakes' adapters:
    flux-fal (2 credits) falls back to flux-replicate (5 credits, no fallback of its own);
    sdxl-replicate (3) falls back to flux-fal; quick-replicate (2) has a 1 s deadline."""
    document: dict[str, Any] = load_catalogue(None, ADAPTER_NAMES).model_dump(
        mode="json", exclude_defaults=True
    )
    tool = next(t for t in document["tools"] if t["id"] == "text-to-image")
    base = tool["models"][0]

    def model(model_id: str, provider: str, provider_model: str, cost: int, **more: Any) -> Any:
        return {**base, "id": model_id, "provider": provider, "provider_model": provider_model,
                "cost": {"per_output": cost}, **more}  # fmt: skip

    tool["models"] = [
        model("flux-fal", "fal", "fal-ai/flux/dev", 2, fallbacks=["flux-replicate"]),
        model("flux-replicate", "replicate", "owner/flux", 5),
        model("sdxl-replicate", "replicate", "owner/sdxl", 3, fallbacks=["flux-fal"]),
        model("quick-replicate", "replicate", "owner/quick", 2, max_duration_s=1),
    ]
    return parse_catalogue(yaml.safe_dump(document), "fakes.yaml", ADAPTER_NAMES)


@dataclass
class Platform:
    clients: SagaClients
    fal: FakeFal
    replicate: FakeReplicate
    metrics: InMemoryMetricReader
    pool: DbPool

    async def account(self, credits: int = 10) -> str:
        return await funded_account(self.clients.credits, credits)

    async def run(self, account: str, model: str, prompt: str = "a lighthouse") -> pb.Generation:
        """Submits a text-to-image generation and waits until it ended and settled."""
        request = pb.SubmitGenerationRequest(
            account_id=account, idempotency_key=random_id("key"), tool="text-to-image",
            model=model, params_json=json.dumps({"prompt": prompt}),
        )  # fmt: skip
        submitted = (await self.clients.generation.Submit(request)).generation
        return await self.clients.settled(account, submitted.id)

    def fal_submits(self) -> int:
        # A submit is a POST to an app's path; status, result and cancel are under /requests/.
        return sum(m == "POST" and "/requests/" not in p for m, p, _ in self.fal.calls)

    def replicate_submits(self) -> int:
        return sum(
            m == "POST" and p.endswith("/predictions") for m, p, _ in self.replicate.requests
        )

    async def ran_on(self, generation_id: str) -> tuple[str, str]:
        """(provider, model) the generation's job ran on, as the saga recorded them."""
        row = await self.pool.fetchrow(
            "SELECT provider, run_model FROM generations WHERE id = $1", generation_id
        )
        assert row is not None
        return row["provider"], row["run_model"]

    def metric(self, name: str, **attributes: str) -> float:
        return points(self.metrics).get((name, tuple(sorted(attributes.items()))), 0)

    async def billed(self, account: str, g: pb.Generation) -> None:
        """The generation's price was frozen and confirmed, once."""
        assert (g.status, g.credits_state) == (
            pb.GENERATION_STATUS_SUCCEEDED, pb.CREDITS_STATE_CONFIRMED,
        )  # fmt: skip
        await ledger_becomes(
            self.clients.credits, account, g.id, [f"frozen:{g.id}", f"confirmed:{g.id}"]
        )

    async def not_billed(self, account: str, g: pb.Generation, code: str, fault: str) -> None:
        """The generation failed with `code`, `fault`'s fault, and its freeze was rolled back."""
        assert (g.status, g.credits_state) == (
            pb.GENERATION_STATUS_FAILED, pb.CREDITS_STATE_ROLLED_BACK,
        )  # fmt: skip
        assert (g.failure.code, g.failure.fault) == (code, fault), g.failure
        await ledger_becomes(
            self.clients.credits, account, g.id, [f"frozen:{g.id}", f"rolled_back:{g.id}"]
        )


@contextlib.asynccontextmanager
async def platform(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool,
    **overrides: Any,
) -> AsyncIterator[Platform]:  # fmt: skip
    """The service on both fakes, configured by variables alone (ROUTER's, then `overrides`),
    reporting to its own meters."""
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    async with FakeFal() as fal, FakeReplicate() as replicate:
        settings = service_settings(
            database_url, nats_url, bus_prefix, credits_addr=credits_address,
            provider_api_key_fal=fal.key, provider_base_url_fal=fal.url,
            provider_jwks_url_fal=fal.jwks_url,
            provider_api_key_replicate=replicate.api_token,
            provider_base_url_replicate=replicate.api_url,
            **{**ROUTER, **overrides},
        )  # fmt: skip
        app = functools.partial(build, catalogue=catalogue(), meter_provider=meters)
        async with (
            serving(settings, app) as address,
            channel(address) as generation,
            channel(credits_address) as credits,
        ):
            clients = SagaClients(
                generation_pb2_grpc.GenerationServiceStub(generation),  # type: ignore[arg-type]
                credits_pb2_grpc.CreditsServiceStub(credits),  # type: ignore[arg-type]
            )
            yield Platform(clients, fal, replicate, reader, db_pool)
    meters.shutdown()


@pytest.fixture
async def on_fakes(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool
) -> AsyncIterator[Platform]:
    async with platform(database_url, nats_url, bus_prefix, credits_address, db_pool) as p:
        yield p


async def test_a_429_is_retried_after_its_retry_after_and_billed_once(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()
    p.fal.faults.rate_limit(1, retry_after_s=1)

    done = await p.run(account, "flux-fal")

    await p.billed(account, done)
    assert await p.clients.available(account) == 10 - 2
    assert p.fal_submits() == 2
    assert len(p.fal.requests) == 1  # one job at fal
    assert p.replicate_submits() == 0  # a rate limit within the cap is waited out, not left
    assert await p.ran_on(done.id) == ("fal", "flux-fal")
    assert p.metric(RETRIES, provider="fal", error="rate_limited") == 1
    assert p.metric(FALLBACKS, **{"from": "fal", "to": "replicate"}) == 0


async def test_a_429_asking_for_more_than_the_cap_leaves_the_provider_for_the_fallback(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()
    p.fal.faults.rate_limit(1, retry_after_s=5)  # past the 2 s cap: not waited for

    done = await p.run(account, "flux-fal")

    await p.billed(account, done)
    assert done.cost == 2
    assert await p.clients.available(account) == 10 - 2
    assert p.fal_submits() == 1  # the header was read: no blind retry at fal
    assert p.replicate_submits() == 1
    assert await p.ran_on(done.id) == ("replicate", "flux-replicate")
    assert p.metric(RETRIES, provider="fal", error="rate_limited") == 0
    assert p.metric(FALLBACKS, **{"from": "fal", "to": "replicate"}) == 1


async def test_a_5xx_that_started_nothing_is_retried_then_succeeds(on_fakes: Platform) -> None:
    p = on_fakes
    account = await p.account()
    p.replicate.faults.fail(2, status=503)

    done = await p.run(account, "flux-replicate")

    await p.billed(account, done)
    assert await p.clients.available(account) == 10 - 5
    assert p.replicate_submits() == 3
    assert len(p.replicate.predictions) == 1
    assert [o.url.startswith(p.replicate.url) for o in done.outputs] == [True]
    assert p.metric(RETRIES, provider="replicate", error="provider_unavailable") == 2
    # Two failures and a success: below the three that cool a provider down.
    assert p.metric(COOLDOWN_STATE, provider="replicate") == CLOSED


async def test_a_gateway_504_at_submit_is_neither_sent_again_nor_failed_over(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()
    p.fal.faults.fail(1, status=504)  # from a gateway: the job behind it may have started

    done = await p.run(account, "flux-fal")

    await p.not_billed(account, done, "provider_unavailable", "provider")
    assert await p.clients.available(account) == 10
    assert p.fal_submits() == 1  # not retried
    assert p.replicate_submits() == 0  # nor sent to the fallback: two jobs could be paid for
    assert p.metric(RETRIES, provider="fal", error="provider_unavailable") == 0
    assert p.metric(FALLBACKS, **{"from": "fal", "to": "replicate"}) == 0


async def test_a_submit_that_timed_out_after_starting_a_job_is_not_sent_again_nor_billed(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()

    # Replicate's fake starts the prediction, then never answers the create.
    done = await p.run(account, "sdxl-replicate", "a lighthouse [fake:hang]")

    await p.not_billed(account, done, "provider_timeout", "provider")
    assert await p.clients.available(account) == 10
    assert p.replicate_submits() == 1  # not retried
    assert len(p.replicate.predictions) == 1  # the one job it started, unknown to us
    assert p.fal_submits() == 0  # nor sent to the fallback
    assert p.metric(RETRIES, provider="replicate", error="provider_timeout") == 0
    assert p.metric(FALLBACKS, **{"from": "replicate", "to": "fal"}) == 0


async def test_a_failing_provider_cools_down_and_the_fallback_runs_at_the_chosen_price(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()
    p.fal.faults.fail(3, status=503)  # fal's fake answers again after these

    first = await p.run(account, "flux-fal")
    second = await p.run(account, "flux-fal")

    for done in (first, second):
        await p.billed(account, done)
        assert done.cost == 2  # flux-fal's price, not the fallback's 5
        assert await p.ran_on(done.id) == ("replicate", "flux-replicate")
        assert [o.url.startswith(p.replicate.url) for o in done.outputs] == [True]
    assert await p.clients.available(account) == 10 - 2 - 2
    # Three tries for the first; the second went straight to the fallback while fal cools down.
    assert p.fal_submits() == 3
    assert p.fal.requests == {}
    assert p.replicate_submits() == 2
    assert p.metric(RETRIES, provider="fal", error="provider_unavailable") == 2
    assert p.metric(COOLDOWNS, provider="fal") == 1
    assert p.metric(COOLDOWN_STATE, provider="fal") == OPEN
    assert p.metric(FALLBACKS, **{"from": "fal", "to": "replicate"}) == 2


async def test_after_its_cool_down_one_probe_goes_to_the_provider_and_its_success_closes_it(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str, db_pool: DbPool
) -> None:
    servers = (database_url, nats_url, bus_prefix, credits_address, db_pool)
    async with platform(*servers, provider_cooldown_s=0.3) as p:
        account = await p.account()
        p.fal.faults.fail(3, status=503)
        cooled = await p.run(account, "flux-fal")
        assert await p.ran_on(cooled.id) == ("replicate", "flux-replicate")

        async def half_open() -> bool:
            return p.metric(COOLDOWN_STATE, provider="fal") == HALF_OPEN

        await eventually(half_open, what="fal's cool-down over")
        probe = await p.run(account, "flux-fal")

        await p.billed(account, probe)
        assert await p.ran_on(probe.id) == ("fal", "flux-fal")
        assert p.fal_submits() == 3 + 1
        assert len(p.fal.requests) == 1
        assert p.replicate_submits() == 1
        assert p.metric(COOLDOWN_STATE, provider="fal") == CLOSED
        assert await p.clients.available(account) == 10 - 2 - 2


async def test_a_provider_out_of_credit_cools_down_at_once_and_the_user_pays_nothing(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()

    first = await p.run(account, "flux-replicate", "a lighthouse [fake:quota]")  # 402
    second = await p.run(account, "flux-replicate")

    await p.not_billed(account, first, "provider_quota", "provider")
    await p.not_billed(account, second, "provider_cooling_down", "provider")
    assert await p.clients.available(account) == 10
    assert p.replicate_submits() == 1  # not retried, and not asked again while cooling down
    assert p.replicate.predictions == {}
    assert p.metric(COOLDOWNS, provider="replicate") == 1
    assert p.metric(COOLDOWN_STATE, provider="replicate") == OPEN


async def test_a_users_fault_is_rolled_back_and_neither_retried_nor_failed_over(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()

    # Refused at submit by Replicate (422), on a model that falls back to fal.
    refused = await p.run(account, "sdxl-replicate", "a lighthouse [fake:invalid]")
    # Taken by fal, then failed by its content checker, on a model that falls back to Replicate.
    flagged = await p.run(account, "flux-fal", "a lighthouse [fake:nsfw]")

    await p.not_billed(account, refused, "invalid_input", "user")
    await p.not_billed(account, flagged, "content_policy", "user")
    assert await p.clients.available(account) == 10
    assert p.replicate_submits() == 1
    assert p.fal_submits() == 1
    assert len(p.fal.requests) == 1
    assert p.metric(FALLBACKS, **{"from": "replicate", "to": "fal"}) == 0
    assert p.metric(FALLBACKS, **{"from": "fal", "to": "replicate"}) == 0
    # The providers answered as they should: a user's fault says nothing bad of their health.
    assert p.metric(COOLDOWN_STATE, provider="replicate") == CLOSED
    assert p.metric(COOLDOWN_STATE, provider="fal") == CLOSED


async def test_a_job_still_running_at_the_models_deadline_is_canceled_and_rolled_back(
    on_fakes: Platform,
) -> None:
    p = on_fakes
    account = await p.account()

    done = await p.run(account, "quick-replicate", "a lighthouse [fake:stuck]")

    await p.not_billed(account, done, "provider_timeout", "provider")
    assert await p.clients.available(account) == 10
    assert p.replicate_submits() == 1
    [prediction] = p.replicate.predictions.values()
    # Canceled by the service at its 1 s deadline (the Cancel-After it sent says 5 s).
    assert ("POST", f"/v1/predictions/{prediction.id}/cancel") in [
        (m, path) for m, path, _ in p.replicate.requests
    ]
    assert prediction.status == "canceled"
