from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from atelier_credits.domain import Balance, CreditAccount, RevokeResult
from atelier_credits.domain.errors import IdempotencyConflict, InvalidAmount


def test_a_revocation_claws_back_available_credits(account: CreditAccount, t0: datetime) -> None:
    account.grant("g1", 10, t0)

    result = account.revoke("r1", 4, t0, reason="refund", reference="ch_1")

    assert result == RevokeResult("r1", revoked=4, shortfall=0)
    assert account.balance() == Balance(
        available=6, frozen=0, consumed=0, expired=0, revoked=4, granted=10
    )


def test_a_revocation_takes_at_most_what_is_available_and_records_the_shortfall(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)
    account.freeze("f1", 3, t0)
    account.freeze("f2", 2, t0)
    account.confirm("f2", t0)

    result = account.revoke("r1", 8, t0)

    assert result == RevokeResult("r1", revoked=5, shortfall=3)
    assert account.balance() == Balance(
        available=0, frozen=3, consumed=2, expired=0, revoked=5, granted=10
    )


def test_a_revocation_with_nothing_available_is_still_recorded(
    account: CreditAccount, t0: datetime
) -> None:
    result = account.revoke("r1", 8, t0)

    assert result == RevokeResult("r1", revoked=0, shortfall=8)
    assert [type(e).__name__ for e in account.collect_events()] == ["Revoked"]


def test_a_revocation_draws_in_the_same_order_as_a_freeze(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("plain", 5, t0)
    account.grant("soon", 5, t0, expires_at=t0 + timedelta(days=1))
    account.grant("priority", 5, t0, priority=3)

    account.revoke("r1", 8, t0)

    revoked: Any = account.pending_events[-1]
    assert revoked.draws == [
        {"grant_id": "priority", "amount": 5},
        {"grant_id": "soon", "amount": 3},
    ]
    assert {grant_id: g["revoked"] for grant_id, g in account.grants.items()} == {
        "plain": 0,
        "soon": 3,
    }


def test_a_revocation_never_takes_expired_credits(account: CreditAccount, t0: datetime) -> None:
    account.grant("old", 5, t0, expires_at=t0 + timedelta(hours=1))

    result = account.revoke("r1", 5, t0 + timedelta(hours=1))

    assert result == RevokeResult("r1", revoked=0, shortfall=5)
    assert account.balance().expired == 5


def test_repeating_a_revocation_returns_the_first_result_even_after_new_grants(
    account: CreditAccount, t0: datetime
) -> None:
    first = account.revoke("r1", 8, t0, reason="dispute")
    account.grant("g1", 20, t0)
    account.collect_events()

    assert account.revoke("r1", 8, t0, reason="dispute") == first
    assert account.collect_events() == []
    assert account.balance().available == 20


def test_a_revocation_id_reused_with_other_arguments_is_an_idempotency_conflict(
    account: CreditAccount, t0: datetime
) -> None:
    account.revoke("r1", 8, t0, reason="dispute", reference="dp_1")

    with pytest.raises(IdempotencyConflict) as caught:
        account.revoke("r1", 8, t0, reason="refund", reference="dp_1")

    assert caught.value.metadata == {
        "operation": "revocation",
        "id": "r1",
        "original_amount": "8",
        "original_reason": "dispute",
        "original_reference": "dp_1",
    }


def test_cannot_revoke_an_amount_that_is_not_positive(account: CreditAccount, t0: datetime) -> None:
    with pytest.raises(InvalidAmount):
        account.revoke("r1", 0, t0)
