"""Durations (`30d`, `12h`, `90m`, `45s`) and expiry times as a person types them."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta

DURATION_FORM = "a duration like 30d, 12h, 90m or 45s"
EXPIRY_FORM = f"{DURATION_FORM} from now, or an ISO date like 2030-01-31 or 2030-01-31T12:00:00Z"

_DURATION = re.compile(r"^(\d{1,9})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """A positive duration; ValueError naming the expected form otherwise."""
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"expected {DURATION_FORM}, got {text!r}")
    try:
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise ValueError(f"{text!r} is too long; expected {DURATION_FORM}") from None


def parse_expiry(text: str, now: datetime) -> datetime:
    """A duration from `now`, or an ISO 8601 date or time (UTC when no offset is given)."""
    if _DURATION.match(text.strip()):
        try:
            return now + parse_duration(text)
        except OverflowError:
            raise ValueError(f"{text!r} from now is past the year 9999") from None
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected {EXPIRY_FORM}, got {text!r}") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def duration_argument(text: str) -> timedelta:
    """`type=` for an argparse option: a malformed value becomes argparse's one-line error."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def expiry_argument(text: str) -> datetime:
    """`type=` for an expiry option, relative to the moment the command line is read."""
    try:
        return parse_expiry(text, datetime.now(UTC))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
