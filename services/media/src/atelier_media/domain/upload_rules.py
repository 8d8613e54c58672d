"""Whether an object in the bucket is the file it claims to be: size, type and magic bytes."""

from __future__ import annotations

from dataclasses import dataclass

from atelier_media.domain.content_types import matches_magic, normalise


@dataclass(frozen=True)
class ObjectFacts:
    """What HEAD and a ranged GET of the first bytes said about an object; None when missing."""

    size: int
    content_type: str
    head: bytes


def upload_refusal(facts: ObjectFacts | None, declared: str, max_bytes: int) -> str | None:
    """A stable reason and detail when the upload must be refused, else None."""
    if facts is None:
        return "NOT_UPLOADED: no object at the upload key"
    if facts.size <= 0:
        return "EMPTY: the uploaded object has no bytes"
    if facts.size > max_bytes:
        return f"TOO_LARGE: {facts.size} bytes, more than the {max_bytes} allowed"
    if normalise(facts.content_type) != declared:
        return f"WRONG_TYPE: stored as {facts.content_type[:64]!r}, expected {declared!r}"
    if not matches_magic(declared, facts.head):
        return f"WRONG_CONTENT: the first bytes are not those of {declared}"
    return None


def transfer_refusal(content_type: str, head: bytes, declared: str) -> str | None:
    """Same rules for a provider download: the response's type and first bytes."""
    actual = normalise(content_type) if content_type else declared
    if actual is None or actual != declared:
        return f"WRONG_TYPE: the source sent {content_type[:64]!r}, expected {declared!r}"
    if not matches_magic(declared, head):
        return f"WRONG_CONTENT: the first bytes are not those of {declared}"
    return None
