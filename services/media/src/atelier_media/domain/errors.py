"""The media domain's typed failures; the wire mapping lives in the runtime's one error table."""

from __future__ import annotations

from atelier_runtime.errors import FailedPrecondition, InvalidArgument, NotFound


class InvalidValue(InvalidArgument):
    """A request field outside its documented bounds; names the field."""

    def __init__(self, field: str, problem: str, *, reason: str = "INVALID_FIELD") -> None:
        super().__init__(f"{field}: {problem}", reason=reason, metadata={"field": field})


class MediaNotFound(NotFound):
    """No such media for this account (another account's media is not found either)."""

    def __init__(self, media_id: str) -> None:
        super().__init__(f"no media {media_id[:100]!r}", reason="MEDIA_NOT_FOUND")


class NotUploadable(FailedPrecondition):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"the media is {status}; only external media take an upload",
            reason="MEDIA_NOT_UPLOADABLE",
            metadata={"status": status},
        )


class UploadRefused(FailedPrecondition):
    """The uploaded object failed verification; it was deleted and the fallback still runs."""

    def __init__(self, refusal: str) -> None:
        reason, _, detail = refusal.partition(": ")
        super().__init__(
            f"upload refused: {detail or reason}", reason="UPLOAD_REFUSED", metadata={"why": reason}
        )
