"""Input files an account uploads for a generation to read: which types, how big, where kept."""

from __future__ import annotations

from urllib.parse import quote

from atelier_media.domain.errors import InvalidValue

# The exact Content-Type is signed into the PUT, so the browser's own names are kept as given.
INPUT_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mp4": "m4a",
}
# Inputs live under their own prefix, apart from the plans' retention prefixes.
INPUT_PREFIX = "inputs"


def checked_input(content_type: str, size: int, max_bytes: int) -> tuple[str, int]:
    """The declared type and size, or INVALID_ARGUMENT naming the field."""
    if content_type not in INPUT_EXTENSIONS:
        raise InvalidValue("content_type", f"must be one of {', '.join(INPUT_EXTENSIONS)}")
    if not 1 <= size <= max_bytes:
        raise InvalidValue("bytes", f"must be 1 to {max_bytes}")
    return content_type, size


def input_key(account_id: str, media_id: str, content_type: str) -> str:
    # Ids are quoted: they must not add path segments.
    return (
        f"{INPUT_PREFIX}/{quote(account_id, safe='')}/"
        f"{quote(media_id, safe='')}.{INPUT_EXTENSIONS[content_type]}"
    )
