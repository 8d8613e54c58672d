"""call_and_wait_for_completion: submit, then poll to the end, reporting progress on the way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from services.generation.tests.catalogue_samples import default_queries
from services.generation.tests.unit.scripted_provider import ScriptedProvider

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.completion import (
    PollSchedule,
    call_and_wait_for_completion,
    wait_for_completion,
)
from atelier_generation.providers.errors import (
    ContentPolicy,
    Fault,
    JobCanceled,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob, ProviderOutput

NO_WAIT = PollSchedule(first_s=0, longest_s=0)
OUTPUT = ProviderOutput("https://cdn.example/1.png", "image/png", datetime(2030, 1, 1, tzinfo=UTC))
QUEUED = JobStatus(JobState.QUEUED)
DONE = JobStatus(JobState.SUCCEEDED, 100, (OUTPUT,))


def image_model() -> Model:
    return default_queries().tools()[0].models[0]


class Progress:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    async def __call__(self, status: JobStatus) -> None:
        self.seen.append((status.state.value, status.progress))


async def test_progress_is_reported_once_per_change_and_the_outputs_returned() -> None:
    steps = [QUEUED, QUEUED, JobStatus(JobState.RUNNING, 40), JobStatus(JobState.RUNNING, 40), DONE]
    provider, progress = ScriptedProvider(steps), Progress()

    done = await call_and_wait_for_completion(
        provider, image_model(), {"prompt": "a"}, progress, schedule=NO_WAIT
    )

    assert done.outputs == (OUTPUT,)
    assert done.job == ProviderJob("scripted", "job-1")
    assert progress.seen == [("queued", 0), ("running", 40), ("succeeded", 100)]


async def test_the_job_id_is_handed_over_before_the_first_poll() -> None:
    provider = ScriptedProvider([DONE])
    submitted: list[str] = []

    async def record(job: ProviderJob) -> None:
        submitted.append(job.job_id)
        assert provider.calls == ["submit"]

    await call_and_wait_for_completion(
        provider, image_model(), {}, Progress(), on_submitted=record, schedule=NO_WAIT
    )

    assert submitted == ["job-1"]


async def test_a_failed_job_raises_its_classified_error() -> None:
    refused = ContentPolicy("refused", provider="scripted")
    provider = ScriptedProvider([QUEUED, JobStatus(JobState.FAILED, 10, error=refused)])

    with pytest.raises(ContentPolicy) as raised:
        await call_and_wait_for_completion(
            provider, image_model(), {}, Progress(), schedule=NO_WAIT
        )

    assert raised.value.fault is Fault.USER
    assert not raised.value.retryable


async def test_polls_that_fail_at_the_provider_are_retried_until_the_job_ends() -> None:
    hiccups = [ProviderUnavailable("502"), RateLimited("slow down", retry_after=0.0)]
    provider = ScriptedProvider([QUEUED, *hiccups, DONE])

    done = await call_and_wait_for_completion(
        provider, image_model(), {}, Progress(), schedule=NO_WAIT
    )

    assert done.outputs == (OUTPUT,)
    assert provider.calls.count("poll") == 4


async def test_a_canceled_job_raises_job_canceled() -> None:
    provider = ScriptedProvider([JobStatus(JobState.CANCELED)])

    with pytest.raises(JobCanceled):
        await call_and_wait_for_completion(
            provider, image_model(), {}, Progress(), schedule=NO_WAIT
        )


async def test_past_its_deadline_a_job_is_canceled_and_the_provider_blamed() -> None:
    provider = ScriptedProvider([JobStatus(JobState.RUNNING, 50)])

    with pytest.raises(ProviderTimeout) as raised:
        await wait_for_completion(
            provider, image_model(), ProviderJob("scripted", "job-1"), Progress(), deadline_s=0
        )

    assert raised.value.fault is Fault.PROVIDER
    assert provider.calls[-1] == "cancel"
