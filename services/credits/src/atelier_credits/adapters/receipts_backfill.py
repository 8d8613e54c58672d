"""SQL that derives the receipts of a log written before receipts existed, from the events' JSON.

The same derivation as `domain.history.receipt_of`, in SQL so a migration can run it: event
states are the eventsourcing transcoder's JSON, and datetimes stay in its tagged form, so the
bodies decode exactly like receipts the store writes.
"""

from __future__ import annotations

_DRAWN = "(SELECT coalesce(sum((d->>'amount')::bigint), 0) FROM jsonb_array_elements(s->'{}') d)"

RECEIPTS_BACKFILL = f"""
INSERT INTO credits_receipts (aggregate_id, kind, op_id, version, body)
SELECT e.originator_id, r.kind, r.op_id, e.originator_version, convert_to(r.body::text, 'UTF8')
FROM credits_events e
CROSS JOIN LATERAL (SELECT convert_from(e.state, 'UTF8')::jsonb AS s) AS j(s)
CROSS JOIN LATERAL (
    SELECT 'grant', s->>'grant_id', jsonb_build_object(
        'amount', s->'amount', 'source', s->'source', 'priority', s->'priority',
        'expires_at', s->'expires_at', 'reference', coalesce(s->'reference', '""'::jsonb))
    WHERE e.topic LIKE '%.Granted'
    UNION ALL
    SELECT 'freeze', s->>'freeze_id', jsonb_build_object(
        'amount', s->'amount', 'reference', s->'reference', 'frozen_at', s->'timestamp',
        'expires_at', s->'expires_at', 'draws', s->'draws')
    WHERE e.topic LIKE '%.Frozen'
    UNION ALL
    SELECT 'resolution', s->>'freeze_id', jsonb_build_object(
        'resolution', 'confirmed', 'confirmed', s->'amount',
        'released', {_DRAWN.format("released")}, 'reason', '')
    WHERE e.topic LIKE '%.Confirmed'
    UNION ALL
    SELECT 'resolution', s->>'freeze_id', jsonb_build_object(
        'resolution', 'rolled_back', 'confirmed', 0, 'released', s->'amount',
        'reason', s->'reason')
    WHERE e.topic LIKE '%.RolledBack'
    UNION ALL
    SELECT 'revocation', s->>'revocation_id', jsonb_build_object(
        'amount', s->'amount', 'reason', s->'reason', 'reference', s->'reference',
        'revoked', {_DRAWN.format("draws")}, 'draws', s->'draws')
    WHERE e.topic LIKE '%.Revoked'
) AS r(kind, op_id, body)
ON CONFLICT DO NOTHING;
"""
