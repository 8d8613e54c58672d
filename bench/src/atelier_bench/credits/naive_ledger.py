"""The baseline ledger: lock the balance row (`SELECT … FOR UPDATE`), check, `UPDATE`, commit.

This is how a credits service is usually written first, and what ours must beat: one durable
transaction per call and a row lock held across its round trips, so calls on one account queue
behind each other. It keeps no event log, no outbox and no expiries, which only makes it cheaper.
Idempotency rests on the unique grant and freeze rows, and the freeze row changes only under its
account's balance lock, so concurrent repeats cannot spend a freeze twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from atelier_credits.domain import inputs
from atelier_credits.domain.errors import (
    ConfirmExceedsFrozen,
    FreezeNotFound,
    IdempotencyConflict,
    InsufficientCredits,
)
from atelier_runtime.db import DbConnection, DbPool

_BALANCE_COLUMNS = "available, frozen, consumed, granted"
_LOCK_BALANCE = f"SELECT {_BALANCE_COLUMNS} FROM naive_balances WHERE account_id = $1 FOR UPDATE"
_READ_BALANCE = f"SELECT {_BALANCE_COLUMNS} FROM naive_balances WHERE account_id = $1"
_RESERVE = f"""
UPDATE naive_balances SET available = available - $2, frozen = frozen + $2
WHERE account_id = $1 RETURNING {_BALANCE_COLUMNS}
"""
_INSERT_FREEZE = """
INSERT INTO naive_freezes (freeze_id, account_id, amount, status) VALUES ($1, $2, $3, 'pending')
"""
_READ_FREEZE = (
    "SELECT account_id, amount, status, confirmed FROM naive_freezes WHERE freeze_id = $1"
)
# Marks the freeze only if it is this account's, still pending, and holds enough ($3 NULL: all).
_MARK_CONFIRMED = """
UPDATE naive_freezes SET status = 'confirmed', confirmed = coalesce($3, amount)
WHERE freeze_id = $1 AND account_id = $2 AND status = 'pending' AND coalesce($3, amount) <= amount
RETURNING amount, confirmed
"""
_SPEND = f"""
UPDATE naive_balances
SET frozen = frozen - $2, consumed = consumed + $3, available = available + $2 - $3
WHERE account_id = $1 RETURNING {_BALANCE_COLUMNS}
"""
_INSERT_GRANT = """
INSERT INTO naive_grants (grant_id, account_id, amount) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
"""
_READ_GRANT = "SELECT account_id, amount FROM naive_grants WHERE grant_id = $1"
_ADD_CREDITS = f"""
INSERT INTO naive_balances AS b (account_id, available, frozen, consumed, granted)
VALUES ($1, $2, 0, 0, $2)
ON CONFLICT (account_id) DO UPDATE SET available = b.available + $2, granted = b.granted + $2
RETURNING {_BALANCE_COLUMNS}
"""


@dataclass(frozen=True)
class NaiveBalance:
    """An account's balance row."""

    available: int = 0
    frozen: int = 0
    consumed: int = 0
    granted: int = 0


@dataclass(frozen=True)
class NaiveConfirmation:
    """What a confirm spent and gave back, and the balance after it."""

    confirmed: int
    released: int
    balance: NaiveBalance


def _balance(row: asyncpg.Record | None) -> NaiveBalance:
    if row is None:
        return NaiveBalance()
    return NaiveBalance(row["available"], row["frozen"], row["consumed"], row["granted"])


