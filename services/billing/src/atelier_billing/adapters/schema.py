"""Billing's tables: events as received, what they established, and orders for the ledger."""

from __future__ import annotations

EVENTS_CHANNEL = "billing_events"
ORDERS_CHANNEL = "billing_ledger_orders"

MIGRATIONS: tuple[str, ...] = (
    f"""
    -- Every verified Stripe event, once, byte for byte; a worker moves it out of `pending`.
    CREATE TABLE stripe_events (
        seq bigserial UNIQUE,
        event_id text PRIMARY KEY,
        type text NOT NULL,
        object_id text NOT NULL,
        stripe_created_at timestamptz NOT NULL,
        body bytea NOT NULL,
        state text NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'processed', 'parked', 'ignored', 'failed')),
        reason text NOT NULL DEFAULT '',
        waiting_for text[] NOT NULL DEFAULT '{{}}',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz
    );
    CREATE INDEX stripe_events_pending ON stripe_events (seq) WHERE state = 'pending';
    CREATE INDEX stripe_events_stuck ON stripe_events (seq) WHERE state IN ('parked', 'failed');
    CREATE INDEX stripe_events_waiting ON stripe_events USING gin (waiting_for)
        WHERE state = 'parked';
    CREATE INDEX stripe_events_by_object ON stripe_events (object_id);

    -- Who pays: `subscription:<id>` or `customer:<id>` -> account, from metadata or Checkout.
    CREATE TABLE account_links (
        link text PRIMARY KEY,
        account_id text NOT NULL,
        linked_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE subscriptions (
        subscription_id text PRIMARY KEY,
        account_id text NOT NULL,
        customer_id text,
        status text NOT NULL,
        price_id text,
        period_start timestamptz,
        period_end timestamptz,
        cancel_at_period_end boolean NOT NULL,
        as_of timestamptz NOT NULL,
        past_due boolean NOT NULL,
        past_due_as_of timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX subscriptions_by_account ON subscriptions (account_id, as_of DESC);

    -- One row per invoice or Checkout Session that granted credits: the grant's key.
    CREATE TABLE payments (
        seq bigserial UNIQUE,
        payment_id text PRIMARY KEY,
        account_id text NOT NULL,
        kind text NOT NULL,
        price_id text NOT NULL,
        product text NOT NULL,
        amount_cents bigint NOT NULL,
        currency text NOT NULL,
        credits bigint NOT NULL,
        priority integer NOT NULL,
        expires_at timestamptz,
        paid_at timestamptz NOT NULL,
        period_start timestamptz,
        period_end timestamptz,
        refunded_by_refunds_cents bigint NOT NULL DEFAULT 0,
        refunded_reported_cents bigint NOT NULL DEFAULT 0,
        refund_clawback bigint NOT NULL DEFAULT 0,
        dispute_clawback bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX payments_by_account ON payments (account_id, seq DESC);
    -- `charge:<id>`, `payment_intent:<id>`, `invoice:<id>`: how refunds and disputes find it.
    CREATE TABLE payment_refs (
        ref text PRIMARY KEY,
        payment_id text NOT NULL REFERENCES payments (payment_id)
    );
    CREATE TABLE refunds (
        refund_id text PRIMARY KEY,
        payment_id text NOT NULL REFERENCES payments (payment_id),
        amount_cents bigint NOT NULL,
        clawback bigint NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE disputes (
        dispute_id text PRIMARY KEY,
        payment_id text NOT NULL REFERENCES payments (payment_id),
        held bigint NOT NULL,
        outcome text NOT NULL DEFAULT 'open',
        recorded_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE failed_payments (
        invoice_id text NOT NULL,
        attempt_count bigint NOT NULL,
        account_id text NOT NULL,
        subscription_id text,
        amount_due_cents bigint NOT NULL,
        currency text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (invoice_id, attempt_count)
    );

    -- Grants and revocations for the credits ledger, recorded with the event that caused them
    -- and delivered by a worker; keyed by the ledger's own idempotency ids.
    CREATE TABLE ledger_orders (
        seq bigserial UNIQUE,
        order_id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('grant', 'revoke')),
        account_id text NOT NULL,
        ledger_id text NOT NULL,
        amount bigint NOT NULL,
        source text NOT NULL DEFAULT '',
        priority integer NOT NULL DEFAULT 0,
        expires_at timestamptz,
        reference text NOT NULL DEFAULT '',
        returns_revocation text,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text NOT NULL DEFAULT '',
        delivered_amount bigint,
        shortfall bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
    );
    CREATE INDEX ledger_orders_pending ON ledger_orders (seq) WHERE state = 'pending';
    CREATE INDEX ledger_orders_pending_by_account ON ledger_orders (account_id, seq)
        WHERE state = 'pending';

    CREATE TABLE daily_grants (
        account_id text NOT NULL,
        day date NOT NULL,
        plan text NOT NULL,
        amount bigint NOT NULL,
        granted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, day)
    );

    -- Wake the workers at commit instead of waiting for their next poll.
    CREATE FUNCTION billing_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify(TG_ARGV[0], '');
        RETURN NULL;
    END $$;
    CREATE TRIGGER stripe_events_notify AFTER INSERT OR UPDATE OF state ON stripe_events
        FOR EACH STATEMENT EXECUTE FUNCTION billing_notify('{EVENTS_CHANNEL}');
    CREATE TRIGGER ledger_orders_notify AFTER INSERT ON ledger_orders
        FOR EACH STATEMENT EXECUTE FUNCTION billing_notify('{ORDERS_CHANNEL}');
    """,
)
