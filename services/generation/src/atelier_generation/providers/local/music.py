"""Songs the local provider synthesises: a melody chosen by its input, as a 16-bit mono WAV.

Pure Python and the stdlib `wave` module: each distinct note is synthesised once and repeated,
so two minutes of audio cost a few milliseconds of arithmetic, not millions of sin() calls.
"""

from __future__ import annotations

import array
import io
import math
import random
import sys
import wave

SAMPLE_RATE = 22_050
# A major pentatonic scale over two octaves: any sequence of its notes sounds agreeable.
_STEPS = (0, 2, 4, 7, 9, 12, 14, 16, 19, 21)


def song(seed_text: str, seconds: float, *, vocal: bool) -> bytes:
    """`seconds` of melody as WAV bytes; the same `seed_text` gives the same song."""
    rng = random.Random(seed_text)
    root = rng.randint(52, 64)  # MIDI note of the key
    beat = 60 / rng.randint(84, 132)  # seconds per beat
    timbre = (1.0, 0.35, 0.2) if vocal else (1.0, 0.1, 0.45)
    notes: dict[tuple[int, int], array.array[int]] = {}
    samples: array.array[int] = array.array("h")
    total = int(seconds * SAMPLE_RATE)
    step = rng.randrange(len(_STEPS))
    while len(samples) < total:
        step = max(0, min(len(_STEPS) - 1, step + rng.choice((-2, -1, -1, 0, 1, 1, 2))))
        length = int(beat * rng.choice((0.5, 1, 1, 2)) * SAMPLE_RATE)
        key = (root + _STEPS[step], length)
        if key not in notes:
            notes[key] = _note(_frequency(key[0]), length, timbre)
        samples.extend(notes[key])
    del samples[total:]
    return _wav(samples)


def _frequency(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _note(frequency: float, length: int, timbre: tuple[float, float, float]) -> array.array[int]:
    """One note: fundamental, octave and twelfth, with a short attack and a fading tail."""
    base, octave, twelfth = timbre
    attack, scale = max(1, length // 20), 9000 / (base + octave + twelfth)
    out = array.array("h", bytes(2 * length))
    for i in range(length):
        t = 2 * math.pi * frequency * i / SAMPLE_RATE
        envelope = min(1.0, i / attack) * (1 - i / length) ** 0.6
        wave_ = base * math.sin(t) + octave * math.sin(2 * t) + twelfth * math.sin(3 * t)
        out[i] = int(scale * envelope * wave_)
    return out


def _wav(samples: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        samples.byteswap()  # WAV samples are little-endian
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(samples.tobytes())
    return out.getvalue()
