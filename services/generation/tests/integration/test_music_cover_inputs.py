"""The music adapter's cover mode: `audio_url` goes to upload-cover as `uploadUrl`, which the
provider (the fake) reads itself; a URL it could never read is refused before anything is
sent, and one it fails to read or finds too large is the user's invalid input."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from services.generation.tests.inline_support import FAST_POLLS, Progress, inline_outputs, model

from atelier_generation.providers import errors
from atelier_generation.providers.completion import call_and_wait_for_completion
from atelier_generation.providers.inline_outputs import InlineOutputs
from atelier_generation.providers.music.provider import MusicProvider
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_testing.provider_fakes.common_inline import CallbackReceiver, serving
from atelier_testing.provider_fakes.common_inline_media import wav_bytes
from atelier_testing.provider_fakes.music import MusicFake

SONG = model("music", "V4_5", kind="audio", content_type="audio/wav", max_duration_s=60)


@pytest.fixture
def fake() -> Iterator[MusicFake]:
    with serving(MusicFake()) as running:
        yield running


@contextlib.asynccontextmanager
async def adapter(
    fake: MusicFake, folder: Path
) -> AsyncIterator[tuple[MusicProvider, InlineOutputs]]:
    with serving(CallbackReceiver()) as receiver:
        config = RemoteProviderConfig(
            "music", fake.base_url, fake.api_key, webhook_url=receiver.url,
            webhook_secret=fake.webhook_hmac_key,
        )  # fmt: skip
        async with httpx.AsyncClient(trust_env=False) as http, inline_outputs(folder) as files:
            yield MusicProvider(config, http), files


async def test_a_cover_sends_the_song_url_and_the_provider_reads_it_exactly(
    fake: MusicFake, tmp_path: Path
) -> None:
    song = wav_bytes(0.2, 220.0)
    async with adapter(fake, tmp_path) as (provider, files):
        url = (await files.publish(song, "audio/wav")).url
        params = {"audio_url": url, "style": "bossa nova", "title": "Again"}
        done = await call_and_wait_for_completion(
            provider, SONG, params, Progress(), schedule=FAST_POLLS
        )
    assert len(done.outputs) == 2
    ((task_id, read_from, read),) = fake.uploads
    assert (read_from, read) == (url, song)
    sent = fake.tasks[task_id].param
    assert sent["uploadUrl"] == url
    assert (sent["customMode"], sent["style"], sent["title"]) == (True, "bossa nova", "Again")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "https://user:pw@songs.example/a.mp3", "gopher://x/a", "", 7],
)
async def test_a_url_the_provider_could_never_read_is_refused_before_sending(
    fake: MusicFake, tmp_path: Path, url: object
) -> None:
    async with adapter(fake, tmp_path) as (provider, _):
        with pytest.raises(errors.InvalidInput) as refused:
            await provider.submit(SONG, {"audio_url": url, "style": "jazz"})
    assert refused.value.message == "audio_url: must be an http(s) URL"
    assert not fake.submits


async def test_a_song_the_provider_cannot_fetch_or_finds_too_large_is_the_users_fault(
    fake: MusicFake, tmp_path: Path
) -> None:
    fake.max_upload_bytes = 1024
    async with adapter(fake, tmp_path) as (provider, files):
        large = (await files.publish(wav_bytes(1.0, 220.0), "audio/wav")).url
        with pytest.raises(errors.InvalidInput) as too_large:
            await provider.submit(SONG, {"audio_url": large, "style": "jazz"})
        with pytest.raises(errors.InvalidInput) as missing:
            await provider.submit(
                SONG, {"audio_url": f"{files.base_url}/nothing.wav", "style": "jazz"}
            )
    assert too_large.value.message.startswith("code 413")
    assert missing.value.message.startswith("code 400: File fetch failed")
    assert not fake.uploads
