"""Reading a provider's Retry-After hints and the usual meaning of its HTTP statuses."""

from __future__ import annotations

import pytest

from atelier_generation.providers import errors
from atelier_generation.providers.inline_http import (
    MAX_RETRY_AFTER_S,
    classified,
    clipped,
    retry_after,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "Tue, 14 Nov 2023 22:13:40 GMT"}, 20.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-3"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "1e308"}, MAX_RETRY_AFTER_S),
        ({}, None),
    ],
)
def test_retry_after_reads_milliseconds_seconds_and_dates(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after(headers, now=NOW) == seconds


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (401, errors.ProviderAuthFailed),
        (403, errors.ProviderAuthFailed),
        (402, errors.ProviderQuotaExceeded),
        (429, errors.RateLimited),
        (408, errors.ProviderTimeout),
        (400, errors.InvalidInput),
        (422, errors.InvalidInput),
        (404, errors.ProviderUnavailable),
        (500, errors.ProviderUnavailable),
        (503, errors.ProviderUnavailable),
        (302, errors.ProviderUnavailable),
    ],
)
def test_statuses_are_classified_by_whose_fault_they_are(
    status: int, error_type: type[errors.ProviderError]
) -> None:
    error = classified(status, "message", {"retry-after": "3"}, provider="p")
    assert type(error) is error_type
    assert error.provider == "p"


def test_a_rate_limit_keeps_the_hint() -> None:
    error = classified(429, "slow down", {"retry-after": "3"}, provider="p")
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 3.0


def test_provider_text_is_made_printable_and_short() -> None:
    assert clipped("a\x00b\nc" + "x" * 1000) == "a b c" + "x" * 295
