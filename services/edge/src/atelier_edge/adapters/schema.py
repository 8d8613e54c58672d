"""The edge's tables: API keys (hashes only) and the idempotency records of generation POSTs.

Migrations only ever grow at the end (the runtime numbers them by position).
"""

from __future__ import annotations

COMPONENT = "edge"

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE api_keys (
        key_id text PRIMARY KEY,
        account_id text NOT NULL,
        digest text NOT NULL UNIQUE,
        hint text NOT NULL,
        name text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
    );
    CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at DESC);

    CREATE TABLE idempotency_records (
        account_id text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        state text NOT NULL CHECK (state IN ('in_flight', 'done')),
        status_code integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, key)
    );
    """,
)
