"""MP4 files from Pillow frames, encoded by the ffmpeg binary that imageio-ffmpeg ships.

Frames are drawn one at a time (in a worker thread) and piped in raw, so memory holds one frame
whatever the length; the encoder is killed if the job is canceled mid-way.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg  # type: ignore[import-untyped]
from PIL import Image

from atelier_generation.providers.errors import InvalidInput, ProviderUnavailable

FPS = 8
# Two encoder threads: the machines this runs on have two cores shared with everything else.
_ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "2"]
DrawFrame = Callable[[int], Image.Image]


def ffmpeg() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def check_audio(path: Path, field: str) -> None:
    """Refuses (user fault) an input that ffmpeg cannot decode as audio."""
    command = [ffmpeg(), "-v", "error", "-nostdin", "-i", str(path), "-vn", "-f", "null", "-"]
    if await _run(command) != 0:
        raise InvalidInput(f"{field}: not a playable audio file", provider="local")


async def write_mp4(
    out: Path,
    size: tuple[int, int],
    seconds: float,
    draw: DrawFrame,
    *,
    audio: Path | None = None,
) -> None:
    """`seconds` of video whose frame i is `draw(i)`; `audio`, if given, is cut or padded to fit."""
    width, height = size
    command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}"]
    command += ["-framerate", str(FPS), "-i", "pipe:0"]
    if audio is not None:
        command += ["-i", str(audio), "-map", "0:v", "-map", "1:a"]
        command += ["-c:a", "aac", "-b:a", "96k", "-af", "apad"]
    command += [*_ENCODE, "-movflags", "+faststart", "-t", f"{seconds:g}", str(out)]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _feed(process, math.ceil(seconds * FPS), draw)
        _, errors = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise ProviderUnavailable(
            f"ffmpeg failed: {errors.decode(errors='replace')[-300:].strip()}", provider="local"
        )


async def _feed(process: asyncio.subprocess.Process, frames: int, draw: DrawFrame) -> None:
    assert process.stdin is not None
    try:
        for index in range(frames):
            frame = await asyncio.to_thread(draw, index)
            process.stdin.write(frame.convert("RGB").tobytes())
            await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # ffmpeg stopped early; its exit status and message say why
    finally:
        process.stdin.close()


async def _run(command: list[str]) -> int:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        return await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
