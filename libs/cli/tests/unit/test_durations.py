"""Durations and expiries as a person types them, and one line saying the form when they are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from atelier_cli.durations import parse_duration, parse_expiry

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_a_duration_is_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["tomorrow", "0h", "1w", "-1d", "1.5h", ""])
def test_anything_else_names_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected a duration like 30d, 12h, 90m or 45s"):
        parse_duration(text)


def test_an_expiry_is_a_duration_from_now_or_an_iso_date() -> None:
    assert parse_expiry("30d", NOW) == datetime(2030, 1, 31, tzinfo=UTC)
    assert parse_expiry("2030-02-01", NOW) == datetime(2030, 2, 1, tzinfo=UTC)
    assert parse_expiry("2030-02-01T12:00:00+02:00", NOW) == datetime(2030, 2, 1, 10, tzinfo=UTC)


def test_a_word_for_an_expiry_names_both_forms() -> None:
    with pytest.raises(ValueError, match="tomorrow") as raised:
        parse_expiry("tomorrow", NOW)

    assert str(raised.value) == (
        "expected a duration like 30d, 12h, 90m or 45s from now, or an ISO date like "
        "2030-01-31 or 2030-01-31T12:00:00Z, got 'tomorrow'"
    )


def test_an_expiry_past_the_year_9999_is_refused_in_words() -> None:
    with pytest.raises(ValueError, match="past the year 9999"):
        parse_expiry("999999999d", NOW)
