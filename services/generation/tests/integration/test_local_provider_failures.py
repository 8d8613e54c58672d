"""Failures of the local provider, injected or real, are classified for billing and retries."""

from __future__ import annotations

import pytest
from services.generation.tests.catalogue_samples import default_queries
from services.generation.tests.local_support import FAST_POLLS, Progress, generate, local_provider

from atelier_generation.providers.completion import wait_for_completion
from atelier_generation.providers.errors import (
    ContentPolicy,
    Fault,
    InvalidInput,
    ProviderAuthFailed,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    WebhookRejected,
)
from atelier_generation.providers.job import JobState


@pytest.mark.parametrize(
    ("marker", "error", "fault"),
    [
        ("policy", ContentPolicy, Fault.USER),
        ("provider", ProviderUnavailable, Fault.PROVIDER),
        ("input", InvalidInput, Fault.USER),
        ("rate-limit", RateLimited, Fault.PROVIDER),
        ("quota", ProviderQuotaExceeded, Fault.PROVIDER),
        ("auth", ProviderAuthFailed, Fault.PROVIDER),
    ],
)
async def test_an_injected_failure_is_raised_with_its_classification(
    marker: str, error: type[ProviderError], fault: Fault
) -> None:
    async with local_provider() as local:
        with pytest.raises(error) as raised:
            await generate(local, "text-to-image", {"prompt": f"a fox [fail:{marker}]"})

    assert raised.value.fault is fault
    assert raised.value.retryable is (fault is Fault.PROVIDER)


async def test_a_rate_limit_says_when_to_retry() -> None:
    async with local_provider() as local:
        with pytest.raises(RateLimited) as raised:
            await generate(local, "music-custom", {"style": "rock [fail:rate-limit]"})

    assert raised.value.retry_after == 1.0


async def test_a_job_that_never_finishes_is_canceled_at_its_deadline() -> None:
    model = default_queries().tools()[0].models[0]
    async with local_provider() as local:
        job = await local.submit(model, {"prompt": "a fox [fail:timeout]"})
        with pytest.raises(ProviderTimeout):
            await wait_for_completion(
                local, model, job, Progress(), deadline_s=0.3, schedule=FAST_POLLS
            )

        assert (await local.poll(job)).state is JobState.CANCELED


async def test_an_input_from_a_foreign_origin_is_refused_as_the_users_fault() -> None:
    async with local_provider() as local:
        with pytest.raises(InvalidInput) as raised:
            await generate(
                local, "upscale", {"image_url": "http://169.254.169.254/latest/meta-data"}
            )

    assert "only URLs this service served" in raised.value.message


async def test_an_input_that_is_not_an_image_is_refused_as_the_users_fault() -> None:
    async with local_provider() as local:
        song = await generate(local, "music-inspiration", {"prompt": "calm", "duration": 5})
        with pytest.raises(InvalidInput) as raised:
            await generate(local, "upscale", {"image_url": song.outputs[0].url})

    assert "not a readable image" in raised.value.message


async def test_an_input_that_is_not_audio_is_refused_as_the_users_fault() -> None:
    async with local_provider() as local:
        image = await generate(local, "text-to-image", {"prompt": "a fox"})
        with pytest.raises(InvalidInput) as raised:
            await generate(
                local, "music-cover", {"audio_url": image.outputs[0].url, "style": "jazz"}
            )

    assert "not a playable audio file" in raised.value.message


async def test_an_upscale_beyond_the_largest_image_is_refused() -> None:
    async with local_provider() as local:
        image = await generate(local, "text-to-image", {"prompt": "a", "resolution": "2K"})
        with pytest.raises(InvalidInput):
            await generate(local, "upscale", {"image_url": image.outputs[0].url, "scale": "4x"})


async def test_a_canceled_job_stops_and_says_so() -> None:
    model = default_queries().tools()[3].models[0]  # text-to-video
    async with local_provider(latency_s=30) as local:
        job = await local.submit(model, {"prompt": "waves", "duration": 2})
        await local.cancel(job)
        await local.cancel(job)  # twice is harmless

        assert (await local.poll(job)).state is JobState.CANCELED


async def test_a_job_the_provider_does_not_know_failed_at_the_provider() -> None:
    model = default_queries().tools()[0].models[0]
    async with local_provider() as local:
        job = await local.submit(model, {"prompt": "a"})
    async with local_provider() as restarted:
        status = await restarted.poll(job)

    assert status.state is JobState.FAILED
    assert status.error is not None
    assert status.error.fault is Fault.PROVIDER


async def test_a_webhook_is_never_taken_for_a_local_job() -> None:
    async with local_provider() as local:
        with pytest.raises(WebhookRejected):
            local.parse_webhook({"content-type": "application/json"}, b'{"id": "local-1"}')
