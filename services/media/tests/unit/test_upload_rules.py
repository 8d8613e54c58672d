"""Whether an uploaded or downloaded file is what it claims to be."""

from __future__ import annotations

import pytest

from atelier_media.domain.content_types import matches_magic, normalise
from atelier_media.domain.upload_rules import ObjectFacts, transfer_refusal, upload_refusal

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
SAMPLES = {
    "image/png": PNG,
    "image/jpeg": b"\xff\xd8\xff\xe0" + b"\0" * 12,
    "image/webp": b"RIFF\0\0\0\0WEBPVP8 ",
    "video/mp4": b"\0\0\0\x18ftypisom" + b"\0" * 4,
    "audio/wav": b"RIFF\0\0\0\0WAVEfmt ",
    "audio/mpeg": b"ID3\x04" + b"\0" * 12,
}


@pytest.mark.parametrize(("content_type", "head"), SAMPLES.items())
def test_each_type_is_recognised_by_its_magic_bytes(content_type: str, head: bytes) -> None:
    assert matches_magic(content_type, head)
    others = [t for t in SAMPLES if t != content_type]
    assert not any(matches_magic(other, head) for other in others)


def test_content_types_are_normalised_and_unknown_ones_refused() -> None:
    assert normalise("IMAGE/PNG; charset=binary") == "image/png"
    assert normalise("image/jpg") == "image/jpeg"
    assert normalise("text/html") is None


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        (None, "NOT_UPLOADED"),
        (ObjectFacts(0, "image/png", b""), "EMPTY"),
        (ObjectFacts(101, "image/png", PNG), "TOO_LARGE"),
        (ObjectFacts(50, "image/jpeg", PNG), "WRONG_TYPE"),
        (ObjectFacts(50, "image/png", b"<html>" + b"\0" * 10), "WRONG_CONTENT"),
    ],
)
def test_a_bad_upload_is_refused_with_its_reason(facts: ObjectFacts | None, why: str) -> None:
    assert str(upload_refusal(facts, "image/png", 100)).startswith(why)


def test_a_good_upload_passes() -> None:
    assert upload_refusal(ObjectFacts(50, "image/png", PNG), "image/png", 100) is None


def test_a_download_whose_bytes_disagree_with_its_type_is_refused() -> None:
    assert transfer_refusal("image/png", PNG, "image/png") is None
    assert str(transfer_refusal("text/html", PNG, "image/png")).startswith("WRONG_TYPE")
    assert str(transfer_refusal("image/png", b"GIF89a" + b"\0" * 10, "image/png")).startswith(
        "WRONG_CONTENT"
    )
