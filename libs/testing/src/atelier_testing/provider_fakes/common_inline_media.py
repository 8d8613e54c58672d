"""Small but real media files for the fakes' outputs: PNG, JPEG, WebP, WAV and MP4."""

from __future__ import annotations

import functools
import io
import math
import struct
import subprocess
import tempfile
import wave
from pathlib import Path

from PIL import Image

_IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def image_bytes(width: int = 64, height: int = 64, fmt: str = "png", seed: int = 0) -> bytes:
    """A gradient picture (the seed shifts its colours) in `fmt`: png, jpeg or webp."""
    picture = Image.new("RGB", (width, height))
    picture.putdata(
        [
            ((x * 4 + seed) % 256, (y * 4) % 256, (seed * 37) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    out = io.BytesIO()
    picture.save(out, format=_IMAGE_FORMATS[fmt])
    return out.getvalue()


def wav_bytes(seconds: float = 1.0, hz: float = 440.0, rate: int = 8000) -> bytes:
    """A mono 16-bit sine tone."""
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * n / rate)))
        for n in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


@functools.cache
def mp4_bytes() -> bytes:
    """A one-second 64x64 H.264 clip, made once per process with the ffmpeg that ships in a wheel."""
    import imageio_ffmpeg  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "clip.mp4"
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi",
            "-i", "testsrc=size=64x64:rate=8:duration=1", "-pix_fmt", "yuv420p",
            "-c:v", "libx264", "-movflags", "+faststart", str(target),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        return target.read_bytes()
