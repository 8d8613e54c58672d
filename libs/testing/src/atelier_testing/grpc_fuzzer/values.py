"""The hostile values the fuzzer sends, by field type; each is labelled so a finding reads plainly."""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1

# 100 KB is far above any sane id or text limit; 1.2 MB is above gRPC's 1 MB-ish proxies and
# buffers yet still below the 4 MB a server receives by default.
LONG_CHARS = 100_000
HUGE_CHARS = 1_200_000
MANY_SCALARS = 10_000
MANY_MESSAGES = 1_000


class Trait(enum.StrEnum):
    """What makes a value hostile; callers' must-refuse rules match on it."""

    EMPTY = "empty"
    NUL = "nul"
    CONTROL = "control"
    UNICODE = "unicode"
    LONG = "long"
    RANDOM_BYTES = "random-bytes"
    EXTREME_NUMBER = "extreme-number"
    ZERO = "zero"
    NEGATIVE = "negative"
    NOT_FINITE = "not-finite"
    UNKNOWN_ENUM = "unknown-enum"
    TIME_OUT_OF_RANGE = "time-out-of-range"
    TIME_BEFORE_1970 = "time-before-1970"
    NANOS_OUT_OF_RANGE = "nanos-out-of-range"
    DURATION_OUT_OF_RANGE = "duration-out-of-range"
    DURATION_NOT_POSITIVE = "duration-not-positive"
    MANY_ELEMENTS = "many-elements"
    EMPTY_REQUEST = "empty-request"
    BASELINE = "baseline"


@dataclass(frozen=True)
class Hostile:
    """One value to try: `make()` builds it lazily, so megabyte strings exist only while sent."""

    label: str
    trait: Trait
    make: Callable[[], Any]


def _fixed(label: str, trait: Trait, value: Any) -> Hostile:
    return Hostile(label, trait, lambda: value)


def hostile_strings() -> list[Hostile]:
    # Control characters sit between ordinary characters so the value is otherwise a valid id.
    return [
        _fixed("empty string", Trait.EMPTY, ""),
        _fixed("NUL byte ('x\\x00x')", Trait.NUL, "x\x00x"),
        _fixed("control char \\x01", Trait.CONTROL, "x\x01x"),
        _fixed("escape \\x1b[31m", Trait.CONTROL, "x\x1b[31mx"),
        _fixed("DEL \\x7f", Trait.CONTROL, "x\x7fx"),
        _fixed("newline", Trait.CONTROL, "x\nx"),
        _fixed("RTL override and emoji", Trait.UNICODE, "x\u202ex\U0001f3a8\u0301"),
        Hostile(f"{LONG_CHARS // 1000} KB string", Trait.LONG, lambda: "x" * LONG_CHARS),
        Hostile(f"{HUGE_CHARS / 1e6:.1f} MB string", Trait.LONG, lambda: "x" * HUGE_CHARS),
    ]


def hostile_bytes(seed: str) -> list[Hostile]:
    def noise(size: int) -> Callable[[], bytes]:
        return lambda: random.Random(f"{seed}:{size}").randbytes(size)

    return [
        _fixed("empty bytes", Trait.EMPTY, b""),
        Hostile("1 KB random bytes", Trait.RANDOM_BYTES, noise(1_000)),
        Hostile(f"{LONG_CHARS // 1000} KB random bytes", Trait.LONG, noise(LONG_CHARS)),
        Hostile(f"{HUGE_CHARS / 1e6:.1f} MB random bytes", Trait.LONG, noise(HUGE_CHARS)),
    ]


def _signed(name: str, low: int, high: int) -> list[Hostile]:
    return [
        _fixed(f"{name} min ({low})", Trait.EXTREME_NUMBER, low),
        _fixed(f"{name} max ({high})", Trait.EXTREME_NUMBER, high),
        _fixed("0", Trait.ZERO, 0),
        _fixed("-1", Trait.NEGATIVE, -1),
    ]


def _unsigned(name: str, high: int) -> list[Hostile]:
    return [_fixed(f"{name} max ({high})", Trait.EXTREME_NUMBER, high), _fixed("0", Trait.ZERO, 0)]


def _floats() -> list[Hostile]:
    return [
        _fixed("NaN", Trait.NOT_FINITE, math.nan),
        _fixed("+infinity", Trait.NOT_FINITE, math.inf),
        _fixed("-infinity", Trait.NOT_FINITE, -math.inf),
        _fixed("-1e308", Trait.EXTREME_NUMBER, -1e308),
        _fixed("0", Trait.ZERO, 0.0),
    ]


def hostile_enums() -> list[Hostile]:
    # proto3 enums are open: unknown numbers reach the server as they are.
    return [
        _fixed("unknown enum 999", Trait.UNKNOWN_ENUM, 999),
        _fixed("unknown enum -5", Trait.UNKNOWN_ENUM, -5),
        _fixed("enum 0 (unspecified)", Trait.ZERO, 0),
    ]


_T = FieldDescriptor
_NUMBERS: Mapping[int, Callable[[], list[Hostile]]] = {
    _T.TYPE_INT32: lambda: _signed("int32", *INT32),
    _T.TYPE_SINT32: lambda: _signed("int32", *INT32),
    _T.TYPE_SFIXED32: lambda: _signed("int32", *INT32),
    _T.TYPE_INT64: lambda: _signed("int64", *INT64),
    _T.TYPE_SINT64: lambda: _signed("int64", *INT64),
    _T.TYPE_SFIXED64: lambda: _signed("int64", *INT64),
    _T.TYPE_UINT32: lambda: _unsigned("uint32", UINT32_MAX),
    _T.TYPE_FIXED32: lambda: _unsigned("uint32", UINT32_MAX),
    _T.TYPE_UINT64: lambda: _unsigned("uint64", UINT64_MAX),
    _T.TYPE_FIXED64: lambda: _unsigned("uint64", UINT64_MAX),
    _T.TYPE_DOUBLE: _floats,
    _T.TYPE_FLOAT: _floats,
}


def hostile_scalars(field: FieldDescriptor, seed: str) -> list[Hostile]:
    """Hostile values for one non-message field; bools have none worth sending."""
    if field.type == _T.TYPE_STRING:
        return hostile_strings()
    if field.type == _T.TYPE_BYTES:
        return hostile_bytes(seed)
    if field.type == _T.TYPE_ENUM:
        return hostile_enums()
    number = _NUMBERS.get(field.type)
    return number() if number is not None else []
