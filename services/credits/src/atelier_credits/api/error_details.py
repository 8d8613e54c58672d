"""Typed gRPC error details for the ledger's business errors, by their stable reason."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from google.protobuf.message import Message

from atelier.credits.v1 import credits_pb2
from atelier_runtime.errors import AtelierError


def _insufficient(error: AtelierError, account_id: str) -> Message:
    return credits_pb2.InsufficientCredits(
        account_id=account_id,
        available=int(error.metadata["available"]),
        requested=int(error.metadata["requested"]),
    )


def _conflict(error: AtelierError, account_id: str) -> Message:
    original = {
        k.removeprefix("original_"): v
        for k, v in error.metadata.items()
        if k.startswith("original_")
    }
    return credits_pb2.IdempotencyConflict(
        operation=error.metadata["operation"],
        id=error.metadata["id"],
        existing=", ".join(f"{key}={value}" for key, value in sorted(original.items())),
    )


def _resolved(error: AtelierError, account_id: str) -> Message:
    return credits_pb2.FreezeAlreadyResolved(
        freeze_id=error.metadata["freeze_id"],
        resolution=error.metadata["resolution"],
        reason=error.metadata.get("reason", ""),
    )


_DETAILS: dict[str, Callable[[AtelierError, str], Message]] = {
    "INSUFFICIENT_CREDITS": _insufficient,
    "IDEMPOTENCY_CONFLICT": _conflict,
    "FREEZE_ALREADY_RESOLVED": _resolved,
}


def with_details(error: AtelierError, account_id: str) -> AtelierError:
    """Adds the proto detail a client can act on (the error interceptor packs it)."""
    build = _DETAILS.get(error.reason)
    if build is not None:
        error.details = (*error.details, build(error, account_id))
    return error


@asynccontextmanager
async def details_for(account_id: str) -> AsyncIterator[None]:
    """Wraps a use-case call so its business errors leave with their typed details."""
    try:
        yield
    except AtelierError as error:
        raise with_details(error, account_id) from None
