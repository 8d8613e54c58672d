"""Request fields checked at the door, so everything past here is within its documented bounds.

Each violation is INVALID_ARGUMENT with a BadRequest naming the field; messages quote at most a
few dozen characters of what was sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import date

from atelier_billing.domain.errors import InvalidValue
from atelier_billing.domain.stripe_fields import MAX_ACCOUNT_ID, as_account_id

SIGNATURE_HEADER = "stripe-signature"
MAX_HEADERS = 100
MAX_HEADER_NAME = 256
MAX_HEADER_VALUE = 8_192
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_WAIT_S = 300
_MAX_TOKEN = 64
_SHOWN = 48


def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}… ({len(text)} characters)"


def account_id(field: str, value: str) -> str:
    checked = as_account_id(value)
    if checked is None:
        raise InvalidValue(
            field,
            f"must be 1 to {MAX_ACCOUNT_ID} printable characters without outer spaces, "
            f"got {shown(value)}",
            reason="INVALID_ACCOUNT_ID",
        )
    return checked


def signature_header(headers: Mapping[str, str]) -> str | None:
    """The `Stripe-Signature` value among the headers as received (names in any case)."""
    if len(headers) > MAX_HEADERS:
        raise InvalidValue(
            "headers",
            f"must be at most {MAX_HEADERS} headers, got {len(headers)}",
            reason="TOO_MANY_HEADERS",
        )
    found: list[str] = []
    for name, value in headers.items():
        if len(name) > MAX_HEADER_NAME or len(value) > MAX_HEADER_VALUE:
            raise InvalidValue(
                "headers",
                f"names are at most {MAX_HEADER_NAME} characters and values at most "
                f"{MAX_HEADER_VALUE}; {shown(name)} is longer",
                reason="HEADER_TOO_LONG",
            )
        if name.strip().lower() == SIGNATURE_HEADER:
            found.append(value)
    if len(found) > 1:
        raise InvalidValue(
            f"headers.{SIGNATURE_HEADER}", "is given more than once", reason="SIGNATURE_AMBIGUOUS"
        )
    return found[0] if found else None


def page_size(field: str, value: int) -> int:
    """Zero means the default; more than the maximum is served as the maximum."""
    if value < 0:
        raise InvalidValue(field, f"must not be negative, got {value}", reason="INVALID_PAGE_SIZE")
    return min(value, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE


def page_token(cursor: int | None) -> str:
    if cursor is None:
        return ""
    return base64.urlsafe_b64encode(f"c:{cursor}".encode()).decode()


def cursor_of(field: str, token: str) -> int | None:
    """The cursor of a token this service issued; None for the first page."""
    if not token:
        return None
    try:
        if len(token) > _MAX_TOKEN:
            raise ValueError(token)
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
        prefix, _, number = text.partition(":")
        if prefix != "c" or not number.isdigit() or len(number) > 18:
            raise ValueError(text)
        return int(number)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidValue(
            field,
            f"is not a page token this service issued: {shown(token)}",
            reason="INVALID_PAGE_TOKEN",
        ) from None


def day(field: str, value: str, today: date) -> date:
    """YYYY-MM-DD, and only today: a day's credits cannot be claimed ahead or after the fact."""
    if not value:
        return today
    try:
        parsed = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidValue(field, f"must be YYYY-MM-DD, got {shown(value)}", reason="INVALID_DATE")
    if parsed != today:
        raise InvalidValue(
            field,
            f"must be today in UTC ({today.isoformat()}), got {value}",
            reason="NOT_TODAY",
        )
    return parsed


def wait_seconds(field: str, value: int) -> int:
    if value > MAX_WAIT_S:
        raise InvalidValue(
            field, f"must be at most {MAX_WAIT_S}, got {value}", reason="INVALID_WAIT"
        )
    return value
