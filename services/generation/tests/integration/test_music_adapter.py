"""The music adapter against the music fake over real HTTP: a task through its stages to two
downloadable clips, body-coded errors typed, and signed callbacks accepted only when genuine."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from services.generation.tests.inline_support import FAST_POLLS, Progress, download, model

from atelier_generation.providers import errors
from atelier_generation.providers.completion import call_and_wait_for_completion
from atelier_generation.providers.job import JobState, ProviderJob
from atelier_generation.providers.music.provider import MusicProvider
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_testing.polling import eventually
from atelier_testing.provider_fakes.common_inline import CallbackReceiver, Delivery, serving
from atelier_testing.provider_fakes.music import MusicFake

SONG = model("music", "V4_5", kind="audio", content_type="audio/wav", max_duration_s=60)


@pytest.fixture
def fake() -> Iterator[MusicFake]:
    with serving(MusicFake()) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with serving(CallbackReceiver()) as running:
        yield running


@pytest.fixture
async def provider(fake: MusicFake, receiver: CallbackReceiver) -> AsyncIterator[MusicProvider]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield MusicProvider(config(fake, receiver), http)


def config(
    fake: MusicFake, receiver: CallbackReceiver, *, key: str | None = None
) -> RemoteProviderConfig:
    return RemoteProviderConfig(
        "music", fake.base_url, key or fake.api_key, webhook_url=receiver.url,
        webhook_secret=fake.webhook_hmac_key,
    )  # fmt: skip


async def test_a_song_goes_through_its_stages_to_two_downloadable_clips(
    fake: MusicFake, provider: MusicProvider
) -> None:
    fake.stage_s = 0.2
    progress = Progress()
    done = await call_and_wait_for_completion(
        provider, SONG, {"prompt": "calm piano"}, progress, schedule=FAST_POLLS
    )
    steps = [s.progress for s in progress.seen]
    # A stage may pass between two polls on a busy machine; the order never changes.
    assert steps == sorted(set(steps))
    assert set(steps) <= {5, 40, 70, 100}
    assert steps[-1] == 100
    assert progress.seen[0].state is JobState.QUEUED
    assert len(done.outputs) == 2
    for output in done.outputs:
        assert output.content_type == "audio/wav"
        assert output.expires_at is not None
        assert (await download(output.url)).content[:4] == b"RIFF"


async def test_custom_mode_sends_style_title_and_lyrics(
    fake: MusicFake, provider: MusicProvider
) -> None:
    job = await provider.submit(SONG, {"style": "rock", "lyrics": "la la", "title": "Hey"})
    task = fake.tasks[job.job_id]
    assert task.param["customMode"] is True
    assert (task.param["prompt"], task.param["style"], task.param["title"]) == (
        "la la",
        "rock",
        "Hey",
    )
    assert task.param["instrumental"] is False


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [
        ("[fake:credits]", errors.ProviderQuotaExceeded),
        ("[fake:430]", errors.RateLimited),
        ("[fake:455]", errors.ProviderUnavailable),
        ("[fake:http-503]", errors.ProviderUnavailable),
        ("x" * 501, errors.InvalidInput),
        ("\x00" * 100_000, errors.InvalidInput),
    ],
)
async def test_refusals_at_submit_are_typed(
    provider: MusicProvider, prompt: str, error_type: type[errors.ProviderError]
) -> None:
    with pytest.raises(error_type):
        await provider.submit(SONG, {"prompt": prompt})


async def test_a_wrong_key_is_the_providers_fault(
    fake: MusicFake, receiver: CallbackReceiver
) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        stranger = MusicProvider(config(fake, receiver, key="wrong"), http)
        with pytest.raises(errors.ProviderAuthFailed):
            await stranger.submit(SONG, {"prompt": "a song"})


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [
        ("[fake:sensitive]", errors.ContentPolicy),
        ("[fake:audio-failed]", errors.ProviderUnavailable),
    ],
)
async def test_failed_tasks_are_typed(
    provider: MusicProvider, prompt: str, error_type: type[errors.ProviderError]
) -> None:
    status = await provider.poll(await provider.submit(SONG, {"prompt": prompt}))
    assert type(status.error) is error_type


async def test_unknown_tasks_and_cancel(provider: MusicProvider) -> None:
    for odd in ("0" * 32, "../record-info?taskId=x"):
        status = await provider.poll(ProviderJob("music", odd))
        assert isinstance(status.error, errors.ProviderUnavailable)
        await provider.cancel(ProviderJob("music", odd))


async def _arrived(receiver: CallbackReceiver, count: int) -> bool:
    return len(receiver.deliveries) >= count


async def test_a_signed_callback_is_accepted_as_the_tasks_status(
    fake: MusicFake, receiver: CallbackReceiver, provider: MusicProvider
) -> None:
    job = await provider.submit(SONG, {"prompt": "a song"})
    await eventually(lambda: _arrived(receiver, 3), what="three callbacks")
    updates = [provider.parse_webhook(d.headers, d.body) for d in receiver.deliveries]
    assert {u.job_id for u in updates} == {job.job_id}
    assert [u.status.progress for u in updates] == [40, 70, 100]
    assert len(updates[-1].status.outputs) == 2


async def test_an_error_callback_is_a_failure(
    fake: MusicFake, receiver: CallbackReceiver, provider: MusicProvider
) -> None:
    await provider.submit(SONG, {"prompt": "[fake:sensitive]"})
    await eventually(lambda: _arrived(receiver, 1), what="a callback")
    update = provider.parse_webhook(receiver.deliveries[0].headers, receiver.deliveries[0].body)
    assert update.status.state is JobState.FAILED


async def test_forged_stale_or_unsigned_callbacks_are_rejected(
    fake: MusicFake, receiver: CallbackReceiver, provider: MusicProvider
) -> None:
    await provider.submit(SONG, {"prompt": "a song [fake:bad-signature]"})
    await provider.submit(SONG, {"prompt": "a good song"})
    await eventually(lambda: _arrived(receiver, 6), what="six callbacks")
    forged = next(d for d in receiver.deliveries if not _genuine(fake, d))
    genuine = next(d for d in receiver.deliveries if _genuine(fake, d) and b'"complete"' in d.body)
    with pytest.raises(errors.WebhookRejected, match="signature"):
        provider.parse_webhook(forged.headers, forged.body)
    old = str(int(time.time()) - 301)
    resigned = {
        "x-webhook-timestamp": old,
        "x-webhook-signature": fake.signature(_task(genuine), old),
    }
    stale = genuine.headers | resigned
    with pytest.raises(errors.WebhookRejected, match="tolerance"):
        provider.parse_webhook(stale, genuine.body)
    unsigned = {k: v for k, v in genuine.headers.items() if k != "x-webhook-signature"}
    with pytest.raises(errors.WebhookRejected):
        provider.parse_webhook(unsigned, genuine.body)
    for body in (b"not json", b'{"data": []}', b"{" * 300_000):
        with pytest.raises(errors.WebhookRejected):
            provider.parse_webhook(genuine.headers, body)
    assert provider.parse_webhook(genuine.headers, genuine.body).status.state is JobState.SUCCEEDED


def _genuine(fake: MusicFake, delivery: Delivery) -> bool:
    timestamp = delivery.headers["x-webhook-timestamp"]
    return delivery.headers["x-webhook-signature"] == fake.signature(_task(delivery), timestamp)


def _task(delivery: Delivery) -> str:
    task_id: str = json.loads(delivery.body)["data"]["task_id"]
    return task_id


def test_a_webhook_url_is_required() -> None:
    with pytest.raises(ValueError, match="webhook URL"):
        MusicProvider(RemoteProviderConfig("music", "http://x", "k"), httpx.AsyncClient())


async def test_body_codes_also_work_when_mirrored_in_the_http_status(
    fake: MusicFake, provider: MusicProvider
) -> None:
    fake.http_status_mirrors_code = True
    with pytest.raises(errors.ProviderQuotaExceeded):
        await provider.submit(SONG, {"prompt": "[fake:credits]"})
