"""The built-in local provider makes a real file of the right type for every tool, reports
staged progress, fails on demand with the right classification, and its URLs expire."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from services.generation.tests.local_support import (
    Progress,
    download,
    ffmpeg_reads,
    generate,
    local_provider,
)

from atelier_generation.providers.job import JobState
from atelier_generation.providers.local.provider import LocalProvider

PNG, MP4, WAV = "image/png", "video/mp4", "audio/wav"


def is_type(content_type: str, data: bytes) -> bool:
    if content_type == PNG:
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == MP4:
        return data[4:8] == b"ftyp"
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"


async def saved(local: LocalProvider, tool: str, params: dict[str, Any], folder: Path) -> Path:
    done = await generate(local, tool, params)
    assert len(done.outputs) == 1
    output = done.outputs[0]
    response = await download(output.url)
    assert response.status_code == 200
    assert response.headers["content-type"] == output.content_type
    assert is_type(output.content_type, response.content), f"{tool} made no {output.content_type}"
    path = folder / f"{tool}.{output.content_type.split('/')[1]}"
    path.write_bytes(response.content)
    return path


async def test_every_tool_makes_a_real_file_of_its_type(tmp_path: Path) -> None:
    async with local_provider() as local:
        image = await generate(
            local, "text-to-image", {"prompt": "a red fox", "aspect_ratio": "16:9"}
        )
        song = await generate(local, "music-inspiration", {"prompt": "calm", "duration": 5})
        image_url, song_url = image.outputs[0].url, song.outputs[0].url
        runs: dict[str, dict[str, Any]] = {
            "text-to-image": {"prompt": "a fox"},
            "image-to-image": {"prompt": "noir", "image_url": image_url},
            "upscale": {"image_url": image_url},
            "text-to-video": {"prompt": "waves", "duration": 2},
            "image-to-video": {"image_url": image_url, "duration": 2},
            "speech-to-video": {"image_url": image_url, "audio_url": song_url, "duration": 2},
            "music-inspiration": {"prompt": "calm", "duration": 5},
            "music-custom": {"style": "rock", "lyrics": "la la", "duration": 5},
            "music-lyrics": {"lyrics": "la la la", "duration": 5},
            "music-instrumental": {"prompt": "drums", "duration": 5},
            "music-cover": {"audio_url": song_url, "style": "jazz", "duration": 5},
        }
        files = {tool: await saved(local, tool, params, tmp_path) for tool, params in runs.items()}

    for tool in ("text-to-video", "image-to-video", "speech-to-video"):
        playable, streams = await ffmpeg_reads(files[tool])
        assert playable, f"{tool}: ffmpeg could not decode its MP4"
        assert "Video: h264" in streams
    assert "Audio: aac" in (await ffmpeg_reads(files["speech-to-video"]))[1]


async def test_sizes_follow_the_params(tmp_path: Path) -> None:
    async with local_provider() as local:
        image = await generate(local, "text-to-image", {"prompt": "a", "aspect_ratio": "16:9"})
        upscaled = await generate(
            local, "upscale", {"image_url": image.outputs[0].url, "scale": "2x"}
        )
        data = (await download(upscaled.outputs[0].url)).content

    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (2048, 1152)


async def test_the_same_prompt_and_seed_give_the_same_png() -> None:
    async with local_provider() as local:
        digests = [
            hashlib.sha256(
                (
                    await download((await generate(local, "text-to-image", params)).outputs[0].url)
                ).content
            ).hexdigest()
            for params in (
                {"prompt": "a fox", "seed": 3},
                {"prompt": "a fox", "seed": 3},
                {"prompt": "a fox", "seed": 4},
            )
        ]

    assert digests[0] == digests[1] != digests[2]


async def test_one_output_per_image_asked_for() -> None:
    async with local_provider() as local:
        done = await generate(local, "text-to-image", {"prompt": "a fox", "num_outputs": 3})

    assert len({output.url for output in done.outputs}) == 3


async def test_progress_moves_through_queued_and_running_steps_to_succeeded() -> None:
    progress = Progress()
    async with local_provider(latency_s=0.6) as local:
        await generate(local, "text-to-image", {"prompt": "a fox"}, progress)

    states = [status.state for status in progress.seen]
    steps = [status.progress for status in progress.seen]
    assert states[0] is JobState.QUEUED
    assert states[-1] is JobState.SUCCEEDED
    assert states.count(JobState.RUNNING) >= 3
    assert steps == sorted(steps)
    assert steps[-1] == 100
