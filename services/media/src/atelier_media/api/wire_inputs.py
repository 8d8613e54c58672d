"""Request fields checked at the door; each violation is INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from atelier.media.v1 import media_pb2
from atelier_media.application.registration import NewOutput
from atelier_media.domain.content_types import normalise
from atelier_media.domain.errors import InvalidValue
from atelier_media.domain.media_record import PLANS
from atelier_media.domain.wire_bounds import MAX_ID, is_bounded_id
from atelier_runtime.proto_time import from_timestamp

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_TOKEN = 400
MAX_URL = 4096
_YEAR_10000 = 253_402_300_800


def media_id(field: str, value: str) -> str:
    if not is_bounded_id(value):
        raise InvalidValue(
            field, f"must be 1 to {MAX_ID} printable characters without '/' or outer spaces"
        )
    return value


def optional_id(field: str, value: str) -> str:
    return media_id(field, value) if value else ""


def page_size(value: int) -> int:
    if value == 0:
        return DEFAULT_PAGE_SIZE
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise InvalidValue("page_size", f"must be 0 (default) or 1 to {MAX_PAGE_SIZE}")
    return value


def encode_page_token(after: tuple[datetime, str] | None) -> str:
    if after is None:
        return ""
    micros = int(after[0].timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{micros}:{after[1]}".encode()).decode()


def page_token(value: str) -> tuple[datetime, str] | None:
    if not value:
        return None
    try:
        if len(value) > _MAX_TOKEN:
            raise ValueError("too long")
        text = base64.urlsafe_b64decode(value.encode("ascii")).decode()
        micros, _, last_id = text.partition(":")
        when = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
        if not is_bounded_id(last_id):
            raise ValueError("bad id")
    except (ValueError, UnicodeError, binascii.Error, OverflowError, OSError):
        raise InvalidValue("page_token", "is not a token this service returned") from None
    return when, last_id


def new_output(request: media_pb2.RegisterOutputRequest) -> NewOutput:
    content_type = normalise(request.content_type)
    if content_type is None:
        raise InvalidValue("content_type", "is not an allowed media type")
    url = request.source_url
    if not url or len(url) > MAX_URL or not url.isprintable() or " " in url:
        raise InvalidValue("source_url", f"must be 1 to {MAX_URL} printable characters, no spaces")
    expires = request.source_expires_at
    in_range = 0 <= expires.seconds < _YEAR_10000 and 0 <= expires.nanos < 1_000_000_000
    if request.HasField("source_expires_at") and not in_range:
        raise InvalidValue("source_expires_at", "must be within 1970-9999")
    if request.plan not in ("", *PLANS):
        raise InvalidValue("plan", f"must be empty or one of {', '.join(PLANS)}")
    return NewOutput(
        plan=request.plan or "free",
        media_id=media_id("media_id", request.media_id),
        account_id=media_id("account_id", request.account_id),
        generation_id=media_id("generation_id", request.generation_id),
        content_type=content_type,
        source_url=request.source_url,
        source_expires_at=(
            from_timestamp(expires) if request.HasField("source_expires_at") else None
        ),
    )
