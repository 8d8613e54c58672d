"""An input image's type, told by its first bytes: a provider is sent the type the file really is,
never one a URL's extension or a server's header claims."""

from __future__ import annotations

from collections.abc import Collection

from atelier_generation.providers.errors import InvalidInput

_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP", "image/gif": "GIF"}
SUFFIXES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def sniffed(data: bytes) -> str | None:
    """`image/png`, `image/jpeg`, `image/webp`, `image/gif`, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def image_type(field: str, data: bytes, accepted: Collection[str], *, provider: str) -> str:
    """The image's content type if `accepted`; InvalidInput naming the field otherwise."""
    found = sniffed(data)
    if found is None or found not in accepted:
        names = [_NAMES[t] for t in _NAMES if t in accepted]
        listed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        raise InvalidInput(f"{field}: must be a {listed} image", provider=provider)
    return found
