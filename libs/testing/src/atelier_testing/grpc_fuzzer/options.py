"""What a caller tunes: baselines, limits, and which hostile cases the service must refuse."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from google.protobuf.message import Message

from atelier_testing.grpc_fuzzer.values import Trait

# gRPC's default max receive size; requests above the server's limit are refused by gRPC itself.
DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024

Baseline = Message | Callable[[], Message | Awaitable[Message]]


@dataclass(frozen=True)
class Case:
    """One hostile request, as a caller's must-refuse rule sees it."""

    method: str
    field: str
    value: str
    trait: Trait


@dataclass(frozen=True)
class FuzzSettings:
    """The knobs of one run, fixed before it starts."""

    deadline_s: float
    seed: int
    max_request_bytes: int
    must_refuse: Callable[[Case], bool] | None
    # Sent with every call, e.g. a credential, so guarded methods are fuzzed past their guard.
    metadata: tuple[tuple[str, str], ...] = ()
