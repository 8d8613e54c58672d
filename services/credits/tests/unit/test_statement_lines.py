"""Statement lines: what each event adds, and the running balance it leaves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from atelier_credits.domain import CreditAccount
from atelier_credits.domain.statement import (
    LineKind,
    RunningBalance,
    StatementLine,
    statement_line,
    statement_lines,
)


def lines_of(account: CreditAccount) -> list[StatementLine]:
    return statement_lines(account.collect_events())


def only_line(account: CreditAccount) -> StatementLine:
    (line,) = lines_of(account)
    return line


def test_opening_an_account_adds_no_line(t0: datetime) -> None:
    opened = CreditAccount.open("acct-new", t0)
    (event,) = opened.collect_events()

    assert statement_line(event, RunningBalance()) == (None, RunningBalance())


def test_a_grant_adds_its_amount_to_available(account: CreditAccount, t0: datetime) -> None:
    account.grant("g1", 40, t0, source="stripe:in_1")

    assert only_line(account) == StatementLine(
        version=2,
        kind=LineKind.GRANTED,
        entry_id="g1",
        amount=40,
        available_after=40,
        frozen_after=0,
        reference="stripe:in_1",
        occurred_at=t0,
    )


def test_a_freeze_moves_credits_from_available_to_frozen(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 40, t0)
    account.freeze("gen-1", 15, t0, reference="generation gen-1")

    line = lines_of(account)[-1]

    assert (line.kind, line.entry_id, line.amount) == ("frozen", "gen-1", 15)
    assert (line.available_after, line.frozen_after) == (25, 15)
    assert line.reference == "generation gen-1"


def test_a_partial_confirmation_releases_the_rest_to_available(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 40, t0)
    account.freeze("gen-1", 15, t0)
    account.confirm("gen-1", t0, amount=10)

    line = lines_of(account)[-1]

    assert (line.kind, line.amount, line.available_after, line.frozen_after) == (
        "confirmed",
        10,
        30,
        0,
    )


def test_a_rollback_returns_the_frozen_amount_with_its_reason(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 40, t0)
    account.freeze("gen-1", 15, t0)
    account.rollback("gen-1", t0, "canceled")

    line = lines_of(account)[-1]

    assert (line.kind, line.amount, line.available_after, line.frozen_after) == (
        "rolled_back",
        15,
        40,
        0,
    )
    assert line.reference == "canceled"


def test_an_expired_grant_takes_its_remainder_out_of_available(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 40, t0, expires_at=t0 + timedelta(hours=1))
    account.grant("g2", 5, t0)
    account.expire_due(t0 + timedelta(hours=1))

    line = lines_of(account)[-1]

    assert (line.kind, line.entry_id, line.amount, line.available_after) == (
        "grant_expired",
        "g1",
        40,
        5,
    )


def test_a_revocation_line_shows_what_was_taken_not_what_was_asked(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 40, t0)
    account.freeze("gen-1", 30, t0)
    account.revoke("refund-1", 25, t0, reference="ch_1")

    line = lines_of(account)[-1]

    assert (line.kind, line.amount, line.available_after, line.frozen_after) == (
        "revoked",
        10,
        0,
        30,
    )
    assert line.reference == "ch_1"


def test_a_statement_continues_from_the_running_balance_it_is_given(
    account: CreditAccount, t0: datetime
) -> None:
    account.grant("g1", 40, t0)
    first: list[Any] = list(account.collect_events())
    account.freeze("gen-1", 15, t0)
    later: list[Any] = list(account.collect_events())

    (granted,) = statement_lines(first)
    (frozen,) = statement_lines(
        later, RunningBalance(available=granted.available_after, frozen=granted.frozen_after)
    )

    assert (frozen.available_after, frozen.frozen_after) == (25, 15)
