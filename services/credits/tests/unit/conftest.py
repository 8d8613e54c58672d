"""Fixtures for the credits domain tests: a fixed start time and a freshly opened account."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from atelier_credits.domain import CreditAccount


@pytest.fixture
def t0() -> datetime:
    return datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def account(t0: datetime) -> CreditAccount:
    opened = CreditAccount.open("acct-test", t0)
    opened.collect_events()
    return opened
