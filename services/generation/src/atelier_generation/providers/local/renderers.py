"""The local provider's models, by provider_model id: each turns params into real files."""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import ImageOps

from atelier_generation.providers.local import music, pictures, video
from atelier_generation.providers.local.workshop import Workshop

RenderFn = Callable[[Mapping[str, Any], int, Workshop], Awaitable[list[Path]]]


@dataclass(frozen=True)
class Renderer:
    """One local model: what it makes and how."""

    content_type: str
    render: RenderFn


def _seed(params: Mapping[str, Any]) -> int:
    seed = params.get("seed", 0)
    return seed if isinstance(seed, int) else 0


def _size(params: Mapping[str, Any], aspect: str, resolution: str) -> pictures.Size:
    return pictures.frame_size(
        str(params.get("aspect_ratio", aspect)), str(params.get("resolution", resolution))
    )


def _seconds(params: Mapping[str, Any], default: float) -> float:
    value = params.get("duration", default)
    return float(value) if isinstance(value, int | float) and 0 < value <= 600 else default


async def _image(params: Mapping[str, Any], count: int, shop: Workshop) -> list[Path]:
    prompt, size = str(params.get("prompt", "")), _size(params, "1:1", "1K")
    return [
        await shop.save_png(
            await asyncio.to_thread(pictures.prompt_picture, prompt, _seed(params) + i, size)
        )
        for i in range(count)
    ]


async def _image_to_image(params: Mapping[str, Any], count: int, shop: Workshop) -> list[Path]:
    source = await shop.fetch_image(params)
    strength = float(params.get("strength", 0.6))
    prompt = str(params.get("prompt", ""))
    picture = await asyncio.to_thread(pictures.restyled, source, prompt, strength, _seed(params))
    return [await shop.save_png(picture)]


async def _upscale(params: Mapping[str, Any], count: int, shop: Workshop) -> list[Path]:
    source = await shop.fetch_image(params)
    factor = int(str(params.get("scale", "2x")).rstrip("x") or 2)
    return [await shop.save_png(await asyncio.to_thread(pictures.upscaled, source, factor))]


async def _video(params: Mapping[str, Any], count: int, shop: Workshop) -> list[Path]:
    prompt, seed, size = str(params.get("prompt", "")), _seed(params), _size(params, "16:9", "480p")
    seconds = _seconds(params, 5)
    frames = math.ceil(seconds * video.FPS)
    out = shop.new_path(".mp4")
    await video.write_mp4(
        out, size, seconds, lambda i: pictures.prompt_picture(prompt, seed, size, i / frames)
    )
    return [out]


async def _image_to_video(params: Mapping[str, Any], count: int, shop: Workshop) -> list[Path]:
    source, size = await shop.fetch_image(params), _size(params, "16:9", "480p")
    seconds = _seconds(params, 5)
    frames = math.ceil(seconds * video.FPS)
    out = shop.new_path(".mp4")
    await video.write_mp4(out, size, seconds, lambda i: pictures.zoomed(source, size, i / frames))
    return [out]


async def _speech_to_video(params: Mapping[str, Any], count: int, shop: Workshop) -> list[Path]:
    size = _size(params, "1:1", "480p")
    portrait = ImageOps.fit(await shop.fetch_image(params), size)
    speech = await shop.save(await shop.fetch(params, "audio_url"), ".audio")
    await video.check_audio(speech, "audio_url")
    rng = random.Random(_seed(params))
    openness = [rng.random() for _ in range(64)]
    out = shop.new_path(".mp4")
    await video.write_mp4(
        out,
        size,
        _seconds(params, 10),
        lambda i: pictures.speaking(portrait, openness[i % len(openness)]),
        audio=speech,
    )
    return [out]


async def _music(params: Mapping[str, Any], count: int, shop: Workshop) -> list[Path]:
    # Every text of the input shapes the tune; a cover's own audio does too.
    texts = [f"{key}={value}" for key, value in sorted(params.items()) if key != "audio_url"]
    if "audio_url" in params:
        data = await shop.fetch(params, "audio_url")
        await video.check_audio(await shop.save(data, ".audio"), "audio_url")
        texts.append(hashlib.sha256(data).hexdigest())
    vocal = not params.get("instrumental", False)
    seconds = _seconds(params, 30)
    return [
        await shop.save(
            await asyncio.to_thread(music.song, f"{'|'.join(texts)}#{i}", seconds, vocal=vocal),
            ".wav",
        )
        for i in range(count)
    ]


RENDERERS: Mapping[str, Renderer] = {
    "image": Renderer("image/png", _image),
    "image-to-image": Renderer("image/png", _image_to_image),
    "upscale": Renderer("image/png", _upscale),
    "video": Renderer("video/mp4", _video),
    "image-to-video": Renderer("video/mp4", _image_to_video),
    "speech-to-video": Renderer("video/mp4", _speech_to_video),
    "music": Renderer("audio/wav", _music),
}
