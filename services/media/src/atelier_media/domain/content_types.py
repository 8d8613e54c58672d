"""Which media types we keep, and whether a file's first bytes agree with its declared type."""

from __future__ import annotations

from collections.abc import Callable

# Enough for every signature below; the fetcher and the upload check read this many bytes.
SNIFF_BYTES = 16


def _at(offset: int, signature: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[offset : offset + len(signature)] == signature


def _riff(kind: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == kind


def _mp3(head: bytes) -> bool:
    # Tagged files start with ID3; untagged ones with an MPEG frame sync (11 set bits).
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/png": _at(0, b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": _at(0, b"\xff\xd8\xff"),
    "image/gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": _riff(b"WEBP"),
    "video/mp4": _at(4, b"ftyp"),
    "video/webm": _at(0, b"\x1a\x45\xdf\xa3"),
    "audio/mpeg": _mp3,
    "audio/wav": _riff(b"WAVE"),
}
# Names providers and browsers also use for the same formats.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
}

ALLOWED_CONTENT_TYPES = frozenset(_SIGNATURES)


def normalise(content_type: str) -> str | None:
    """The allowlisted type named by a Content-Type value (parameters dropped), else None."""
    base = content_type.split(";", 1)[0].strip().lower()
    base = _ALIASES.get(base, base)
    return base if base in _SIGNATURES else None


def matches_magic(content_type: str, head: bytes) -> bool:
    """True when the first bytes carry the signature of the (allowlisted) declared type."""
    check = _SIGNATURES.get(content_type)
    return check is not None and check(head)


def extension(content_type: str) -> str:
    return {
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/gif": "gif",
        "image/webp": "webp",
        "video/mp4": "mp4",
        "video/webm": "webm",
        "audio/mpeg": "mp3",
        "audio/wav": "wav",
    }.get(content_type, "bin")
