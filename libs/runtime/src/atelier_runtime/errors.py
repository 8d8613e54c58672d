"""Business errors shared by every layer; pure Python so domain code can raise them.

The wire mapping (gRPC status, ErrorInfo, packed details) lives in `grpc_errors`, in one table.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from google.protobuf.message import Message

_REASON = re.compile(r"^[A-Z](?:[A-Z0-9_]*[A-Z0-9])?$")


def is_valid_reason(reason: str) -> bool:
    """True for a stable UPPER_SNAKE_CASE reason such as "INSUFFICIENT_CREDITS"."""
    return _REASON.fullmatch(reason) is not None


class ErrorCode(enum.StrEnum):
    """The kinds of failure a caller can act on; each maps to exactly one gRPC status."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    ABORTED = "ABORTED"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"


class AtelierError(Exception):
    """An expected failure with a code, a stable machine-readable reason and plain metadata."""

    default_code: ClassVar[ErrorCode | None] = None

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        metadata: Mapping[str, str] | None = None,
        details: Sequence[Message] = (),
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message)
        resolved = code if code is not None else self.default_code
        if resolved is None:
            # Only subclasses carry a default; a bare AtelierError must say what kind it is.
            raise TypeError("AtelierError needs a code; raise a subclass such as NotFound")
        if not is_valid_reason(reason):
            raise ValueError(f"reason must be UPPER_SNAKE_CASE, got {reason!r}")
        self.message = message
        self.code: ErrorCode = resolved
        self.reason = reason
        self.metadata: dict[str, str] = dict(metadata or {})
        self.details: tuple[Message, ...] = tuple(details)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, code={self.code.value}, "
            f"reason={self.reason!r}, metadata={self.metadata!r})"
        )


class InvalidArgument(AtelierError):
    """The request itself is malformed, whatever the system's state."""

    default_code = ErrorCode.INVALID_ARGUMENT


class NotFound(AtelierError):
    """The addressed entity does not exist (or is not visible to the caller)."""

    default_code = ErrorCode.NOT_FOUND


class AlreadyExists(AtelierError):
    """The entity to create exists already with different content."""

    default_code = ErrorCode.ALREADY_EXISTS


class FailedPrecondition(AtelierError):
    """The system is not in a state that allows the operation; retrying as-is will not help."""

    default_code = ErrorCode.FAILED_PRECONDITION


class ResourceExhausted(AtelierError):
    """A quota or rate limit was hit; retry later."""

    default_code = ErrorCode.RESOURCE_EXHAUSTED


class Unavailable(AtelierError):
    """A dependency is down or overloaded; the same call may succeed when retried."""

    default_code = ErrorCode.UNAVAILABLE


class PermissionDenied(AtelierError):
    """The caller is known but not allowed to do this."""

    default_code = ErrorCode.PERMISSION_DENIED


class Unauthenticated(AtelierError):
    """The caller could not be identified."""

    default_code = ErrorCode.UNAUTHENTICATED


class Aborted(AtelierError):
    """A concurrency conflict (an optimistic version clash); retry the read-modify-write."""

    default_code = ErrorCode.ABORTED


class DeadlineExceeded(AtelierError):
    """The work did not finish before its deadline."""

    default_code = ErrorCode.DEADLINE_EXCEEDED


_CLASS_BY_CODE: dict[ErrorCode, type[AtelierError]] = {
    cls.default_code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        FailedPrecondition,
        ResourceExhausted,
        Unavailable,
        PermissionDenied,
        Unauthenticated,
        Aborted,
        DeadlineExceeded,
    )
    if cls.default_code is not None
}


def error_class(code: ErrorCode) -> type[AtelierError]:
    """The subclass that carries `code`, so a rebuilt error is caught by `except NotFound`."""
    return _CLASS_BY_CODE[code]