class NaiveLedger:
    """Grant, freeze, confirm and read balances with row-locked updates, one transaction each."""

    def __init__(self, pool: DbPool) -> None:
        self._pool = pool

    async def grant(self, account_id: str, grant_id: str, amount: int) -> NaiveBalance:
        """Adds credits once per grant id, opening the account's row on first use."""
        _check_ids(account_id, grant_id)
        inputs.positive_amount("amount", amount)
        async with self._pool.acquire() as conn, conn.transaction():
            if await conn.execute(_INSERT_GRANT, grant_id, account_id, amount) == "INSERT 0 1":
                return _balance(await conn.fetchrow(_ADD_CREDITS, account_id, amount))
            original = await conn.fetchrow(_READ_GRANT, grant_id)
            assert original is not None  # the insert just met it
            _ensure_same("grant", grant_id, original, account_id, amount)
            return _balance(await conn.fetchrow(_READ_BALANCE, account_id))

    async def freeze(self, account_id: str, freeze_id: str, amount: int) -> NaiveBalance:
        """Moves `amount` from available to frozen, once per freeze id."""
        _check_ids(account_id, freeze_id)
        inputs.positive_amount("amount", amount)
        async with self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    reserved = await _reserve(conn, account_id, freeze_id, amount)
            except asyncpg.UniqueViolationError:
                reserved = None
            if reserved is None:
                # A repeat: the freeze row exists, and this transaction changed nothing.
                return await _repeated_freeze(conn, account_id, freeze_id, amount)
            return reserved

    async def confirm(
        self, account_id: str, freeze_id: str, amount: int | None
    ) -> NaiveConfirmation:
        """Spends `amount` (default: all) of a freeze and returns the rest to available, once."""
        _check_ids(account_id, freeze_id)
        if amount is not None:
            inputs.positive_amount("amount", amount)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.fetchrow(_LOCK_BALANCE, account_id)
            marked = await conn.fetchrow(_MARK_CONFIRMED, freeze_id, account_id, amount)
            if marked is None:
                return await _repeated_confirm(conn, account_id, freeze_id, amount)
            frozen, confirmed = marked["amount"], marked["confirmed"]
            balance = _balance(await conn.fetchrow(_SPEND, account_id, frozen, confirmed))
            return NaiveConfirmation(confirmed, frozen - confirmed, balance)

    async def balance(self, account_id: str) -> NaiveBalance:
        """The account's row; an unknown account has an empty balance."""
        inputs.identifier("account_id", account_id)
        async with self._pool.acquire() as conn:
            return _balance(await conn.fetchrow(_READ_BALANCE, account_id))


async def _reserve(
    conn: DbConnection, account_id: str, freeze_id: str, amount: int
) -> NaiveBalance | None:
    """None when the freeze id is taken already (a repeat); the insert's unique key decides."""
    available = _balance(await conn.fetchrow(_LOCK_BALANCE, account_id)).available
    if available < amount:
        if await conn.fetchrow(_READ_FREEZE, freeze_id) is not None:
            return None
        raise InsufficientCredits(requested=amount, available=available)
    balance = await conn.fetchrow(_RESERVE, account_id, amount)
    await conn.execute(_INSERT_FREEZE, freeze_id, account_id, amount)
    return _balance(balance)


def _check_ids(account_id: str, operation_id: str) -> None:
    inputs.identifier("account_id", account_id)
    inputs.identifier("id", operation_id)


def _ensure_same(
    operation: str, operation_id: str, original: asyncpg.Record, account_id: str, amount: int
) -> None:
    if (original["account_id"], original["amount"]) != (account_id, amount):
        described = {"account_id": original["account_id"], "amount": str(original["amount"])}
        raise IdempotencyConflict(operation, operation_id, described)


async def _repeated_freeze(
    conn: DbConnection, account_id: str, freeze_id: str, amount: int
) -> NaiveBalance:
    original = await conn.fetchrow(_READ_FREEZE, freeze_id)
    assert original is not None  # freeze rows are never deleted
    _ensure_same("freeze", freeze_id, original, account_id, amount)
    return _balance(await conn.fetchrow(_READ_BALANCE, account_id))


async def _repeated_confirm(
    conn: DbConnection, account_id: str, freeze_id: str, amount: int | None
) -> NaiveConfirmation:
    freeze = await conn.fetchrow(_READ_FREEZE, freeze_id)
    if freeze is None or freeze["account_id"] != account_id:
        raise FreezeNotFound(freeze_id)
    wanted = freeze["amount"] if amount is None else amount
    if freeze["status"] != "confirmed":
        raise ConfirmExceedsFrozen(freeze_id, requested=wanted, frozen=freeze["amount"])
    if wanted != freeze["confirmed"]:
        raise IdempotencyConflict("confirm", freeze_id, {"amount": str(freeze["confirmed"])})
    balance = _balance(await conn.fetchrow(_READ_BALANCE, account_id))
    return NaiveConfirmation(freeze["confirmed"], freeze["amount"] - freeze["confirmed"], balance)
