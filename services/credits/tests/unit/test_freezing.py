from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from atelier_credits.domain import (
    DEFAULT_FREEZE_TTL,
    MAX_FREEZE_TTL,
    Balance,
    CreditAccount,
    Draw,
    FreezeResult,
)
from atelier_credits.domain.errors import (
    IdempotencyConflict,
    InsufficientCredits,
    InvalidAmount,
    InvalidValue,
)


def test_a_freeze_moves_credits_from_available_to_frozen(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)

    result = account.freeze("f1", 4, t0, reference="gen-1")

    assert result == FreezeResult("f1", 4, t0 + DEFAULT_FREEZE_TTL, (Draw("g1", 4),))
    assert account.balance() == Balance(
        available=6, frozen=4, consumed=0, expired=0, revoked=0, granted=10
    )


def test_a_freeze_expires_thirty_minutes_later_unless_given_a_ttl(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)

    default = account.freeze("f1", 1, t0)
    custom = account.freeze("f2", 1, t0, ttl=timedelta(minutes=5))

    assert default.expires_at == t0 + timedelta(minutes=30)
    assert custom.expires_at == t0 + timedelta(minutes=5)


def test_can_freeze_exactly_what_is_available(account: CreditAccount, t0: datetime) -> None:
    account.grant("g1", 10, t0)

    account.freeze("f1", 10, t0)

    assert account.balance().available == 0


def test_cannot_freeze_more_than_available(account: CreditAccount, t0: datetime) -> None:
    account.grant("g1", 10, t0)
    account.freeze("f1", 7, t0)
    account.collect_events()

    with pytest.raises(InsufficientCredits) as caught:
        account.freeze("f2", 4, t0)

    assert caught.value.reason == "INSUFFICIENT_CREDITS"
    assert caught.value.metadata == {"requested": "4", "available": "3"}
    assert account.collect_events() == []


def test_an_account_without_grants_cannot_freeze(account: CreditAccount, t0: datetime) -> None:
    with pytest.raises(InsufficientCredits):
        account.freeze("f1", 1, t0)


def test_grants_are_drawn_by_priority_then_earliest_expiry_then_grant_order(
    account: CreditAccount, t0: datetime
) -> None:
    later = t0 + timedelta(days=30)
    sooner = t0 + timedelta(days=2)
    account.grant("never", 5, t0)
    account.grant("later", 5, t0, expires_at=later)
    account.grant("sooner", 5, t0, expires_at=sooner)
    account.grant("first-of-twins", 5, t0, expires_at=later)
    account.grant("priority", 5, t0, priority=1)

    result = account.freeze("f1", 25, t0)

    assert [draw.grant_id for draw in result.draws] == [
        "priority",
        "sooner",
        "later",
        "first-of-twins",
        "never",
    ]


def test_a_freeze_records_how_much_it_draws_from_each_grant(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("a", 3, t0, priority=1)
    account.grant("b", 10, t0)

    result = account.freeze("f1", 5, t0)

    assert result.draws == (Draw("a", 3), Draw("b", 2))


def test_a_grant_past_its_expiry_is_never_drawn_from(account: CreditAccount, t0: datetime) -> None:
    account.grant("short", 10, t0, expires_at=t0 + timedelta(hours=1))
    account.grant("long", 2, t0)

    with pytest.raises(InsufficientCredits) as caught:
        account.freeze("f1", 3, t0 + timedelta(hours=1))

    assert caught.value.metadata["available"] == "2"


def test_repeating_a_freeze_returns_the_first_result_and_records_nothing(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)
    first = account.freeze("f1", 4, t0, reference="gen-1")
    account.collect_events()

    repeat = account.freeze("f1", 4, t0 + timedelta(minutes=3), reference="gen-1")

    assert repeat == first
    assert account.collect_events() == []
    assert account.balance().frozen == 4


def test_repeating_a_freeze_after_it_was_resolved_returns_the_original_result(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)
    first = account.freeze("f1", 4, t0)
    account.confirm("f1", t0)
    account.collect_events()

    assert account.freeze("f1", 4, t0) == first
    assert account.collect_events() == []


@pytest.mark.parametrize(
    "changes", [{"amount": 5}, {"reference": "gen-2"}, {"ttl": timedelta(minutes=10)}]
)
def test_a_freeze_id_reused_with_other_arguments_is_an_idempotency_conflict(
    account: CreditAccount, t0: datetime, changes: dict[str, object]
) -> None:
    account.grant("g1", 10, t0)
    account.freeze("f1", 4, t0, reference="gen-1")
    arguments: dict[str, object] = {"amount": 4, "reference": "gen-1"} | changes

    with pytest.raises(IdempotencyConflict) as caught:
        account.freeze("f1", now=t0, **arguments)  # type: ignore[arg-type]

    assert caught.value.metadata == {
        "operation": "freeze",
        "id": "f1",
        "original_amount": "4",
        "original_reference": "gen-1",
        "original_ttl": "1800s",
    }


@pytest.mark.parametrize(
    "ttl", [timedelta(0), timedelta(seconds=-1), 60, MAX_FREEZE_TTL + timedelta(seconds=1)]
)
def test_cannot_freeze_with_a_ttl_that_is_not_a_positive_duration_of_at_most_a_week(
    account: CreditAccount, t0: datetime, ttl: object
) -> None:
    account.grant("g1", 10, t0)

    with pytest.raises(InvalidValue) as caught:
        account.freeze("f1", 1, t0, ttl=ttl)  # type: ignore[arg-type]

    assert caught.value.reason == "INVALID_TTL"


@pytest.mark.parametrize("amount", [0, -1, 2.5, False])
def test_cannot_freeze_an_amount_that_is_not_a_positive_integer(
    account: CreditAccount, t0: datetime, amount: object
) -> None:
    account.grant("g1", 10, t0)

    with pytest.raises(InvalidAmount):
        account.freeze("f1", amount, t0)  # type: ignore[arg-type]
