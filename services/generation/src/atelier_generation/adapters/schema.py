"""The generation service's tables; applied at start by atelier_runtime.db.apply_migrations."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE generations (
        id text PRIMARY KEY,
        seq bigserial UNIQUE,
        account_id text NOT NULL,
        idempotency_key text NOT NULL,
        fingerprint text NOT NULL,
        tool text NOT NULL,
        model text NOT NULL,
        params jsonb NOT NULL,
        cost bigint NOT NULL,
        status text NOT NULL,
        credits text NOT NULL,
        version integer NOT NULL,
        progress integer NOT NULL DEFAULT 0,
        provider text NOT NULL DEFAULT '',
        provider_job_id text,
        submit_attempts integer NOT NULL DEFAULT 0,
        deadline_at timestamptz,
        cancel_requested boolean NOT NULL DEFAULT false,
        outputs jsonb NOT NULL DEFAULT '[]'::jsonb,
        failure jsonb,
        charged_freeze_id text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        -- The lease: one replica drives a generation at a time; an expired lease is taken over.
        lease_owner text,
        lease_expires_at timestamptz,
        UNIQUE (account_id, idempotency_key)
    );
    CREATE INDEX generations_by_account ON generations (account_id, seq DESC);
    -- What drivers look for: generations not yet ended, or ended with credits still frozen.
    CREATE INDEX generations_unsettled ON generations (seq)
        WHERE status IN ('queued', 'running') OR credits = 'frozen';
    CREATE INDEX generations_running ON generations (account_id) WHERE status = 'running';
    """,
    # The model a job actually runs on (a fallback's id, or the chosen model's) and the
    # provider's own name for it, recorded with the provider job id.
    """
    ALTER TABLE generations ADD COLUMN run_model text NOT NULL DEFAULT '';
    ALTER TABLE generations ADD COLUMN provider_model text NOT NULL DEFAULT '';
    """,
    # Provider callbacks, verified: the newest news of each job (terminal news is final), which
    # its generation's driver reads as it would a poll's answer. One row per provider job.
    """
    CREATE TABLE provider_updates (
        provider text NOT NULL,
        job_id text NOT NULL,
        generation_id text NOT NULL,
        state text NOT NULL,
        progress integer NOT NULL,
        outputs jsonb NOT NULL DEFAULT '[]'::jsonb,
        error jsonb,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, job_id)
    );
    CREATE INDEX generations_by_job ON generations (provider, provider_job_id)
        WHERE provider_job_id IS NOT NULL;
    """,
    # Each account's plan as billing last announced it (atelier.billing.plan_changed): queued
    # work of paid plans is claimed first. Accounts never announced are on "free". The newest
    # announcement wins: by when it happened, then by its place in billing's stream.
    """
    CREATE TABLE account_plans (
        account_id text PRIMARY KEY,
        plan text NOT NULL,
        changed_at timestamptz NOT NULL,
        stream_seq bigint NOT NULL
    );
    """,
)
