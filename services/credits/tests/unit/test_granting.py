from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from atelier_credits.domain import Balance, CreditAccount, GrantResult
from atelier_credits.domain.errors import IdempotencyConflict, InvalidAmount, InvalidValue


def test_an_opened_account_has_a_stable_stream_id_derived_from_the_account_id(t0: datetime) -> None:
    account = CreditAccount.open("acct-1", t0)

    assert account.id == CreditAccount.id_for("acct-1")
    assert account.id != CreditAccount.id_for("acct-2")
    assert [type(e).__name__ for e in account.collect_events()] == ["Opened"]


def test_a_grant_adds_available_credits(account: CreditAccount, t0: datetime) -> None:
    result = account.grant("g1", 50, t0, source="plan:pro", priority=2)

    assert result == GrantResult("g1", 50, "plan:pro", 2, None)
    assert account.balance() == Balance(
        available=50, frozen=0, consumed=0, expired=0, revoked=0, granted=50
    )
    assert [type(e).__name__ for e in account.collect_events()] == ["Granted"]


def test_repeating_a_grant_returns_the_first_result_and_records_nothing(
    account: CreditAccount, t0: datetime
) -> None:
    first = account.grant("g1", 50, t0, expires_at=t0 + timedelta(days=1))
    account.collect_events()

    repeat = account.grant("g1", 50, t0 + timedelta(hours=1), expires_at=t0 + timedelta(days=1))

    assert repeat == first
    assert account.collect_events() == []
    assert account.balance().granted == 50


def test_a_grant_id_reused_with_other_arguments_is_an_idempotency_conflict(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 50, t0, source="pack")
    account.collect_events()

    with pytest.raises(IdempotencyConflict) as caught:
        account.grant("g1", 60, t0, source="pack")

    assert caught.value.reason == "IDEMPOTENCY_CONFLICT"
    assert caught.value.metadata == {
        "operation": "grant",
        "id": "g1",
        "original_amount": "50",
        "original_source": "pack",
        "original_priority": "0",
        "original_expires_at": "",
        "original_reference": "",
    }
    assert account.collect_events() == []


def test_expiry_times_in_any_timezone_are_recorded_in_utc(
    account: CreditAccount, t0: datetime
) -> None:
    paris = timezone(timedelta(hours=1))

    result = account.grant("g1", 5, t0, expires_at=datetime(2025, 1, 2, 13, 0, tzinfo=paris))

    assert result.expires_at == datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
    assert result.expires_at is not None
    assert result.expires_at.tzinfo is UTC


def test_a_grant_that_arrives_already_expired_is_recorded_and_expires_at_once(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("late", 10, t0, expires_at=t0 - timedelta(minutes=1))

    assert [type(e).__name__ for e in account.collect_events()] == ["Granted", "GrantExpired"]
    assert account.balance() == Balance(
        available=0, frozen=0, consumed=0, expired=10, revoked=0, granted=10
    )


@pytest.mark.parametrize("amount", [0, -5, 1.5, "10", True, None, 10**12 + 1])
def test_cannot_grant_an_amount_that_is_not_a_positive_integer_within_limits(
    account: CreditAccount, t0: datetime, amount: object
) -> None:
    with pytest.raises(InvalidAmount) as caught:
        account.grant("g1", amount, t0)  # type: ignore[arg-type]

    assert caught.value.reason == "INVALID_AMOUNT"
    assert caught.value.metadata["field"] == "amount"
    assert account.collect_events() == []


@pytest.mark.parametrize(
    ("grant_id", "reason"), [("", "INVALID_ID"), (" g1", "INVALID_ID"), ("x" * 201, "INVALID_ID")]
)
def test_cannot_grant_with_a_malformed_id(
    account: CreditAccount, t0: datetime, grant_id: str, reason: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        account.grant(grant_id, 1, t0)

    assert caught.value.reason == reason


def test_cannot_act_at_a_time_without_a_timezone(account: CreditAccount) -> None:
    with pytest.raises(InvalidValue) as caught:
        account.grant("g1", 1, datetime(2025, 1, 1, 12, 0))

    assert caught.value.reason == "INVALID_TIME"
    assert caught.value.metadata == {"field": "now"}


def test_cannot_grant_with_a_priority_that_is_not_an_integer(
    account: CreditAccount, t0: datetime
) -> None:
    with pytest.raises(InvalidValue) as caught:
        account.grant("g1", 1, t0, priority="high")  # type: ignore[arg-type]

    assert caught.value.reason == "INVALID_NUMBER"
