"""The record's life and its object key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atelier_media.domain.media_record import (
    Status,
    StoredBy,
    can_receive_upload,
    new_external_record,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def record(plan: str = "free"):  # type: ignore[no-untyped-def]
    return new_external_record(
        media_id="gen-1-0", account_id="acct/../x", generation_id="gen-1",
        content_type="image/png", source_url="https://replicate.delivery/a.png",
        source_expires_at=NOW + timedelta(hours=1), now=NOW, plan=plan,
    )  # fmt: skip


def test_the_key_sits_under_the_plan_prefix_with_ids_quoted() -> None:
    assert record().key == "free/acct%2F..%2Fx/gen-1-0.png"
    assert record("paid").key.startswith("paid/")
    assert record("enterprise").key.startswith("free/")


def test_a_stored_record_takes_no_more_uploads() -> None:
    stored = record().stored(StoredBy.CLIENT, 10, NOW)
    assert stored.status is Status.STORED
    assert stored.stored_by is StoredBy.CLIENT
    assert can_receive_upload(record())
    assert not can_receive_upload(stored)


def test_a_refused_upload_leaves_the_record_external_with_the_reason() -> None:
    refused = record().upload_refused("EMPTY: no bytes")
    assert refused.status is Status.EXTERNAL
    assert refused.failure_reason == "EMPTY: no bytes"


def test_the_source_is_valid_until_it_expires() -> None:
    assert record().source_valid_at(NOW)
    assert not record().source_valid_at(NOW + timedelta(hours=2))
