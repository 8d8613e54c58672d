"""The credits domain's typed failures; plain metadata only, the api layer adds proto details."""

from __future__ import annotations

from collections.abc import Mapping

from atelier_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound


class InvalidAmount(InvalidArgument):
    """An amount that is not a positive whole number of credits."""

    def __init__(self, field: str, shown: str) -> None:
        # `shown` is the value as the inputs module quotes it: cut short, never the whole input.
        super().__init__(
            f"{field} must be a positive integer within limits, got {shown}",
            reason="INVALID_AMOUNT",
            metadata={"field": field},
        )


class InvalidValue(InvalidArgument):
    """Other malformed input: an empty id, a naive time, a non-positive ttl, an unknown reason."""

    def __init__(self, field: str, problem: str, *, reason: str) -> None:
        super().__init__(f"{field}: {problem}", reason=reason, metadata={"field": field})


class ConfirmExceedsFrozen(InvalidArgument):
    """A confirmation asking for more credits than its freeze holds."""

    def __init__(self, freeze_id: str, *, requested: int, frozen: int) -> None:
        super().__init__(
            f"cannot confirm {requested} credits of freeze {freeze_id!r}: only {frozen} frozen",
            reason="CONFIRM_EXCEEDS_FROZEN",
            metadata={"freeze_id": freeze_id, "requested": str(requested), "frozen": str(frozen)},
        )


class InsufficientCredits(FailedPrecondition):
    """A freeze asking for more than is available."""

    def __init__(self, *, requested: int, available: int) -> None:
        super().__init__(
            f"cannot freeze {requested} credits: only {available} available",
            reason="INSUFFICIENT_CREDITS",
            metadata={"requested": str(requested), "available": str(available)},
        )


class FreezeAlreadyResolved(FailedPrecondition):
    """A confirm after a rollback, or a rollback after a confirm: a freeze resolves once."""

    def __init__(self, freeze_id: str, *, resolution: str, reason: str) -> None:
        super().__init__(
            f"freeze {freeze_id!r} is already {resolution}" + (f" ({reason})" if reason else ""),
            reason="FREEZE_ALREADY_RESOLVED",
            metadata={"freeze_id": freeze_id, "resolution": resolution, "reason": reason},
        )


class FreezeNotFound(NotFound):
    """A confirm or rollback naming a freeze this account never recorded."""

    def __init__(self, freeze_id: str) -> None:
        super().__init__(
            f"no freeze {freeze_id!r} on this account",
            reason="FREEZE_NOT_FOUND",
            metadata={"freeze_id": freeze_id},
        )


class IdempotencyConflict(AlreadyExists):
    """An operation id reused with different arguments; metadata describes the original call."""

    def __init__(self, operation: str, operation_id: str, original: Mapping[str, str]) -> None:
        described = ", ".join(f"{key}={value}" for key, value in original.items())
        super().__init__(
            f"{operation} {operation_id!r} was already recorded with different arguments "
            f"({described})",
            reason="IDEMPOTENCY_CONFLICT",
            metadata={
                "operation": operation,
                "id": operation_id,
                **{f"original_{key}": value for key, value in original.items()},
            },
        )
