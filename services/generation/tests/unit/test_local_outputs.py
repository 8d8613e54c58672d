"""What the local provider draws and plays: deterministic for an input, sized by its params."""

from __future__ import annotations

import hashlib
import io
import wave

import pytest
from PIL import Image

from atelier_generation.providers.errors import InvalidInput
from atelier_generation.providers.local import music, pictures
from atelier_generation.providers.local.faults import InjectedFault, injected_fault

PNG = b"\x89PNG\r\n\x1a\n"


def png_digest(prompt: str, seed: int, size: pictures.Size = (256, 256)) -> str:
    data = pictures.png(pictures.prompt_picture(prompt, seed, size))
    assert data.startswith(PNG)
    return hashlib.sha256(data).hexdigest()


def test_the_same_prompt_and_seed_draw_the_same_png() -> None:
    assert png_digest("a red fox in snow", 7) == png_digest("a red fox in snow", 7)


def test_another_seed_or_prompt_draws_another_png() -> None:
    first = png_digest("a red fox in snow", 7)

    assert png_digest("a red fox in snow", 8) != first
    assert png_digest("a grey wolf in snow", 7) != first


@pytest.mark.parametrize(
    ("aspect_ratio", "resolution", "size"),
    [
        ("1:1", "1K", (1024, 1024)),
        ("16:9", "1K", (1024, 576)),
        ("9:16", "2K", (1152, 2048)),
        ("16:9", "480p", (854, 480)),
        ("9:16", "720p", (720, 1280)),
        ("odd", "huge", (1024, 1024)),
    ],
)
def test_the_size_follows_aspect_ratio_and_resolution(
    aspect_ratio: str, resolution: str, size: tuple[int, int]
) -> None:
    assert pictures.frame_size(aspect_ratio, resolution) == size


def test_a_song_is_a_wav_of_the_asked_length_and_the_same_for_the_same_input() -> None:
    data = music.song("calm piano", 3, vocal=True)

    with wave.open(io.BytesIO(data)) as song:
        assert song.getnframes() / song.getframerate() == pytest.approx(3, abs=0.01)
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    assert data == music.song("calm piano", 3, vocal=True)
    assert data != music.song("loud drums", 3, vocal=True)


@pytest.mark.parametrize(
    ("params", "fault"),
    [
        ({"prompt": "a fox [fail:policy]"}, InjectedFault.POLICY),
        ({"prompt": "a fox", "style": "rock [fail:provider]"}, InjectedFault.PROVIDER),
        ({"tags": ["x", "[fail:rate-limit]"]}, InjectedFault.RATE_LIMIT),
        ({"prompt": "[fail:nonsense] [fail:timeout]"}, InjectedFault.TIMEOUT),
        ({"prompt": "a fox", "seed": 3}, None),
    ],
)
def test_a_failure_is_injected_by_a_marker_in_any_text_param(
    params: dict[str, object], fault: InjectedFault | None
) -> None:
    assert injected_fault(params) == fault


def test_an_input_image_too_large_is_refused_before_it_is_decoded() -> None:
    wide = pictures.png(Image.new("L", (pictures.MAX_SIDE + 1, 1)))

    with pytest.raises(InvalidInput, match="larger than 4096 pixels"):
        pictures.decoded(wide, "image_url")


def test_bytes_that_are_no_image_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not a readable image"):
        pictures.decoded(b"RIFF....WAVEfmt ", "image_url")
