"""Provider callbacks through HandleProviderWebhook: a genuine one moves its generation at once
(the driver, nudged, acts under its lease), a forged one is refused, and repeats, stale news and
news of unknown jobs change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from services.generation.tests.integration.conftest import saga_clients
from services.generation.tests.saga_support import SagaClients, ledger_becomes
from services.generation.tests.unit.scripted_provider import CallbackProvider

from atelier.generation.v1 import generation_pb2 as pb
from atelier_generation.domain.plan_priority import Priority
from atelier_testing.grpc_fuzzer import Case, Trait, assert_no_findings, fuzz_service
from atelier_testing.polling import eventually

PNG = {"url": "https://cdn.example/out.png", "content_type": "image/png"}


@dataclass
class Hooked:
    saga: SagaClients
    provider: CallbackProvider

    async def send(
        self, headers: dict[str, str], body: bytes, provider: str = "local"
    ) -> pb.HandleProviderWebhookResponse:
        request = pb.HandleProviderWebhookRequest(provider=provider, headers=headers, body=body)
        return await self.saga.generation.HandleProviderWebhook(request)

    async def tell(self, job_id: str, state: str, progress: int = 0, **extra: object) -> int:
        reply = await self.send(*self.provider.callback(job_id, state, progress, **extra))
        return reply.outcome

    async def running(self, account: str) -> tuple[pb.Generation, str]:
        """A generation whose driver waits on its provider job (its job id recorded, the
        provider's first progress too), and that job's id."""
        g = await self.saga.submit(account)

        async def waiting() -> bool:
            latest = await self.saga.get(account, g.id)
            return latest.status == pb.GENERATION_STATUS_RUNNING and latest.progress == 10

        await eventually(waiting, 10, what="the driver waiting on the provider job")
        (job_id,) = self.provider.states
        return g, job_id


@pytest.fixture
async def hooked(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> AsyncIterator[Hooked]:
    provider = CallbackProvider()
    # The driver's next poll after its first two is a minute away: only a callback ends a job
    # sooner (and this provider's polls never report an end anyway).
    async with saga_clients(
        database_url, nats_url, bus_prefix, credits_address, {"local": provider},
        generation_provider_poll_first_s=60.0,
    ) as saga:  # fmt: skip
        yield Hooked(saga, provider)


async def test_a_genuine_callback_ends_the_generation_without_waiting_for_a_poll(
    hooked: Hooked,
) -> None:
    account = await hooked.saga.funded_account(10)
    g, job_id = await hooked.running(account)

    outcome = await hooked.tell(job_id, "succeeded", 100, outputs=[PNG])

    done = await hooked.saga.settled(account, g.id)
    assert outcome == pb.WEBHOOK_OUTCOME_RECORDED
    assert done.status == pb.GENERATION_STATUS_SUCCEEDED
    assert [o.url for o in done.outputs] == [PNG["url"]]
    assert done.credits_state == pb.CREDITS_STATE_CONFIRMED
    await ledger_becomes(
        hooked.saga.credits, account, g.id, [f"frozen:{g.id}", f"confirmed:{g.id}"]
    )
    # An account billing never announced is on "free", after every listed plan.
    assert hooked.provider.priorities == [Priority("free", 3, paid=False)]


async def test_progress_only_rises_and_an_end_is_final_whatever_order_callbacks_come_in(
    hooked: Hooked,
) -> None:
    account = await hooked.saga.funded_account(10)
    g, job_id = await hooked.running(account)

    assert await hooked.tell(job_id, "running", 60) == pb.WEBHOOK_OUTCOME_RECORDED

    async def at_60() -> bool:
        return (await hooked.saga.get(account, g.id)).progress == 60

    await eventually(at_60, 10, what="progress 60 recorded by the driver")
    assert await hooked.tell(job_id, "running", 60) == pb.WEBHOOK_OUTCOME_IGNORED
    assert await hooked.tell(job_id, "running", 30) == pb.WEBHOOK_OUTCOME_IGNORED
    assert await hooked.tell(job_id, "failed", 70, error="refused") == pb.WEBHOOK_OUTCOME_RECORDED
    assert await hooked.tell(job_id, "succeeded", 100, outputs=[PNG]) == pb.WEBHOOK_OUTCOME_IGNORED
    done = await hooked.saga.settled(account, g.id)
    assert await hooked.tell(job_id, "failed", 70, error="refused") == pb.WEBHOOK_OUTCOME_IGNORED

    assert done.status == pb.GENERATION_STATUS_FAILED
    assert done.failure.code == "content_policy"
    assert done.failure.fault == "user"
    assert done.credits_state == pb.CREDITS_STATE_ROLLED_BACK
    assert (await hooked.saga.get(account, g.id)).status == pb.GENERATION_STATUS_FAILED


async def test_a_forged_callback_is_refused_and_changes_nothing(hooked: Hooked) -> None:
    account = await hooked.saga.funded_account(10)
    g, job_id = await hooked.running(account)
    headers, body = hooked.provider.callback(job_id, "succeeded", 100, outputs=[PNG])
    forged_headers, _ = hooked.provider.signed(body, secret=b"someone else's secret")

    for attempt in (forged_headers, {}, {**headers, "Webhook-Timestamp": "1"}):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await hooked.send(attempt, body)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "signature" not in (refused.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as tampered:
        await hooked.send(headers, body.replace(b"succeeded", b"failed"))
    assert tampered.value.code() == grpc.StatusCode.UNAUTHENTICATED

    latest = await hooked.saga.get(account, g.id)
    assert latest.status == pb.GENERATION_STATUS_RUNNING
    assert await hooked.tell(job_id, "canceled") == pb.WEBHOOK_OUTCOME_RECORDED
    assert (await hooked.saga.settled(account, g.id)).status == pb.GENERATION_STATUS_FAILED


async def test_a_callback_about_a_job_of_no_generation_is_acknowledged(hooked: Hooked) -> None:
    assert await hooked.tell("cb-not-ours", "succeeded", 100) == pb.WEBHOOK_OUTCOME_UNKNOWN_JOB


async def test_an_unknown_or_absent_provider_is_named(hooked: Hooked) -> None:
    headers, body = hooked.provider.callback("cb-1", "running", 5)
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await hooked.send(headers, body, provider="nonesuch")
    with pytest.raises(grpc.aio.AioRpcError) as absent:
        await hooked.send(headers, body, provider="replicate")
    with pytest.raises(grpc.aio.AioRpcError) as huge:
        await hooked.send(headers, b"x" * (1024 * 1024 + 1))

    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    assert "provider" in (unknown.value.details() or "")
    assert absent.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert huge.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (huge.value.details() or "").startswith("body:")


_METHOD = f"{pb.DESCRIPTOR.services_by_name['GenerationService'].full_name}/HandleProviderWebhook"
_ALWAYS_REFUSED = {Trait.NUL, Trait.LONG, Trait.CONTROL, Trait.EMPTY}


def outside_the_bounds(case: Case) -> bool:
    """The provider name is an id; header names are tokens and values short and free of
    controls; a body above 1 MiB or more than 64 headers are refused whatever they say."""
    if case.method != _METHOD:
        return False
    if case.field in {"provider", "headers.key"}:
        return case.trait in _ALWAYS_REFUSED
    if case.field == "headers.value":
        return case.trait in {Trait.NUL, Trait.LONG, Trait.CONTROL}
    if case.field == "headers":
        return case.trait is Trait.MANY_ELEMENTS
    return case.field == "body" and case.value.endswith("MB random bytes")


async def test_hostile_callbacks_are_refused_cleanly_and_move_nothing(hooked: Hooked) -> None:
    account = await hooked.saga.funded_account(10)
    g, _ = await hooked.running(account)
    headers, body = hooked.provider.callback("cb-not-ours", "succeeded", 100)

    async def untouched() -> None:
        latest = await hooked.saga.get(account, g.id)
        assert latest.status == pb.GENERATION_STATUS_RUNNING
        assert latest.progress == 10

    bounded: set[str] = set()

    def must_refuse(case: Case) -> bool:
        refused = outside_the_bounds(case)
        if refused:
            bounded.add(case.field)
        return refused

    report = await fuzz_service(
        hooked.saga.address,
        baselines={
            _METHOD: pb.HandleProviderWebhookRequest(provider="local", headers=headers, body=body)
        },
        methods={_METHOD},
        must_refuse=must_refuse,
        invariant=untouched,
    )

    assert_no_findings(report)
    assert set(report.methods) == {_METHOD}
    assert bounded == {"provider", "headers", "headers.key", "headers.value", "body"}
