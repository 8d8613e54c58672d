"""The media service's tables; applied in order at start by the runtime's migrations."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE media (
        media_id text PRIMARY KEY,
        account_id text NOT NULL,
        generation_id text NOT NULL,
        plan text NOT NULL,
        content_type text NOT NULL,
        source_url text NOT NULL,
        source_expires_at timestamptz,
        status text NOT NULL,
        object_key text NOT NULL,
        stored_by text,
        size bigint NOT NULL DEFAULT 0,
        failure_reason text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL,
        stored_at timestamptz,
        -- The durable fallback timer: due when set and past; cleared once nothing is left to do.
        fallback_due_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        -- When the stored object's retention ends; NULL keeps it.
        retain_until timestamptz
    );
    CREATE INDEX media_fallback_due ON media (fallback_due_at)
        WHERE fallback_due_at IS NOT NULL;
    CREATE INDEX media_retention ON media (retain_until)
        WHERE retain_until IS NOT NULL AND status = 'stored';
    CREATE INDEX media_by_account ON media (account_id, created_at DESC, media_id DESC);
    CREATE INDEX media_by_generation ON media (generation_id, media_id);
    """,
    # Each account's plan as billing last announced it (atelier.billing.plan_changed): a new
    # record takes its prefix and retention from it; accounts never announced are on "free".
    """
    CREATE TABLE account_plans (
        account_id text PRIMARY KEY,
        plan text NOT NULL,
        changed_at timestamptz NOT NULL
    );
    """,
    # Input files accounts upload for their generations to read; kept apart from outputs, so
    # neither the fallback nor the library listing sees them.
    """
    CREATE TABLE input_media (
        media_id text PRIMARY KEY,
        account_id text NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL,
        object_key text NOT NULL,
        created_at timestamptz NOT NULL
    );
    CREATE INDEX input_media_by_account ON input_media (account_id, created_at DESC);
    """,
)
