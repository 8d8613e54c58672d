"""The baseline's tables: one balance row per account, updated in place under a row lock."""

from __future__ import annotations

MIGRATIONS = (
    """
    CREATE TABLE naive_balances (
        account_id text PRIMARY KEY,
        available bigint NOT NULL CHECK (available >= 0),
        frozen bigint NOT NULL CHECK (frozen >= 0),
        consumed bigint NOT NULL,
        granted bigint NOT NULL
    );
    -- One row per grant id and per freeze id: the unique key is the whole idempotency scheme.
    CREATE TABLE naive_grants (
        grant_id text PRIMARY KEY,
        account_id text NOT NULL,
        amount bigint NOT NULL
    );
    CREATE TABLE naive_freezes (
        freeze_id text PRIMARY KEY,
        account_id text NOT NULL,
        amount bigint NOT NULL,
        status text NOT NULL,
        confirmed bigint NOT NULL DEFAULT 0
    );
    """,
)
