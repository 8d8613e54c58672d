from __future__ import annotations

from datetime import datetime

import pytest

from atelier_credits.domain import Balance, ConfirmResult, CreditAccount, RollbackResult
from atelier_credits.domain.errors import (
    ConfirmExceedsFrozen,
    FreezeAlreadyResolved,
    FreezeNotFound,
    IdempotencyConflict,
    InvalidAmount,
    InvalidValue,
)


@pytest.fixture
def frozen(account: CreditAccount, t0: datetime) -> CreditAccount:
    """10 credits from a priority grant and 10 from a plain one, 15 of them frozen as f1."""
    account.grant("first", 10, t0, priority=1)
    account.grant("second", 10, t0)
    account.freeze("f1", 15, t0)
    account.collect_events()
    return account


def test_confirming_without_an_amount_consumes_the_whole_freeze(
    frozen: CreditAccount, t0: datetime
) -> None:
    result = frozen.confirm("f1", t0)

    assert result == ConfirmResult("f1", confirmed=15, released=0)
    assert frozen.balance() == Balance(
        available=5, frozen=0, consumed=15, expired=0, revoked=0, granted=20
    )


def test_a_partial_confirm_releases_the_rest_back_to_available(
    frozen: CreditAccount, t0: datetime
) -> None:
    result = frozen.confirm("f1", t0, amount=12)

    assert result == ConfirmResult("f1", confirmed=12, released=3)
    assert frozen.balance() == Balance(
        available=8, frozen=0, consumed=12, expired=0, revoked=0, granted=20
    )


def test_a_partial_confirm_keeps_consumption_on_the_grants_drawn_first(
    frozen: CreditAccount, t0: datetime
) -> None:
    frozen.confirm("f1", t0, amount=12)

    # "first" is spent: it leaves the live state, its 10 consumed credits kept in the totals.
    assert "first" not in frozen.grants
    assert frozen.retired["consumed"] == 10
    assert frozen.grants["second"]["consumed"] == 2
    assert frozen.grants["second"]["available"] == 8


def test_cannot_confirm_more_than_was_frozen(frozen: CreditAccount, t0: datetime) -> None:
    with pytest.raises(ConfirmExceedsFrozen) as caught:
        frozen.confirm("f1", t0, amount=16)

    assert caught.value.reason == "CONFIRM_EXCEEDS_FROZEN"
    assert caught.value.metadata == {"freeze_id": "f1", "requested": "16", "frozen": "15"}
    assert frozen.collect_events() == []


@pytest.mark.parametrize("amount", [0, -3])
def test_cannot_confirm_an_amount_that_is_not_positive(
    frozen: CreditAccount, t0: datetime, amount: int
) -> None:
    with pytest.raises(InvalidAmount):
        frozen.confirm("f1", t0, amount=amount)


def test_repeating_a_confirm_returns_the_first_result_and_records_nothing(
    frozen: CreditAccount, t0: datetime
) -> None:
    first = frozen.confirm("f1", t0, amount=12)
    frozen.collect_events()

    assert frozen.confirm("f1", t0, amount=12) == first
    assert frozen.collect_events() == []


def test_confirming_all_again_after_confirming_all_is_a_repeat(
    frozen: CreditAccount, t0: datetime
) -> None:
    first = frozen.confirm("f1", t0)

    assert frozen.confirm("f1", t0, amount=15) == first
    assert frozen.confirm("f1", t0) == first


def test_confirming_a_confirmed_freeze_with_another_amount_is_an_idempotency_conflict(
    frozen: CreditAccount, t0: datetime
) -> None:
    frozen.confirm("f1", t0, amount=12)

    with pytest.raises(IdempotencyConflict) as caught:
        frozen.confirm("f1", t0, amount=11)

    assert caught.value.metadata == {"operation": "confirm", "id": "f1", "original_amount": "12"}


def test_a_rollback_returns_credits_to_the_grants_they_came_from(
    frozen: CreditAccount, t0: datetime
) -> None:
    result = frozen.rollback("f1", t0, "failed")

    assert result == RollbackResult("f1", released=15, reason="failed")
    assert frozen.grants["first"]["available"] == 10
    assert frozen.grants["second"]["available"] == 10
    assert frozen.balance() == Balance(
        available=20, frozen=0, consumed=0, expired=0, revoked=0, granted=20
    )


def test_repeating_a_rollback_returns_the_first_result_and_records_nothing(
    frozen: CreditAccount, t0: datetime
) -> None:
    first = frozen.rollback("f1", t0, "canceled")
    frozen.collect_events()

    assert frozen.rollback("f1", t0, "canceled") == first
    assert frozen.rollback("f1", t0, "failed") == first
    assert frozen.collect_events() == []


def test_cannot_confirm_a_rolled_back_freeze(frozen: CreditAccount, t0: datetime) -> None:
    frozen.rollback("f1", t0, "canceled")
    frozen.collect_events()

    with pytest.raises(FreezeAlreadyResolved) as caught:
        frozen.confirm("f1", t0)

    assert caught.value.reason == "FREEZE_ALREADY_RESOLVED"
    assert caught.value.metadata == {
        "freeze_id": "f1",
        "resolution": "rolled_back",
        "reason": "canceled",
    }
    assert frozen.collect_events() == []


def test_cannot_roll_back_a_confirmed_freeze(frozen: CreditAccount, t0: datetime) -> None:
    frozen.confirm("f1", t0)

    with pytest.raises(FreezeAlreadyResolved) as caught:
        frozen.rollback("f1", t0, "failed")

    assert caught.value.metadata == {"freeze_id": "f1", "resolution": "confirmed", "reason": ""}


def test_confirming_an_unknown_freeze_is_not_found(frozen: CreditAccount, t0: datetime) -> None:
    with pytest.raises(FreezeNotFound) as caught:
        frozen.confirm("nope", t0)

    assert caught.value.reason == "FREEZE_NOT_FOUND"
    assert caught.value.metadata == {"freeze_id": "nope"}


def test_rolling_back_an_unknown_freeze_is_not_found(frozen: CreditAccount, t0: datetime) -> None:
    with pytest.raises(FreezeNotFound):
        frozen.rollback("nope", t0, "failed")


def test_cannot_roll_back_for_an_unknown_reason(frozen: CreditAccount, t0: datetime) -> None:
    with pytest.raises(InvalidValue) as caught:
        frozen.rollback("f1", t0, "bored")

    assert caught.value.reason == "INVALID_REASON"
    assert frozen.collect_events() == []


def test_each_freeze_records_exactly_one_resolution(frozen: CreditAccount, t0: datetime) -> None:
    frozen.confirm("f1", t0, amount=5)
    frozen.confirm("f1", t0, amount=5)
    with pytest.raises(FreezeAlreadyResolved):
        frozen.rollback("f1", t0, "failed")

    assert [type(e).__name__ for e in frozen.collect_events()] == ["Confirmed"]
