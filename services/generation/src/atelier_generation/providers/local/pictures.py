"""Pictures the local provider draws with Pillow: deterministic for a prompt and a seed.

Nothing here reads the clock or global randomness, so the same input gives the same bytes and
tests can compare hashes.
"""

from __future__ import annotations

import io
import math
import random
import re
import textwrap

from PIL import Image, ImageDraw, ImageFont, ImageOps

from atelier_generation.providers.errors import InvalidInput

# The largest image read or written: 4096 x 4096, far below Pillow's decompression-bomb limit.
MAX_SIDE = 4096
Size = tuple[int, int]


def frame_size(aspect_ratio: str, resolution: str) -> Size:
    """Pixels for "16:9" at "720p" (short side 720) or "1K" (long side 1024); even numbers,
    as H.264 requires."""
    ratio = _ratio(aspect_ratio)
    if match := re.fullmatch(r"(\d+)p", resolution):
        short = int(match.group(1))
        size = (short * ratio, short) if ratio >= 1 else (short, short / ratio)
    else:
        match = re.fullmatch(r"(\d+)K", resolution)
        long = 1024 * int(match.group(1)) if match else 1024
        size = (long, long / ratio) if ratio >= 1 else (long * ratio, long)
    width, height = (min(MAX_SIDE, 2 * round(side / 2)) for side in size)
    return width, height


def prompt_picture(prompt: str, seed: int, size: Size, phase: float = 0.0) -> Image.Image:
    """A gradient, shapes placed by the prompt and seed, and the prompt written across the foot.
    `phase` (0 to 1) drifts the shapes, for video frames."""
    rng = random.Random(f"{seed}:{prompt}")
    # Coloured small, then enlarged: a linear gradient stays one under bilinear scaling, and
    # colouring a megapixel picture cost as much as the rest of the drawing.
    picture = ImageOps.colorize(
        Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize((64, 64)),
        _colour(rng),
        _colour(rng),
    ).resize(size, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    width, height = size
    for _ in range(rng.randint(5, 9)):
        radius = rng.uniform(0.05, 0.2) * min(size)
        angle = rng.uniform(0, 2 * math.pi)
        x = (rng.uniform(0, 1) + 0.3 * phase * math.cos(angle)) % 1 * width
        y = (rng.uniform(0, 1) + 0.3 * phase * math.sin(angle)) % 1 * height
        box = (x - radius, y - radius, x + radius, y + radius)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=_colour(rng), outline=(255, 255, 255), width=2)
        else:
            draw.rectangle(box, fill=_colour(rng))
    caption(picture, prompt)
    return picture


def caption(picture: Image.Image, text: str) -> None:
    """Writes `text` (its first lines) on a dark band across the foot of the picture."""
    if not text.strip():
        return
    width, height = picture.size
    font_px = max(12, height // 24)
    lines = textwrap.wrap(" ".join(text.split()), width=max(10, int(width / (font_px * 0.55))))
    lines = lines[:3]
    band = int(font_px * 1.3 * len(lines) + font_px)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, height - band, width, height), fill=(20, 20, 24))
    font = ImageFont.load_default(size=font_px)
    for index, line in enumerate(lines):
        y = height - band + font_px // 2 + index * font_px * 1.3
        draw.text((font_px // 2, y), line, fill=(240, 240, 240), font=font)


def restyled(picture: Image.Image, prompt: str, strength: float, seed: int) -> Image.Image:
    """The input recoloured toward the prompt's palette; `strength` 0 keeps it, 1 replaces it."""
    rng = random.Random(f"{seed}:{prompt}")
    source = picture.convert("RGB")
    toned = ImageOps.colorize(
        ImageOps.grayscale(ImageOps.posterize(source, 3)), _colour(rng), _colour(rng)
    )
    result = Image.blend(source, toned, max(0.0, min(1.0, strength)))
    caption(result, prompt)
    return result


def upscaled(picture: Image.Image, factor: int) -> Image.Image:
    width, height = picture.size
    if max(width, height) * factor > MAX_SIDE:
        raise InvalidInput(
            f"image_url: {width}x{height} upscaled {factor}x exceeds {MAX_SIDE} pixels a side",
            provider="local",
        )
    return picture.convert("RGB").resize(
        (width * factor, height * factor), Image.Resampling.LANCZOS
    )


def zoomed(picture: Image.Image, size: Size, progress: float) -> Image.Image:
    """The picture filling `size`, zoomed in by up to a fifth as `progress` goes 0 to 1."""
    filled = ImageOps.fit(picture.convert("RGB"), size)
    width, height = size
    keep = 1 - 0.2 * progress
    left, top = width * (1 - keep) / 2, height * (1 - keep) / 2
    return filled.crop((left, top, left + width * keep, top + height * keep)).resize(size)


def speaking(portrait: Image.Image, openness: float) -> Image.Image:
    """The portrait with a mouth drawn at its lower middle, open by `openness` (0 to 1)."""
    frame = portrait.copy()
    width, height = frame.size
    mouth_w, mouth_h = width * 0.12, height * (0.01 + 0.06 * openness)
    centre = (width / 2, height * 0.68)
    box = (centre[0] - mouth_w, centre[1] - mouth_h, centre[0] + mouth_w, centre[1] + mouth_h)
    ImageDraw.Draw(frame).ellipse(box, fill=(90, 20, 30), outline=(250, 250, 250), width=2)
    return frame


def decoded(data: bytes, field: str) -> Image.Image:
    """An input image, refused (user fault) if it is not one or is larger than MAX_SIDE a side.

    The size is checked from the header, before the pixels are decoded into memory."""
    try:
        picture = Image.open(io.BytesIO(data))
        if max(picture.size) > MAX_SIDE:
            raise InvalidInput(f"{field}: larger than {MAX_SIDE} pixels a side", provider="local")
        picture.load()
    except InvalidInput:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput(f"{field}: not a readable image", provider="local") from None
    return picture.convert("RGB")


def png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    # zlib's fastest level: encoding at the default level was most of the service's CPU per
    # image (a megapixel gradient), for files only a little smaller.
    picture.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _ratio(aspect_ratio: str) -> float:
    """ "16:9" as 16/9; anything else (a custom catalogue's own wording) as square."""
    width, _, height = aspect_ratio.partition(":")
    try:
        ratio = float(width) / float(height)
    except (ValueError, ZeroDivisionError):
        return 1.0
    return ratio if 0.1 <= ratio <= 10 else 1.0


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
