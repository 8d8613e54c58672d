from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from atelier_credits.domain import Balance, CreditAccount, RollbackResult
from atelier_credits.domain.errors import FreezeAlreadyResolved

HOUR = timedelta(hours=1)


def event_names(account: CreditAccount) -> list[str]:
    return [type(e).__name__ for e in account.collect_events()]


def test_an_unresolved_freeze_past_its_expiry_is_rolled_back_as_expired(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)
    account.freeze("f1", 4, t0, ttl=HOUR)
    account.collect_events()

    account.expire_freezes(t0 + HOUR)

    assert event_names(account) == ["RolledBack"]
    assert account.rollback("f1", t0 + HOUR, "failed") == RollbackResult("f1", 4, "expired")
    assert account.balance().available == 10


def test_a_freeze_is_still_pending_just_before_its_expiry(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)
    account.freeze("f1", 4, t0, ttl=HOUR)
    account.collect_events()

    account.expire_due(t0 + HOUR - timedelta(microseconds=1))

    assert event_names(account) == []
    assert account.confirm("f1", t0 + HOUR - timedelta(microseconds=1)).confirmed == 4


def test_a_confirm_after_expiry_fails_even_before_the_sweeper_ran(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0)
    account.freeze("f1", 4, t0, ttl=HOUR)
    account.collect_events()

    with pytest.raises(FreezeAlreadyResolved) as caught:
        account.confirm("f1", t0 + 2 * HOUR)

    assert caught.value.metadata == {
        "freeze_id": "f1",
        "resolution": "rolled_back",
        "reason": "expired",
    }
    # The expiry is recorded before the rejection, so the caller must save it.
    assert event_names(account) == ["RolledBack"]
    assert account.balance() == Balance(
        available=10, frozen=0, consumed=0, expired=0, revoked=0, granted=10
    )


def test_expiring_grants_records_only_the_unspent_unfrozen_remainder(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.freeze("spent", 3, t0, ttl=3 * HOUR)
    account.confirm("spent", t0)
    account.freeze("held", 2, t0, ttl=3 * HOUR)
    account.collect_events()

    account.expire_grants(t0 + HOUR)

    assert event_names(account) == ["GrantExpired"]
    assert account.balance() == Balance(
        available=0, frozen=2, consumed=3, expired=5, revoked=0, granted=10
    )


def test_expiring_again_records_nothing(account: CreditAccount, t0: datetime) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.expire_due(t0 + HOUR)
    account.collect_events()

    account.expire_due(t0 + 2 * HOUR)

    assert event_names(account) == []


def test_credits_frozen_from_a_grant_that_expired_expire_when_rolled_back(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.freeze("f1", 4, t0, ttl=2 * HOUR)
    account.expire_grants(t0 + HOUR)
    account.collect_events()

    account.rollback("f1", t0 + HOUR, "failed")

    assert event_names(account) == ["RolledBack", "GrantExpired"]
    assert account.balance() == Balance(
        available=0, frozen=0, consumed=0, expired=10, revoked=0, granted=10
    )


def test_credits_frozen_from_a_grant_that_expired_are_consumed_when_confirmed(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.freeze("f1", 4, t0, ttl=2 * HOUR)
    account.expire_grants(t0 + HOUR)

    account.confirm("f1", t0 + HOUR)

    assert account.balance() == Balance(
        available=0, frozen=0, consumed=4, expired=6, revoked=0, granted=10
    )


def test_the_released_part_of_a_partial_confirm_expires_with_its_expired_grant(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.freeze("f1", 4, t0, ttl=2 * HOUR)
    account.collect_events()

    account.confirm("f1", t0 + HOUR, amount=1)

    assert event_names(account) == ["GrantExpired", "Confirmed", "GrantExpired"]
    assert account.balance() == Balance(
        available=0, frozen=0, consumed=1, expired=9, revoked=0, granted=10
    )


def test_an_expired_freeze_of_an_expired_grant_expires_its_credits(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.freeze("f1", 4, t0, ttl=2 * HOUR)
    account.collect_events()

    account.expire_due(t0 + 3 * HOUR)

    assert event_names(account) == ["RolledBack", "GrantExpired"]
    assert account.balance().expired == 10


def test_balance_at_a_later_time_counts_due_expiries_without_recording_them(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.grant("g2", 5, t0)
    account.freeze("f1", 7, t0, ttl=2 * HOUR)
    account.collect_events()

    later = account.balance(t0 + 3 * HOUR)

    assert later == Balance(available=5, frozen=0, consumed=0, expired=10, revoked=0, granted=15)
    assert account.balance() == Balance(
        available=8, frozen=7, consumed=0, expired=0, revoked=0, granted=15
    )
    assert event_names(account) == []


def test_next_expiry_is_the_earliest_pending_freeze_or_grant_expiry(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + 5 * HOUR)
    account.freeze("f1", 1, t0, ttl=2 * HOUR)

    assert account.next_expiry(t0) == t0 + 2 * HOUR
    account.confirm("f1", t0)
    assert account.next_expiry(t0) == t0 + 5 * HOUR


def test_next_expiry_is_now_when_something_is_already_due(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)

    assert account.next_expiry(t0 + 2 * HOUR) == t0 + 2 * HOUR


def test_nothing_expires_once_expiring_grants_are_spent(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 10, t0, expires_at=t0 + HOUR)
    account.grant("forever", 10, t0)
    account.freeze("f1", 10, t0)
    account.confirm("f1", t0)

    assert account.next_expiry(t0) is None
