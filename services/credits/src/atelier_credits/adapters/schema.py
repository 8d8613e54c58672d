"""The credits database: eventsourcing's table layout for the log, plus what is kept beside it.

`credits_events` and `credits_snapshots` are the library's own layout (so its Application can read
them); `tx_id` is our addition: the relay and the projector read behind the transaction-id
watermark, because `notification_id` order is not commit order.
"""

from __future__ import annotations

from atelier_credits.adapters.receipts_backfill import RECEIPTS_BACKFILL

MIGRATIONS = (
    """
    CREATE TABLE credits_events (
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        topic text,
        state bytea,
        notification_id bigserial,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        PRIMARY KEY (originator_id, originator_version)
    );
    CREATE UNIQUE INDEX credits_events_notification_id_idx ON credits_events (notification_id);
    CREATE INDEX credits_events_commit_order_idx ON credits_events (tx_id, notification_id);
    CREATE TABLE credits_snapshots (
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        topic text,
        state bytea,
        PRIMARY KEY (originator_id, originator_version)
    );
    -- Written in the same transaction as the events: the balance as of the account's version.
    CREATE TABLE account_balances (
        account_id text PRIMARY KEY,
        aggregate_id uuid NOT NULL UNIQUE,
        available bigint NOT NULL,
        frozen bigint NOT NULL,
        consumed bigint NOT NULL,
        expired bigint NOT NULL,
        revoked bigint NOT NULL,
        granted bigint NOT NULL,
        version bigint NOT NULL,
        next_expiry timestamptz,
        updated_at timestamptz NOT NULL
    );
    CREATE INDEX account_balances_next_expiry_idx ON account_balances (next_expiry)
        WHERE next_expiry IS NOT NULL;
    -- Fed from the log by the projector: one line per event with the running balance.
    CREATE TABLE statement_lines (
        account_id text NOT NULL,
        version bigint NOT NULL,
        kind text NOT NULL,
        entry_id text NOT NULL,
        amount bigint NOT NULL,
        available_after bigint NOT NULL,
        frozen_after bigint NOT NULL,
        reference text NOT NULL,
        occurred_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, version)
    );
    CREATE TABLE projection_positions (
        projection text PRIMARY KEY,
        tx_id xid8 NOT NULL,
        notification_id bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    """,
    # Receipts: one per operation id (grant, freeze, resolution, revocation), written with the
    # events, so idempotency holds forever while the aggregate keeps only live state. Backfilled
    # from the log's JSON; snapshots of the old, history-sized state shape are dropped.
    f"""
    CREATE TABLE credits_receipts (
        aggregate_id uuid NOT NULL,
        kind text NOT NULL,
        op_id text NOT NULL,
        version bigint NOT NULL,
        body bytea NOT NULL,
        PRIMARY KEY (aggregate_id, kind, op_id)
    );
    -- The request's trace context, restored by the relay; when the event was committed.
    ALTER TABLE credits_events ADD COLUMN trace_context text,
        ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
    DELETE FROM credits_snapshots;
    {RECEIPTS_BACKFILL}
    """,
)
